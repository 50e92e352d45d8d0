// TRC-1023 proc_mem_access: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { fileReadRule, meta } from '../helpers.js';

const rule: Rule = fileReadRule(
  meta('TRC-1023', 'proc_mem_access', 'Process memory access detected', 3, { tactic: 'Credential Access', technique: 'Proc Filesystem', id: 'T1003.007' },
    "Another process's memory was opened for reading through /proc/<pid>/mem, as credential stealers do."),
  ['*/mem'],
  (p) => /^\/proc\/\d+\/mem$/.test(p),
);

export default rule;
