// TRC-1015 hidden_file_created: Tracee's signature of the same id.
import { filter, map } from 'rxjs';
import type { Rule } from '../rule.js';
import { O_CREAT, meta, num, str } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1015', 'hidden_file_created', 'Hidden executable creation detected', 2, { tactic: 'Defense Evasion', technique: 'Hidden Files and Directories', id: 'T1564.001' },
    'An executable file was created (or made executable) under a hidden name (a path component starting with a dot). Judged by the mode given, not by the contents, until the kernel reports written bytes.'),
  events: [
    { event: 'openat', filters: ['data.pathname=*/.*', 'retval>=0'] },
    { event: 'creat', filters: ['data.pathname=*/.*', 'retval>=0'] },
    { event: 'chmod', filters: ['data.pathname=*/.*', 'retval=0'] },
    { event: 'fchmodat', filters: ['data.pathname=*/.*', 'retval=0'] },
  ],
  detect: () => (events$) =>
    events$.pipe(
      filter((e) => {
        const path = str(e, 'pathname');
        const created = e.eventName === 'creat' || (e.eventName === 'openat' && (num(e, 'flags') & O_CREAT) !== 0) || e.eventName.endsWith('chmod') || e.eventName === 'fchmodat';
        return e.returnValue >= 0 && created && (num(e, 'mode') & 0o111) !== 0 && /\/\.[^/.]/.test(path);
      }),
      map((event) => ({ event, data: { path: str(event, 'pathname') } })),
    ),
};

export default rule;
