// TRC-1019 docker_abuse: Tracee's signature of the same id.
import { filter, map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { IN_CONTAINER, STARTED_CONTAINER_EVENTS, StartedContainers, errnos, isFileWrite, meta, num, preferTracee, sockaddrOf, str } from '../helpers.js';

const DOCKER_SOCK = 'docker.sock';
/** connect refused before security_socket_connect could run: no such fd, not a socket, an unreadable address. */
const NOT_REACHED = errnos('EBADF', 'ENOTSOCK', 'EFAULT');

/** Tracee's test of an address: AF_UNIX, its path ending in docker.sock. */
const dockerSocket = (a: ReturnType<typeof sockaddrOf>) => a?.sa_family === 'AF_UNIX' && (a.sun_path ?? '').endsWith(DOCKER_SOCK);

const rule: Rule = {
  ...meta('TRC-1019', 'docker_abuse', 'Docker socket abuse detected', 2, { tactic: 'Privilege Escalation', technique: 'Exploitation for Privilege Escalation', id: 'T1068', stixId: 'attack-pattern--b21c3b2d-02e6-45b1-980b-e69051040839', kubernetesTechnique: '' },
    "A started container opened a file ending in docker.sock for writing, or connected to a UNIX socket whose path ends so (the Docker daemon's API): whoever talks to it can start privileged containers. Where security_socket_connect does not run here, the connect syscall: every call except those refused before the hook (a bad fd, not a socket, an unreadable address)."),
  events: [
    { event: 'security_file_open', filters: [`data.pathname=*${DOCKER_SOCK}`, IN_CONTAINER] },
    { event: 'security_socket_connect', filters: [IN_CONTAINER] },
    // our equivalent of security_socket_connect
    { event: 'connect', filters: [IN_CONTAINER] },
    ...STARTED_CONTAINER_EVENTS,
  ],
  detect: () => (events$) => {
    const judged = preferTracee(['security_socket_connect'], ['connect']);
    const started = new StartedContainers();
    return events$.pipe(
      filter((e) => {
        started.observe(e);
        if (!judged(e) || !started.has(e)) return false;
        switch (e.eventName) {
          case 'security_file_open':
            return isFileWrite(num(e, 'flags')) && str(e, 'pathname').endsWith(DOCKER_SOCK);
          case 'security_socket_connect':
            return dockerSocket(sockaddrOf(e, 'remote_addr'));
          case 'connect':
            return !NOT_REACHED.includes(e.returnValue) && dockerSocket(sockaddrOf(e, 'addr'));
          default:
            return false;
        }
      }),
      map((event) => ({ event })),
    );
  },
};

export default rule;
