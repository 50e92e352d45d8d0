// TRC-1025 process_vm_write_inject: Tracee's signature of the same id.
import { filter, map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { meta, num } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1025', 'process_vm_write_inject', 'Code injection detected using process_vm_writev syscall', 3, { tactic: 'Defense Evasion', technique: 'Process Injection', id: 'T1055', stixId: 'attack-pattern--43e7dc91-05b2-474c-b9ac-2ed4fe101f4d', kubernetesTechnique: '' },
    "Possible code injection into another process: a process_vm_writev call aimed at another process's memory, whether or not it wrote."),
  events: [{ event: 'process_vm_writev' }],
  detect: () => (events$) =>
    events$.pipe(
      // the target pid is in the caller's pid namespace, as processId is; any return value, as Tracee's
      filter((e) => num(e, 'pid') !== e.processId),
      map((event) => ({ event })),
    ),
};

export default rule;
