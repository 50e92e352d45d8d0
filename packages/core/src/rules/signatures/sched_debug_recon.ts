// TRC-1029 sched_debug_recon: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { fileReadRule, meta, oneOf } from '../helpers.js';

const rule: Rule = fileReadRule(
  meta('TRC-1029', 'sched_debug_recon', 'sched_debug CPU file was read', 1, { tactic: 'Discovery', technique: 'Container and Resource Discovery', id: 'T1613' },
    "The scheduler's debug file (CPUs, every process) was read, as reconnaissance from a container does."),
  ['/proc/sched_debug', '/sys/kernel/debug/sched/debug'],
  oneOf(['/proc/sched_debug', '/sys/kernel/debug/sched/debug']),
);

export default rule;
