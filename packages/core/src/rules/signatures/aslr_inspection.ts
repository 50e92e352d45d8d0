// TRC-109 aslr_inspection: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { fileReadRule, meta, oneOf } from '../helpers.js';

const rule: Rule = fileReadRule(
  meta('TRC-109', 'aslr_inspection', 'ASLR inspection detected', 0, { tactic: 'Privilege Escalation', technique: 'Exploitation for Privilege Escalation', id: 'T1068' },
    'The ASLR configuration (/proc/sys/kernel/randomize_va_space) was read, as exploits do to plan memory corruption.'),
  ['/proc/sys/kernel/randomize_va_space'],
  oneOf(['/proc/sys/kernel/randomize_va_space']),
);

export default rule;
