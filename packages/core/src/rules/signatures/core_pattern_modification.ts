// TRC-1011 core_pattern_modification: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { ESCAPE, fileWriteRule, meta, oneOf } from '../helpers.js';

const rule: Rule = fileWriteRule(
  meta('TRC-1011', 'core_pattern_modification', 'Core dumps configuration file modification detected', 3, ESCAPE,
    '/proc/sys/kernel/core_pattern was written: a pipe there runs a program as root on the host at the next core dump.'),
  ['/proc/sys/kernel/core_pattern'],
  oneOf(['/proc/sys/kernel/core_pattern']),
);

export default rule;
