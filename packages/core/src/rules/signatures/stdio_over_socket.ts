// TRC-101 stdio_over_socket: Tracee's signature of the same id.
import { mergeMap, type OperatorFunction } from 'rxjs';
import { type Sockaddr, type TraceeEvent } from '../../generated/schema.js';
import type { Rule, RuleMatch } from '../rule.js';
import { Connections, argOf, internet, ip, meta, num, port } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-101', 'stdio_over_socket', 'Process standard input/output over socket detected', 3, { tactic: 'Execution', technique: 'Unix Shell', id: 'T1059.004' },
    "A process has its standard input/output redirected to a socket, the base of a reverse shell: an interactive shell invoked from a target machine back to the attacker's."),
  events: [{ event: 'connect' }, { event: 'dup2' }, { event: 'dup3' }, { event: 'sched_process_exit' }],
  detect: (): OperatorFunction<TraceeEvent, RuleMatch> => (events$) => {
    const sockets = new Connections();
    return events$.pipe(
      mergeMap((e) => {
        if (e.eventName === 'sched_process_exit') {
          if (argOf(e, 'process_group_exit')) sockets.forget(e.hostProcessId);
          return [];
        }
        if (e.returnValue < 0) return [];
        let fd: number;
        let addr: Sockaddr | undefined;
        if (e.eventName === 'connect') {
          sockets.note(e);
          fd = num(e, 'sockfd');
          addr = argOf(e, 'addr') as Sockaddr | undefined;
        } else {
          fd = num(e, 'newfd');
          addr = sockets.get(e.hostProcessId, num(e, 'oldfd'));
        }
        if (fd > 2 || !internet(addr) || ['', '0'].includes(port(addr!))) return [];
        return [{ event: e, data: { 'IP address': ip(addr!), Port: port(addr!), 'File descriptor': fd } }];
      }),
    );
  },
};

export default rule;
