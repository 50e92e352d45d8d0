// TRC-1011 core_pattern_modification: Tracee's signature of the same id
// (signatures/golang/core_pattern_modification.go).
import type { Rule } from '../rule.js';
import { ESCAPE, meta, traceeFileRule } from '../helpers.js';

const rule: Rule = traceeFileRule(
  meta('TRC-1011', 'core_pattern_modification', 'Core dumps configuration file modification detected', 3, ESCAPE,
    'A process in a container opened /proc/sys/kernel/core_pattern for writing (any path ending so, as in Tracee). A core_pattern starting with a pipe makes the kernel run that program as root on the host at the next crash: a known container escape.'),
  { container: true, open: 'write', matches: (p) => p.endsWith('/proc/sys/kernel/core_pattern'), kernel: ['*/proc/sys/kernel/core_pattern'] },
);

export default rule;
