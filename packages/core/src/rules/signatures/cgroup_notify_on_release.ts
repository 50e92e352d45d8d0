// TRC-106 cgroup_notify_on_release: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { ESCAPE, basename, fileWriteRule, meta } from '../helpers.js';

const rule: Rule = fileWriteRule(
  meta('TRC-106', 'cgroup_notify_on_release', 'Cgroups notify_on_release file modification', 2, ESCAPE,
    "A cgroup's notify_on_release file was written: with release_agent it runs a program on the host when the cgroup empties, a known container escape."),
  ['*/notify_on_release'],
  (p) => basename(p) === 'notify_on_release',
);

export default rule;
