// TRC-1014 disk_mount: Tracee's signature of the same id.
import { filter, map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { ESCAPE, IN_CONTAINER, STARTED_CONTAINER_EVENTS, StartedContainers, errnos, meta, preferTracee, str } from '../helpers.js';

/** mount refused before the hook could run: its strings unreadable. */
const NOT_REACHED = errnos('EFAULT');

const rule: Rule = {
  ...meta('TRC-1014', 'disk_mount', 'Container device mount detected', 3, ESCAPE,
    "A started container mounted a device (a source under /dev/): with the host's disk mounted it can read and change the host. Not while the runtime sets the container up (its pid 1 before its first exec). Where security_sb_mount does not run here, the mount syscall: every call, refused or not, except one whose arguments could not be read."),
  events: [
    { event: 'security_sb_mount', filters: ['data.dev_name=/dev/*', IN_CONTAINER] },
    // our equivalent of security_sb_mount
    { event: 'mount', filters: ['data.source=/dev/*', IN_CONTAINER] },
    ...STARTED_CONTAINER_EVENTS,
  ],
  detect: () => (events$) => {
    const judged = preferTracee(['security_sb_mount'], ['mount']);
    const started = new StartedContainers();
    return events$.pipe(
      filter((e) => {
        started.observe(e);
        if (!judged(e) || !started.has(e)) return false;
        if (e.eventName === 'security_sb_mount') return str(e, 'dev_name').startsWith('/dev/');
        if (e.eventName === 'mount') return !NOT_REACHED.includes(e.returnValue) && str(e, 'source').startsWith('/dev/');
        return false;
      }),
      map((event) => ({ event })),
    );
  },
};

export default rule;
