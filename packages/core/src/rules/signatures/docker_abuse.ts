// TRC-1019 docker_abuse: Tracee's signature of the same id.
import { filter, map } from 'rxjs';
import { type Sockaddr } from '../../generated/schema.js';
import type { Rule } from '../rule.js';
import { argOf, meta } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1019', 'docker_abuse', 'Docker socket abuse detected', 2, { tactic: 'Privilege Escalation', technique: 'Exploitation for Privilege Escalation', id: 'T1068' },
    "The Docker daemon's UNIX socket was connected to: whoever talks to it can start privileged containers."),
  events: [{ event: 'connect', filters: ['retval=0'] }],
  detect: () => (events$) =>
    events$.pipe(
      filter((e) => {
        const a = argOf(e, 'addr') as Sockaddr | undefined;
        return e.returnValue === 0 && typeof a === 'object' && a?.sa_family === 'AF_UNIX' && (a.sun_path ?? '').endsWith('docker.sock');
      }),
      map((event) => ({ event, data: { path: (argOf(event, 'addr') as Sockaddr).sun_path } })),
    ),
};

export default rule;
