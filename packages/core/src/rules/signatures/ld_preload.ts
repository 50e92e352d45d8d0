// TRC-107 ld_preload: Tracee's signature of the same id.
import { mergeMap } from 'rxjs';
import type { Rule, RuleMatch } from '../rule.js';
import { PRELOAD_ENVS, envVar, fileWrite, fileWriteEvents, matchesOf, meta, oneOf } from '../helpers.js';

const rule: Rule = {
...meta('TRC-107', 'ld_preload', 'LD_PRELOAD code injection detected', 2, { tactic: 'Persistence', technique: 'Hijack Execution Flow: Dynamic Linker Hijacking', id: 'T1574.006' },
  'A program was executed with LD_PRELOAD or LD_LIBRARY_PATH in its environment, or /etc/ld.so.preload was written: the dynamic loader loads the libraries they name into the program (or every program).'),
// sched_process_exec carries the new program's environment (with
// execEnv), whichever exec made it (execve, execveat, fexecve), as
// Tracee's does; execve's envp is read too, for recorded events
events: [...fileWriteEvents(['/etc/ld.so.preload']), { event: 'sched_process_exec' }],
execEnv: true,
detect: () => (events$) =>
  events$.pipe(
    mergeMap((e): RuleMatch[] => {
      if (e.eventName !== 'execve' && e.eventName !== 'sched_process_exec') return matchesOf(fileWrite(e, oneOf(['/etc/ld.so.preload'])));
      const name = e.returnValue === 0 ? PRELOAD_ENVS.find((n) => envVar(e, n) !== undefined) : undefined;
      return name ? [{ event: e, data: { [name]: envVar(e, name) } }] : [];
    }),
  ),
};

export default rule;
