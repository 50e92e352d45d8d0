// TRC-1012 default_loader_mod: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { fileWriteRule, meta } from '../helpers.js';

const rule: Rule = fileWriteRule(
  meta('TRC-1012', 'default_loader_mod', 'Default dynamic loader modification detected', 3, { tactic: 'Defense Evasion', technique: 'Hijack Execution Flow', id: 'T1574' },
    'The dynamic loader (ld.so), which runs before every dynamically linked program, was written or replaced.'),
  ['/lib*', '/usr/lib*'],
  (p) => /^\/(lib|usr\/lib).*\/ld.*\.so[^/]*$/.test(p),
);

export default rule;
