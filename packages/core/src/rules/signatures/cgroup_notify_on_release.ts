// TRC-106 cgroup_notify_on_release: Tracee's signature of the same id
// (signatures/golang/cgroup_notify_on_release_modification.go).
import type { Rule } from '../rule.js';
import { ESCAPE, meta, pathBase, traceeFileRule } from '../helpers.js';

const rule: Rule = traceeFileRule(
  meta('TRC-106', 'cgroup_notify_on_release', 'Cgroups notify_on_release file modification', 3, ESCAPE,
    "A process in a container opened a file named notify_on_release for writing. A cgroup's notify_on_release makes the kernel run the cgroup's release_agent, a program on the host, when the cgroup empties: a known container escape. As in Tracee, any file of that name counts, and renames onto one are not judged."),
  { container: true, open: 'write', matches: (p) => pathBase(p) === 'notify_on_release', kernel: ['*/notify_on_release'] },
);

export default rule;
