// TRC-105 fileless_execution: Tracee's signature of the same id.
import { filter, map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { MEMORY_PATH, meta, str } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-105', 'fileless_execution', 'Fileless execution detected', 3, { tactic: 'Defense Evasion', technique: 'Reflective Code Loading', id: 'T1620', stixId: 'attack-pattern--4933e63b-9b77-476e-ab29-761bc5b7d15a', kubernetesTechnique: '' },
    'A program was executed from memory (a memfd, or shared memory under /dev/shm or /run/shm) instead of from a file on disk.'),
  // Tracee's helpers.IsMemoryPath on the file that runs: sched_process_exec's
  // pathname is its real path (a memfd as memfd:name), whatever name reached
  // it (/proc/self/fd/N, a relative path, a link)
  events: [{ event: 'sched_process_exec' }],
  detect: () => (events$) => events$.pipe(filter((e) => MEMORY_PATH.test(str(e, 'pathname'))), map((event) => ({ event }))),
};

export default rule;
