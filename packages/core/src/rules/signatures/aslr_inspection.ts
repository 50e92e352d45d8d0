// TRC-109 aslr_inspection: Tracee's signature of the same id
// (signatures/golang/aslr_inspection.go).
import type { Rule } from '../rule.js';
import { meta, traceeFileRule } from '../helpers.js';

const PATH = '/proc/sys/kernel/randomize_va_space';

const rule: Rule = traceeFileRule(
  meta('TRC-109', 'aslr_inspection', 'ASLR inspection detected', 0, { tactic: 'Privilege Escalation', technique: 'Exploitation for Privilege Escalation', id: 'T1068', stixId: 'attack-pattern--b21c3b2d-02e6-45b1-980b-e69051040839', kubernetesTechnique: '' },
    'The ASLR setting (/proc/sys/kernel/randomize_va_space) was opened for reading (read-only or read-write), as exploits do before relying on fixed addresses.'),
  { open: 'read', matches: (p) => p === PATH, kernel: [PATH] },
);

export default rule;
