// TRC-1021 proc_kcore_read: Tracee's signature of the same id
// (signatures/golang/proc_kcore_read.go).
import type { Rule } from '../rule.js';
import { ESCAPE, meta, traceeFileRule } from '../helpers.js';

const rule: Rule = traceeFileRule(
  meta('TRC-1021', 'proc_kcore_read', 'Kcore memory file read', 2, ESCAPE,
    "A process in a container opened /proc/kcore (the host's physical memory as a core file; any path ending so, as in Tracee) for reading."),
  { container: true, open: 'read', matches: (p) => p.endsWith('/proc/kcore'), kernel: ['*/proc/kcore'] },
);

export default rule;
