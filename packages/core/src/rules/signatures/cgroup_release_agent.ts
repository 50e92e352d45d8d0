// TRC-1010 cgroup_release_agent: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { ESCAPE, basename, fileWriteRule, meta } from '../helpers.js';

const rule: Rule = fileWriteRule(
  meta('TRC-1010', 'cgroup_release_agent', 'Cgroups release agent file modification', 3, ESCAPE,
    "A cgroup's release_agent file was written: the kernel runs that program on the host, a known container escape."),
  ['*/release_agent'],
  (p) => basename(p) === 'release_agent',
);

export default rule;
