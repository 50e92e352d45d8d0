// TRC-103 ptrace_code_injection: Tracee's signature of the same id.
import { filter, map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { PTRACE, meta, num } from '../helpers.js';

const POKES = [PTRACE('PTRACE_POKETEXT'), PTRACE('PTRACE_POKEDATA')];

const rule: Rule = {
  ...meta('TRC-103', 'ptrace_code_injection', 'Code injection detected using ptrace', 3, { tactic: 'Defense Evasion', technique: 'Ptrace System Calls', id: 'T1055.008', stixId: 'attack-pattern--ea016b56-ae0e-47fe-967a-cc0ad51af67f', kubernetesTechnique: '' },
    'Possible code injection into another process: a ptrace call wrote into its memory (PTRACE_POKETEXT or PTRACE_POKEDATA), whether or not the kernel let it.'),
  events: [{ event: 'ptrace', filters: [`data.request=${POKES.join(',')}`] }],
  // Tracee's Data is nil; the target is the event's own pid argument
  detect: () => (events$) => events$.pipe(filter((e) => POKES.includes(num(e, 'request'))), map((event) => ({ event }))),
};

export default rule;
