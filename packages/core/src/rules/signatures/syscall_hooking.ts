// TRC-1030 syscall_hooking: Tracee's signature of the same id
// (signatures/golang/syscall_table_hooking.go): every hooked_syscall event
// is a finding (each is one syscall table entry pointing outside the
// kernel's text; see hooked_syscall in bpf/events.tbl).
import { map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { meta } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1030', 'syscall_hooking', 'Syscall table hooking detected', 3, { tactic: 'Defense Evasion', technique: 'Rootkit', id: 'T1014', stixId: 'attack-pattern--0f20e3cb-245b-4a61-8a91-2d93f7cb0e9b', kubernetesTechnique: '' },
    "Syscall table hooking detected. Syscalls are the interface between user programs and the kernel: by hooking the syscall table an adversary controls basic functions of the system, such as reading and writing files, and may hijack the execution flow to run its own code. It is done by rootkits, and may mean the host's kernel is compromised. Hidden modules are marked as hidden symbol owners, a further sign of an adversary."),
  events: [{ event: 'hooked_syscall' }],
  detect: () => (events$) => events$.pipe(map((event) => ({ event }))),
};

export default rule;
