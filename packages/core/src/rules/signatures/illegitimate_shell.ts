// TRC-1016 illegitimate_shell: Tracee's signature of the same id.
import { filter, map } from '../../rx.js';
import type { Rule, RuleContext } from '../rule.js';
import { SHELLS, WEB_SERVERS, meta, preferTracee, str } from '../helpers.js';

/** Tracee's test: the file executed ends in /<shell>. */
const isShell = (path: string) => SHELLS.some((s) => path.endsWith(`/${s}`));

const rule: Rule = {
  ...meta('TRC-1016', 'illegitimate_shell', 'Web server spawned a shell', 2, { tactic: 'Initial Access', technique: 'Exploit Public-Facing Application', id: 'T1190', stixId: 'attack-pattern--3f886f2a-874f-4333-b794-aa6075009b1c', kubernetesTechnique: '' },
    "A web server's process (by its name) executed a shell (a file ending in /sh, /bash, /dash...): web servers do not run shells, an adversary exploiting one does. Where security_bprm_check does not run here, sched_process_exec: the file that runs (a script's interpreter, not the script) and the process's name before the exec."),
  events: [
    { event: 'security_bprm_check', filters: [`comm=${WEB_SERVERS.join(',')}`] },
    // our equivalent: the exec, with the comm it had before (the process tree's)
    { event: 'sched_process_exec' },
  ],
  detect: ({ tree }: RuleContext) => (events$) => {
    const judged = preferTracee(['security_bprm_check'], ['sched_process_exec']);
    return events$.pipe(
      filter(judged),
      filter((e) => {
        // the comm at security_bprm_check is the one before the exec
        const comm = e.eventName === 'security_bprm_check' ? e.processName : (tree.get(e.hostProcessId)?.previousComm ?? '');
        return WEB_SERVERS.includes(comm) && isShell(str(e, 'pathname'));
      }),
      map((event) => ({ event })),
    );
  },
};

export default rule;
