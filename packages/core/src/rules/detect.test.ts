// detect() and the process tree without a kernel: synthetic events.
import { from, lastValueFrom, map, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { TraceeEvent } from '../generated/schema.js';
import { BUILTIN_RULES } from './builtin.js';
import { detect } from './detect.js';
import { ProcessTree } from './process-tree.js';
import type { Rule } from './rule.js';

// pids far above any real one: the tree must not find them in /proc
const P = 4_000_000;
function ev(eventName: string, hostProcessId: number, hostParentProcessId: number, processName: string, args: Record<string, unknown> = {}): TraceeEvent {
  return {
    timestamp: 1, threadStartTime: 1, cgroupId: 1, returnValue: 0, eventId: 0, syscall: -1, hostProcessId, hostThreadId: hostProcessId,
    hostParentProcessId, processId: hostProcessId, threadId: hostProcessId, parentProcessId: hostParentProcessId, userId: 0, groupId: 0,
    mountNamespace: 1, pidNamespace: 1, processorId: 0, processName, eventName, matchedPolicies: [], argsNum: 0,
    args: Object.entries(args).map(([name, value]) => ({ name, type: '', value: value as never })), truncated: false, atEntry: false, argsUnknown: false,
    unreadable: [],
  };
}
const rule = (id: string, detectFn: Rule['detect']): Rule => ({
  id, eventName: id.toLowerCase(), name: id, description: '', severity: 1, mitre: { tactic: 't', technique: 't', id: 'T0' }, events: [{ event: 'openat' }], detect: detectFn,
});

describe('detect', () => {
  it('a rule that throws is stopped and reported; the others go on', async () => {
    const failures: string[] = [];
    const throwing = rule('BAD', () => (src) => src.pipe(map(() => { throw new Error('boom'); })));
    const good = rule('GOOD', () => (src) => src.pipe(map((event) => ({ event }))));
    const events = [ev('openat', P + 1, P, 'a'), ev('openat', P + 1, P, 'a'), ev('close', P + 1, P, 'a')];
    const out = await lastValueFrom(from(events).pipe(detect([throwing, good], { onRuleError: (f) => failures.push(`${f.rule}: ${(f.error as Error).message}`) }), toArray()));
    expect(out.map((f) => f.rule.id)).toEqual(['GOOD', 'GOOD']);
    expect(failures).toEqual(['BAD: boom']);
  });

  it("findings carry the process's ancestry, kept from fork and exec events", async () => {
    const good = rule('GOOD', () => (src) => src.pipe(map((event) => ({ event, data: { x: 1 } }))));
    const events = [
      ev('sched_process_fork', P + 1, P, 'bash', { child_pid: P + 2, start_time: 5 }),
      ev('sched_process_exec', P + 2, P + 1, 'cat', { pathname: '/usr/bin/cat' }),
      ev('openat', P + 2, P + 1, 'cat'),
    ];
    const [f] = await lastValueFrom(from(events).pipe(detect([good]), toArray()));
    expect(f.ancestry.map((p) => [p.hostPid, p.comm, p.previousComm, p.executable])).toEqual([
      [P + 2, 'cat', 'bash', '/usr/bin/cat'],
      [P + 1, 'bash', '', ''],
    ]);
    expect(f.data).toEqual({ x: 1 });
  });

  it('the process tree stays within its bound, dropping exited processes first', () => {
    const tree = new ProcessTree(100);
    for (let i = 0; i < 300; i++) {
      tree.observe(ev('openat', P + i, P, 'x'));
      if (i % 2 === 0) tree.observe(ev('sched_process_exit', P + i, P, 'x', { process_group_exit: 1 }));
    }
    expect(tree.size).toBeLessThanOrEqual(100);
    // the latest live one is kept
    expect(tree.get(P + 299)?.exited).toBe(false);
  });

  it("Tracee's recorded events: TRC-107 on sched_process_exec's env, TRC-104 on its mem_prot_alert 4 (W+X made X)", async () => {
    const events = [
      ev('sched_process_exec', P + 1, P, 'true', { pathname: '/bin/true', env: ['PATH=/bin', 'LD_PRELOAD=/tmp/evil.so'] }),
      ev('sched_process_exec', P + 2, P, 'true', { pathname: '/bin/true', env: ['PATH=/bin', 'LD_PRELOADED=1'] }),
      ev('mem_prot_alert', P + 3, P, 'jit', { alert: 4 }),
      ev('mem_prot_alert', P + 4, P, 'jit', { alert: 2, prot: 4 }),
    ];
    const out = await lastValueFrom(from(events).pipe(detect(BUILTIN_RULES), toArray()));
    expect(out.map((f) => [f.rule.id, f.event.hostProcessId, f.data])).toEqual([
      ['TRC-107', P + 1, { LD_PRELOAD: 'LD_PRELOAD=/tmp/evil.so' }],
      ['TRC-104', P + 3, {}],
    ]);
  });
});
