// TRC-103 ptrace_code_injection: Tracee's signature of the same id.
import { filter, map } from 'rxjs';
import type { Rule } from '../rule.js';
import { PTRACE, meta, num } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-103', 'ptrace_code_injection', 'Code injection detected using ptrace', 3, { tactic: 'Defense Evasion', technique: 'Ptrace System Calls', id: 'T1055.008' },
    'Possible code injection into another process: it wrote into its memory with ptrace (PTRACE_POKETEXT, PTRACE_POKEDATA).'),
  events: [{ event: 'ptrace', filters: [`data.request=${PTRACE('PTRACE_POKETEXT')},${PTRACE('PTRACE_POKEDATA')}`] }],
  detect: () => (events$) =>
    events$.pipe(
      filter((e) => [PTRACE('PTRACE_POKETEXT'), PTRACE('PTRACE_POKEDATA')].includes(num(e, 'request'))),
      map((event) => ({ event, data: { 'target pid': num(event, 'pid') } })),
    ),
};

export default rule;
