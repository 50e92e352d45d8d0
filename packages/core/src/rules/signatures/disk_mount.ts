// TRC-1014 disk_mount: Tracee's signature of the same id.
import { filter, map } from 'rxjs';
import { KERNEL_VALUES } from '../../generated/schema.js';
import type { Rule } from '../rule.js';
import { ESCAPE, meta, str } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1014', 'disk_mount', 'Container device mount detected', 3, ESCAPE,
    "A container mounted a host device (/dev/...): with the host's disk mounted it can read and change the host."),
  events: [{ event: 'mount', filters: ['data.source=/dev/*', 'retval=0'] }],
  detect: () => (events$) =>
    events$.pipe(
      filter((e) => e.returnValue === 0 && str(e, 'source').startsWith('/dev/') && e.pidNamespace !== KERNEL_VALUES.PROC_PID_INIT_INO),
      map((event) => ({ event, data: { source: str(event, 'source'), target: str(event, 'target') } })),
    ),
};

export default rule;
