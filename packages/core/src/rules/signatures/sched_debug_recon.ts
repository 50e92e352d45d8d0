// TRC-1029 sched_debug_recon: Tracee's signature of the same id
// (signatures/golang/sched_debug_recon.go).
import type { Rule } from '../rule.js';
import { meta, traceeFileRule } from '../helpers.js';

const PATHS = ['/proc/sched_debug', '/sys/kernel/debug/sched/debug'];

const rule: Rule = traceeFileRule(
  meta('TRC-1029', 'sched_debug_recon', 'sched_debug CPU file was read', 1, { tactic: 'Discovery', technique: 'Container and Resource Discovery', id: 'T1613', stixId: 'attack-pattern--0470e792-32f8-46b0-a351-652bc35e9336', kubernetesTechnique: '' },
    "A process in a container opened the scheduler's debug file (/proc/sched_debug, /sys/kernel/debug/sched/debug) for reading: it lists the host's CPUs and every process on them."),
  { container: true, open: 'read', matches: (p) => PATHS.includes(p), kernel: PATHS },
);

export default rule;
