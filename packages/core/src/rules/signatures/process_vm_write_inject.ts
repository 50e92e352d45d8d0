// TRC-1025 process_vm_write_inject: Tracee's signature of the same id.
import { filter, map } from 'rxjs';
import type { Rule } from '../rule.js';
import { meta, num } from '../helpers.js';

const rule: Rule = {
...meta('TRC-1025', 'process_vm_write_inject', 'Code injection detected using process_vm_writev syscall', 3, { tactic: 'Defense Evasion', technique: 'Process Injection', id: 'T1055' },
  "Possible code injection into another process: it wrote into the other's memory with process_vm_writev."),
events: [{ event: 'process_vm_writev', filters: ['retval>0'] }],
detect: () => (events$) =>
  events$.pipe(
    // the target pid is in the caller's pid namespace, as processId is
    filter((e) => e.returnValue > 0 && num(e, 'pid') !== e.processId),
    map((event) => ({ event, data: { 'target pid': num(event, 'pid') } })),
  ),
};

export default rule;
