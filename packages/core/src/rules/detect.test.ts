// detect() and the process tree without a kernel: synthetic events.
import { concat, filter, from, lastValueFrom, map, merge, mergeMap, of, take, toArray } from 'rxjs';
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
    mountNamespace: 1, pidNamespace: 1, processorId: 0, processName, containerId: '', container: {}, kubernetes: {}, eventName, matchedPolicies: [], argsNum: 0,
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

  it("byPolicy: a rule gets the events of the names it declared that its own policy matched (its id in matchedPolicies); without it, every event it names", async () => {
    const a = rule('A', () => (src) => src.pipe(map((event) => ({ event }))));
    const b = { ...rule('B', () => (src) => src.pipe(map((event) => ({ event })))), events: [{ event: 'openat' }, { event: 'close' }] };
    const matched = (name: string, pid: number, policies: string[]) => ({ ...ev(name, P + pid, P, 'x'), matchedPolicies: policies });
    const events = [
      matched('openat', 1, ['A']),
      matched('openat', 2, ['B']),
      matched('openat', 3, ['process-tree', 'A', 'B']),
      matched('openat', 4, ['process-tree']),
      // A's policy named, but A declared no close
      matched('close', 5, ['A', 'B']),
    ];
    const found = async (byPolicy: boolean) => (await lastValueFrom(from(events).pipe(detect([a, b], { byPolicy }), toArray()))).map((f) => `${f.rule.id} ${f.event.hostProcessId - P}`);
    expect(await found(true)).toEqual(['A 1', 'B 2', 'A 3', 'B 3', 'B 5']);
    expect(await found(false)).toEqual(['A 1', 'B 1', 'A 2', 'B 2', 'A 3', 'B 3', 'A 4', 'B 4', 'B 5']);
  });

  it("a rule's operator may subscribe to its events more than once: each subscription gets every event, one that ends early leaves the others going", async () => {
    const twice = rule('TWICE', () => (src) =>
      merge(
        src.pipe(map((event) => ({ event, data: { via: 'all' } }))),
        src.pipe(take(1), map((event) => ({ event, data: { via: 'first' } }))),
        src.pipe(filter((e) => e.hostProcessId === P + 3), map((event) => ({ event, data: { via: 'third' } }))),
      ),
    );
    const events = [1, 2, 3].map((i) => ev('openat', P + i, P, 'x'));
    const out = await lastValueFrom(from(events).pipe(detect([twice]), toArray()));
    expect(out.map((f) => `${f.event.hostProcessId - P} ${f.data.via}`)).toEqual(['1 all', '1 first', '2 all', '3 all', '3 third']);
    // subscribed again once its events ended (concat): it gets their end, as from a Subject, and its last match goes out
    const after = rule('AFTER', () => (src) => src.pipe(toArray(), mergeMap((all) => concat(src, of(all[all.length - 1]))), map((event) => ({ event }))));
    const last = await lastValueFrom(from(events).pipe(detect([after]), toArray()));
    expect(last.map((f) => f.event.hostProcessId - P)).toEqual([3]);
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
