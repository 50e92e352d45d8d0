// TRC-1016 illegitimate_shell: Tracee's signature of the same id.
import { filter, map } from 'rxjs';
import type { Rule, RuleContext } from '../rule.js';
import { SHELLS, WEB_SERVERS, meta } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1016', 'illegitimate_shell', 'Web server spawned a shell', 2, { tactic: 'Initial Access', technique: 'Exploit Public-Facing Application', id: 'T1190' },
    "A web server's process executed a shell: web servers do not run shells, an adversary exploiting one does."),
  events: [{ event: 'sched_process_exec' }],
  detect: ({ tree }: RuleContext) => (events$) =>
    events$.pipe(
      filter((e) => SHELLS.includes(e.processName) && WEB_SERVERS.includes(tree.get(e.hostProcessId)?.previousComm ?? '')),
      map((event) => ({ event, data: { 'web server': tree.get(event.hostProcessId)?.previousComm } })),
    ),
};

export default rule;
