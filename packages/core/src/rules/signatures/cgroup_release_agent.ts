// TRC-1010 cgroup_release_agent: Tracee's signature of the same id
// (signatures/golang/cgroup_release_agent_modification.go).
import type { Rule } from '../rule.js';
import { ESCAPE, meta, pathBase, traceeFileRule } from '../helpers.js';

const rule: Rule = traceeFileRule(
  meta('TRC-1010', 'cgroup_release_agent', 'Cgroups release agent file modification', 3, ESCAPE,
    "A process in a container opened a file named release_agent for writing, or renamed a file onto that name. The kernel runs a cgroup's release_agent as root on the host when the cgroup empties: a known container escape. As in Tracee, any file of that name counts. Where the rename hook cannot be traced, renames are the rename syscalls' (successful ones; a relative new path is judged too, as only its last name matters)."),
  { container: true, open: 'write', rename: 'new', relativeRenames: true, matches: (p) => pathBase(p) === 'release_agent', kernel: ['*/release_agent', 'release_agent'] },
);

export default rule;
