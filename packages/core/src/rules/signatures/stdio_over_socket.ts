// TRC-101 stdio_over_socket: Tracee's signature of the same id.
import { mergeMap } from '../../rx.js';
import type { Rule, RuleMatch } from '../rule.js';
import { errnos, internet, ip, meta, num, port, preferTracee, sockaddrOf } from '../helpers.js';

/** Ports that say no peer (Tracee's legitPorts). */
const LEGIT_PORTS = ['', '0'];
/** connect refused before security_socket_connect could run: no such fd, not a socket, an unreadable address. */
const NOT_REACHED = errnos('EBADF', 'ENOTSOCK', 'EFAULT');

const rule: Rule = {
  ...meta('TRC-101', 'stdio_over_socket', 'Process standard input/output over socket detected', 3, { tactic: 'Execution', technique: 'Unix Shell', id: 'T1059.004', stixId: 'attack-pattern--a9d4b653-6915-42af-98b2-5758c4ceee56', kubernetesTechnique: '' },
    "A process has its standard input, output or error on an internet socket (connected as fd 0-2, or such a socket duplicated onto fd 0-2): the base of a reverse shell, an interactive shell invoked from a target machine back to the attacker's. Where security_socket_connect does not run here, the connect syscall: every call except those refused before the hook."),
  events: [
    { event: 'security_socket_connect', filters: ['data.sockfd<=2'] },
    // dup, dup2, dup3, fcntl(F_DUPFD*) of a socket, with the socket's peer (remote_addr)
    { event: 'socket_dup', filters: ['data.newfd<=2'] },
    // our equivalent of security_socket_connect
    { event: 'connect', filters: ['data.sockfd<=2'] },
  ],
  detect: () => (events$) => {
    const judged = preferTracee(['security_socket_connect'], ['connect']);
    return events$.pipe(
      mergeMap((e): RuleMatch[] => {
        if (!judged(e)) return [];
        if (e.eventName === 'connect' && NOT_REACHED.includes(e.returnValue)) return [];
        const fd = num(e, e.eventName === 'socket_dup' ? 'newfd' : 'sockfd');
        if (fd !== 0 && fd !== 1 && fd !== 2) return [];
        const a = sockaddrOf(e, e.eventName === 'connect' ? 'addr' : 'remote_addr');
        const p = internet(a) ? port(a!) : undefined;
        const address = internet(a) ? ip(a!) : undefined;
        if (p === undefined || address === undefined || LEGIT_PORTS.includes(p)) return [];
        return [{ event: e, data: { 'IP address': address, Port: p, 'File descriptor': fd } }];
      }),
    );
  },
};

export default rule;
