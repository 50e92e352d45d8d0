// TRC-1012 default_loader_mod: Tracee's signature of the same id
// (signatures/golang/default_loader_modification.go).
import type { Rule } from '../rule.js';
import { meta, traceeFileRule } from '../helpers.js';

// Tracee's expression, unanchored at the end: ^\/(lib|usr\/lib).*\/ld.*\.so[^\/]*
// (Go's `.`: any character but a newline). Any path under /lib* or
// /usr/lib* with a name starting "ld" and a ".so" after it matches, e.g.
// /usr/lib/ldscripts/x.so or /usr/lib/ldap/libfoo.so, as Tracee's does.
const LOADER = /^\/(lib|usr\/lib)[^\n]*\/ld[^\n]*\.so[^/]*/;

const rule: Rule = traceeFileRule(
  meta('TRC-1012', 'default_loader_mod', 'Default dynamic loader modification detected', 3, { tactic: 'Defense Evasion', technique: 'Hijack Execution Flow', id: 'T1574', stixId: 'attack-pattern--aedfca76-3b30-4866-b2aa-0f1d7fd1e4b6', kubernetesTechnique: '' },
    "The dynamic loader (ld.so, run before every dynamically linked program; Tracee's pattern: a path under /lib* or /usr/lib* with a name starting \"ld\" followed by \".so\") was opened for writing or had a file renamed onto it. Where the rename hook cannot be traced, renames are the rename syscalls' (successful ones with an absolute new path)."),
  { open: 'write', rename: 'new', matches: (p) => LOADER.test(p), kernel: ['/lib*', '/usr/lib*'] },
);

export default rule;
