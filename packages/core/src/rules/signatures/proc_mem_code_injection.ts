// TRC-1024 proc_mem_code_injection: Tracee's signature of the same id
// (signatures/golang/proc_mem_code_injection.go).
import type { Rule } from '../rule.js';
import { meta, traceeFileRule } from '../helpers.js';

// Tracee's expression, as TRC-1023's (see proc_mem_access.ts): /proc/(?:\d.+)/mem$
const PROC_MEM = /\/proc\/(?:\d[^\n]+)\/mem$/;

const rule: Rule = traceeFileRule(
  meta('TRC-1024', 'proc_mem_code_injection', 'Code injection detected through /proc/<pid>/mem file', 3, { tactic: 'Defense Evasion', technique: 'Proc Memory', id: 'T1055.009', stixId: 'attack-pattern--d201d4cc-214d-4a74-a1ba-b3fa09fd4591', kubernetesTechnique: '' },
    "A process's memory file (/proc/<pid>/mem, Tracee's pattern: pids of two digits or more, and task/<tid>/mem) was opened for writing (write-only or read-write): a way to inject code into another process."),
  { open: 'write', matches: (p) => PROC_MEM.test(p), kernel: ['*/mem'] },
);

export default rule;
