// TRC-1015 hidden_file_created: Tracee's signature of the same id.
import { filter, map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { argOf, isElf, meta, str } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1015', 'hidden_file_created', 'Hidden executable creation detected', 2, { tactic: 'Defense Evasion', technique: 'Hidden Files and Directories', id: 'T1564.001', stixId: 'attack-pattern--ec8fc7e2-b356-455c-8db5-2e37be158e7d', kubernetesTechnique: '' },
    'An ELF executable was written to a hidden path (one containing "/.": a file or directory whose name starts with a dot), judged by what was written (the first bytes at the start of the file are the ELF magic), whatever its mode or the name the writer used.'),
  // magic_write: the first bytes written at offset 0 of a regular file, with its absolute path
  events: [{ event: 'magic_write', filters: ['data.pathname=*/.*'] }],
  detect: () => (events$) =>
    events$.pipe(
      filter((e) => isElf(argOf(e, 'bytes')) && str(e, 'pathname').includes('/.')),
      map((event) => ({ event })),
    ),
};

export default rule;
