// TRC-1028 sudoers_modification: Tracee's signature of the same id
// (signatures/golang/sudoers_modification.go).
import type { Rule } from '../rule.js';
import { meta, traceeFileRule } from '../helpers.js';

const FILES = ['/etc/sudoers', '/private/etc/sudoers'];
const DIRS = ['/etc/sudoers.d/', '/private/etc/sudoers.d/'];

const rule: Rule = traceeFileRule(
  meta('TRC-1028', 'sudoers_modification', 'Sudoers file modification detected', 2, { tactic: 'Privilege Escalation', technique: 'Sudo and Sudo Caching', id: 'T1548.003', stixId: 'attack-pattern--1365fe3b-0f50-455d-b4da-266ce31c23b0', kubernetesTechnique: '' },
    "The sudoers file (/etc/sudoers) or a file under /etc/sudoers.d/ (or macOS's /private/etc/, as in Tracee) was opened for writing or renamed into place: it says who may run what as whom through sudo. Where the rename hook cannot be traced, renames are the rename syscalls' (successful ones with an absolute new path)."),
  {
    open: 'write',
    rename: 'new',
    matches: (p) => FILES.includes(p) || DIRS.some((d) => p.startsWith(d)),
    kernel: [...FILES, ...DIRS.map((d) => `${d}*`)],
  },
);

export default rule;
