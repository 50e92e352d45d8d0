// TRC-107 ld_preload: Tracee's signature of the same id.
import { filter } from '../../rx.js';
import type { Rule } from '../rule.js';
import { PRELOAD_ENVS, RENAME_EVENTS, argOf, isFileWrite, matchEach, meta, num, preferTracee, str } from '../helpers.js';

const PRELOAD_PATH = '/etc/ld.so.preload';

/** What an entry setting one of PRELOAD_ENVS starts with (`LD_PRELOAD=`), and its name. */
const PREFIXES = PRELOAD_ENVS.map((name) => [`${name}=`, name] as const);

/** Tracee's verdict on an exec's environment: the first entry (in order) that sets one of PRELOAD_ENVS, as the whole entry. */
function preloadEnv(env: unknown): Record<string, string> | undefined {
  if (!Array.isArray(env)) return undefined;
  for (const entry of env) {
    // every exec's whole environment comes here: the common prefix first
    if (typeof entry !== 'string' || !entry.startsWith('LD_')) continue;
    for (const [prefix, name] of PREFIXES) if (entry.startsWith(prefix)) return { [name]: entry };
  }
  return undefined;
}

const rule: Rule = {
  ...meta('TRC-107', 'ld_preload', 'LD_PRELOAD code injection detected', 2, { tactic: 'Persistence', technique: 'Hijack Execution Flow', id: 'T1574', stixId: 'attack-pattern--aedfca76-3b30-4866-b2aa-0f1d7fd1e4b6', kubernetesTechnique: '' },
    'A program was executed with LD_PRELOAD or LD_LIBRARY_PATH in its environment, or a file ending in /etc/ld.so.preload was opened for writing or renamed into place: the dynamic loader loads the libraries they name into the program (or every program). Where security_inode_rename does not run here, renames are the rename syscalls that succeeded, by the new path as given (a relative one is not seen).'),
  events: [
    // the program's environment, however it was exec'd (execEnv)
    { event: 'sched_process_exec' },
    { event: 'security_file_open', filters: [`data.pathname=*${PRELOAD_PATH}`] },
    { event: 'security_inode_rename', filters: [`data.new_path=*${PRELOAD_PATH}`] },
    // our equivalent of security_inode_rename: the syscalls that renamed
    ...RENAME_EVENTS.map((event) => ({ event, filters: [`data.newpath=*${PRELOAD_PATH}`, 'retval=0'] })),
  ],
  execEnv: true,
  detect: () => (events$) => {
    const judged = preferTracee(['security_inode_rename'], RENAME_EVENTS);
    return events$.pipe(
      filter(judged),
      matchEach((e) => {
        switch (e.eventName) {
          case 'sched_process_exec': {
            const data = preloadEnv(argOf(e, 'env'));
            return data ? { event: e, data } : undefined;
          }
          case 'security_file_open':
            return str(e, 'pathname').endsWith(PRELOAD_PATH) && isFileWrite(num(e, 'flags')) ? { event: e } : undefined;
          case 'security_inode_rename':
            return str(e, 'new_path').endsWith(PRELOAD_PATH) ? { event: e } : undefined;
          default:
            // rename, renameat, renameat2: most refusals come before the hook (lookups, permissions), so only a rename that happened counts
            return e.returnValue === 0 && str(e, 'newpath').endsWith(PRELOAD_PATH) ? { event: e } : undefined;
        }
      }),
    );
  },
};

export default rule;
