// TRC-1024 proc_mem_code_injection: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { fileWriteRule, meta } from '../helpers.js';

const rule: Rule = fileWriteRule(
  meta('TRC-1024', 'proc_mem_code_injection', 'Code injection detected through /proc/<pid>/mem file', 3, { tactic: 'Defense Evasion', technique: 'Proc Memory', id: 'T1055.009' },
    "A process's memory was opened for writing through /proc/<pid>/mem: possible code injection."),
  ['*/mem'],
  (p) => /^\/proc\/\d+\/mem$/.test(p),
);

export default rule;
