// TRC-1022 dropped_executable: Tracee's signature of the same id.
import { filter, map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { IN_CONTAINER, MEMORY_PATH, STARTED_CONTAINER_EVENTS, StartedContainers, argOf, isElf, meta, str } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1022', 'dropped_executable', 'New executable dropped', 2, { tactic: 'Defense Evasion', technique: 'Masquerading', id: 'T1036', stixId: 'attack-pattern--42e8de7b-37b2-4258-905a-6897815e58e0', kubernetesTechnique: '' },
    "A started container wrote an ELF executable to a file (the first bytes written at its start are the ELF magic), not in memory (memfd, /dev/shm, /run/shm): container images hold the programs they need, a dropped one may be an adversary's."),
  events: [
    // the first bytes written at offset 0 of a regular file
    { event: 'magic_write', filters: [IN_CONTAINER] },
    ...STARTED_CONTAINER_EVENTS,
  ],
  detect: () => (events$) => {
    const started = new StartedContainers();
    return events$.pipe(
      filter((e) => {
        started.observe(e);
        return e.eventName === 'magic_write' && started.has(e) && isElf(argOf(e, 'bytes')) && !MEMORY_PATH.test(str(e, 'pathname'));
      }),
      map((event) => ({ event, data: { path: str(event, 'pathname') } })),
    );
  },
};

export default rule;
