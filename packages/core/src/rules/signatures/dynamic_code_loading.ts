// TRC-104 dynamic_code_loading: Tracee's signature of the same id.
import { filter, map } from 'rxjs';
import type { Rule } from '../rule.js';
import { PROT_EXEC, PROT_WRITE, meta, num } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-104', 'dynamic_code_loading', 'Dynamic code loading detected', 2, { tactic: 'Defense Evasion', technique: 'Software Packing', id: 'T1027.002' },
    "Memory was made both writable and executable (mmap or mprotect with PROT_WRITE|PROT_EXEC): writing code into executable memory runs it without dropping an executable."),
  // the kernel sends only those (mem_prot_alert)
  events: [{ event: 'mem_prot_alert' }],
  detect: () => (events$) =>
    events$.pipe(
      // W+X (ours, and Tracee's mmap alert); or Tracee's alert 4, W+X made
      // X, which only its LSM hook sees (recorded Tracee events replayed)
      filter((e) => (num(e, 'prot') & (PROT_WRITE | PROT_EXEC)) === (PROT_WRITE | PROT_EXEC) || num(e, 'alert') === 4),
      map((event) => ({ event, data: { alert: num(event, 'alert') } })),
    ),
};

export default rule;
