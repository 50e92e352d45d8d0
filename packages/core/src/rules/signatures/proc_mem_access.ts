// TRC-1023 proc_mem_access: Tracee's signature of the same id
// (signatures/golang/proc_mem_access.go).
import type { Rule } from '../rule.js';
import { meta, traceeFileRule } from '../helpers.js';

// Tracee's expression, unanchored: /proc/(?:\d.+)/mem$ (Go's `.`: any
// character but a newline). A digit then at least one more character: a
// one-digit pid (/proc/1/mem) and /proc/self/mem do not match, while
// /proc/<pid>/task/<tid>/mem and a /proc mounted elsewhere do.
const PROC_MEM = /\/proc\/(?:\d[^\n]+)\/mem$/;

const rule: Rule = traceeFileRule(
  meta('TRC-1023', 'proc_mem_access', 'Process memory access detected', 3, { tactic: 'Credential Access', technique: 'Proc Filesystem', id: 'T1003.007', stixId: 'attack-pattern--3120b9fa-23b8-4500-ae73-09494f607b7d', kubernetesTechnique: '' },
    "A process's memory file (/proc/<pid>/mem, Tracee's pattern: pids of two digits or more, and task/<tid>/mem) was opened for reading (read-only or read-write), as credential stealers read other processes' secrets."),
  { open: 'read', matches: (p) => PROC_MEM.test(p), kernel: ['*/mem'] },
);

export default rule;
