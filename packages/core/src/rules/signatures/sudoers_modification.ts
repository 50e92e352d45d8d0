// TRC-1028 sudoers_modification: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { either, fileWriteRule, meta, oneOf, under } from '../helpers.js';

const rule: Rule = fileWriteRule(
  meta('TRC-1028', 'sudoers_modification', 'Sudoers file modification detected', 2, { tactic: 'Privilege Escalation', technique: 'Sudo and Sudo Caching', id: 'T1548.003' },
    'The sudoers file (sudo\'s permissions) was written: adversaries alter it to run commands as other users.'),
  ['/etc/sudoers', '/etc/sudoers.d/*'],
  either(oneOf(['/etc/sudoers']), under(['/etc/sudoers.d/'])),
);

export default rule;
