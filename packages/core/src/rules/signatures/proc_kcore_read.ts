// TRC-1021 proc_kcore_read: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { ESCAPE, fileReadRule, meta, oneOf } from '../helpers.js';

const rule: Rule = fileReadRule(
  meta('TRC-1021', 'proc_kcore_read', 'Kcore memory file read', 2, ESCAPE,
    "/proc/kcore (the host's physical memory as a core file) was read."),
  ['/proc/kcore'],
  oneOf(['/proc/kcore']),
);

export default rule;
