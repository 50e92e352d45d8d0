// TRC-1020 proc_fops_hooking: Tracee's signature of the same id
// (signatures/golang/proc_fops_hooking.go): a hooked_proc_fops event whose
// hooked_fops_pointers is not empty; its data is that list.
import { filter, map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { argOf, meta } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1020', 'proc_fops_hooking', 'File operations hooking on proc filesystem detected', 3, { tactic: 'Defense Evasion', technique: 'Rootkit', id: 'T1014', stixId: 'attack-pattern--0f20e3cb-245b-4a61-8a91-2d93f7cb0e9b', kubernetesTechnique: '' },
    "File operations hooking on the proc filesystem detected. /proc shows the running processes as files, which is how ps and top list them; by replacing the functions of /proc's file operations (such as listing a directory) an adversary controls what they show, and may hijack the execution flow to run its own code. It is done by rootkits, and may mean the host's kernel is compromised. Hidden modules are marked as hidden symbol owners, a further sign of an adversary."),
  events: [{ event: 'hooked_proc_fops' }],
  detect: () => (events$) =>
    events$.pipe(
      map((event) => ({ event, hooked: argOf(event, 'hooked_fops_pointers') })),
      filter(({ hooked }) => Array.isArray(hooked) && hooked.length > 0),
      map(({ event, hooked }) => ({ event, data: { 'Hooked proc file operations': hooked } })),
    ),
};

export default rule;
