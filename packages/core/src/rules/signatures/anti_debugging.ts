// TRC-102 anti_debugging: Tracee's signature of the same id.
import { filter, map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { PTRACE, meta, num } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-102', 'anti_debugging', 'Anti-Debugging detected', 1, { tactic: 'Defense Evasion', technique: 'Debugger Evasion', id: 'T1622', stixId: 'attack-pattern--e4dc8c01-417f-458d-9ee0-bb0617c1b391', kubernetesTechnique: '' },
    'A process used anti-debugging techniques (ptrace(PTRACE_TRACEME)) to block a debugger. Malware uses anti-debugging to stay invisible and inhibit analysis of its behaviour.'),
  events: [{ event: 'ptrace', filters: [`data.request=${PTRACE('PTRACE_TRACEME')}`] }],
  detect: () => (events$) => events$.pipe(filter((e) => num(e, 'request') === PTRACE('PTRACE_TRACEME')), map((event) => ({ event }))),
};

export default rule;
