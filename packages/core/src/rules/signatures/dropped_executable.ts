// TRC-1022 dropped_executable: Tracee's signature of the same id.
import { mergeMap } from 'rxjs';
import type { Rule, RuleMatch } from '../rule.js';
import { ELF_MAGIC, MEMORY_PATH, argOf, meta, str } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1022', 'dropped_executable', 'New executable dropped', 2, { tactic: 'Defense Evasion', technique: 'Masquerading', id: 'T1036' },
    'An ELF executable was written to a file (the first bytes written at its start are the ELF magic): a program that was not installed, as attackers drop their tools.'),
  // the kernel sends only first writes at offset 0 of regular files
  events: [{ event: 'magic_write' }],
  detect: () => (events$) =>
    events$.pipe(
      mergeMap((e): RuleMatch[] => {
        const bytes = argOf(e, 'bytes');
        const path = str(e, 'pathname');
        return Array.isArray(bytes) && ELF_MAGIC.every((b, i) => bytes[i] === b) && !MEMORY_PATH.test(path) ? [{ event: e, data: { path } }] : [];
      }),
    ),
};

export default rule;
