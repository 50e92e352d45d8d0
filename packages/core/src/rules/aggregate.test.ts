// FindingAggregator and aggregateFindings without a kernel: synthetic
// findings, a fake clock, RxJS's TestScheduler.
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { TraceeEvent } from '../generated/schema.js';
import { rng } from '../testing/prng.js';
import { bootEpochNs, traceeJson } from '../tracee-json.js';
import { aggregateFindings } from './aggregate-findings.js';
import { DEFAULT_MAX_GROUPS, FindingAggregator, findingKey } from './aggregate.js';
import { findingJson } from './finding-json.js';
import type { ProcessInfo } from './process-tree.js';
import { findingEvent, isFindingEvent, type FindingEvent } from './signature-events.js';

function event(eventName: string, over: Partial<TraceeEvent> = {}): TraceeEvent {
  return {
    timestamp: 1, threadStartTime: 100, cgroupId: 1, returnValue: 0, eventId: 0, syscall: -1, hostProcessId: 7, hostThreadId: 7,
    hostParentProcessId: 1, processId: 7, threadId: 7, parentProcessId: 1, userId: 0, groupId: 0, mountNamespace: 1, pidNamespace: 1,
    processorId: 0, processName: 'x', containerId: '', container: {}, kubernetes: {}, eventName, matchedPolicies: ['p'], argsNum: 0, args: [],
    truncated: false, atEntry: false, argsUnknown: false, unreadable: [], ...over,
  };
}

interface Spec {
  rule?: string;
  /** the triggering event's fields */
  trigger?: Partial<TraceeEvent>;
  data?: Record<string, unknown>;
  policies?: string[];
  /** the process tree's start time of the triggering process (ancestry[0]); none: empty ancestry */
  start?: number;
}

/** A finding event as the signature stage makes one (findingEvent). */
function finding(ts: number, spec: Spec = {}): FindingEvent {
  const rule = spec.rule ?? 'TRC-102';
  const trigger = event('ptrace', { ...spec.trigger, timestamp: ts });
  const ancestry: ProcessInfo[] = spec.start === undefined ? [] : [
    { hostPid: trigger.hostProcessId, hostPpid: 1, comm: trigger.processName, previousComm: '', executable: '/x', startTime: spec.start, exited: false, containerId: trigger.containerId },
  ];
  const meta = { id: rule, eventId: 6102, eventName: `sig_${rule}`, name: rule, description: 'd', severity: 3 as const, mitre: { tactic: 'Defense Evasion', technique: 't', id: 'T1' } };
  return findingEvent({ rule: meta, event: trigger, ancestry, data: spec.data ?? {} }, spec.policies ?? ['p']);
}

/** A clock the test moves. */
function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms), set: (ms: number) => void (t = ms) };
}

const aggregates = (out: readonly TraceeEvent[]) => out.filter(isFindingEvent).map((e) => e.finding.aggregate);

describe('FindingAggregator', () => {
  it('events that are not findings pass through unchanged and in order; findings are held', () => {
    const c = clock();
    const a = new FindingAggregator({ windowMs: 1000, now: c.now });
    const plain = [event('openat'), event('close'), event('execve')];
    const out = a.push([plain[0], finding(10), plain[1], finding(11), plain[2]]);
    expect(out).toHaveLength(3);
    out.forEach((e, i) => expect(e).toBe(plain[i]));
    expect(a.stats()).toEqual({ findingsIn: 2, findingsOut: 0, groupsOut: 0, held: 2, open: 1, earlyFlushes: 0 });
  });

  it('identical findings within the window go out once when it closes, as the first with count, first and last', () => {
    const c = clock(5_000);
    const a = new FindingAggregator({ windowMs: 1000, now: c.now });
    const first = finding(300);
    expect(a.push([first, finding(200)])).toEqual([]);
    c.advance(999);
    expect(a.push([finding(500)])).toEqual([]);
    expect(a.due()).toEqual([]);
    expect(a.nextDueAt()).toBe(6_000);
    c.advance(1);
    const [out, ...rest] = a.due();
    expect(rest).toEqual([]);
    // the first finding's event, not changed in place
    expect(out).toEqual({ ...first, finding: { ...first.finding, aggregate: { count: 3, first: 200, last: 500 } } });
    expect(first.finding.aggregate).toBeUndefined();
    expect(a.stats()).toEqual({ findingsIn: 3, findingsOut: 3, groupsOut: 1, held: 0, open: 0, earlyFlushes: 0 });
    expect(a.nextDueAt()).toBeUndefined();
    // the next identical one opens a new window
    a.push([finding(900)]);
    c.advance(1000);
    expect(aggregates(a.due())).toEqual([{ count: 1, first: 900, last: 900 }]);
  });

  it('a window closed before the next push: that push returns the group first, and the identical finding opens a new one', () => {
    const c = clock();
    const a = new FindingAggregator({ windowMs: 100, now: c.now });
    a.push([finding(1), finding(2)]);
    c.advance(100);
    const plain = event('openat');
    const out = a.push([plain, finding(3)]);
    expect(out).toHaveLength(2);
    expect(aggregates(out.slice(0, 1))).toEqual([{ count: 2, first: 1, last: 2 }]);
    expect(out[1]).toBe(plain);
    expect(aggregates(a.flush())).toEqual([{ count: 1, first: 3, last: 3 }]);
  });

  it('groups go out in the order they opened; flush sends out every open group', () => {
    const c = clock();
    const a = new FindingAggregator({ windowMs: 100, now: c.now });
    a.push([finding(1, { rule: 'A' }), finding(2, { rule: 'B' })]);
    c.advance(50);
    a.push([finding(3, { rule: 'C' }), finding(4, { rule: 'A' })]);
    c.advance(50);
    const due = a.due();
    expect(due.map((e) => [(e as FindingEvent).finding.rule.id, (e as FindingEvent).finding.aggregate!.count])).toEqual([['A', 2], ['B', 1]]);
    expect(a.flush().map((e) => [(e as FindingEvent).finding.rule.id, (e as FindingEvent).finding.aggregate!.count])).toEqual([['C', 1]]);
    expect(a.stats()).toEqual({ findingsIn: 4, findingsOut: 4, groupsOut: 3, held: 0, open: 0, earlyFlushes: 0 });
  });

  it('maxGroups: opening one more sends the oldest out early, where the finding that needed its room came, counted in earlyFlushes', () => {
    const c = clock();
    const a = new FindingAggregator({ windowMs: 1000, maxGroups: 2, now: c.now });
    const p = event('openat');
    const out = a.push([finding(1, { data: { n: 1 } }), finding(2, { data: { n: 2 } }), finding(3, { data: { n: 1 } }), p, finding(4, { data: { n: 3 } })]);
    expect(out[0]).toBe(p);
    expect(out.slice(1).map((e) => [(e as FindingEvent).finding.data, (e as FindingEvent).finding.aggregate])).toEqual([[{ n: 1 }, { count: 2, first: 1, last: 3 }]]);
    expect(a.stats()).toEqual({ findingsIn: 4, findingsOut: 2, groupsOut: 1, held: 2, open: 2, earlyFlushes: 1 });
    // the early group's key opens again as a new group, sending out the next oldest
    const again = a.push([finding(5, { data: { n: 1 } })]);
    expect(again.map((e) => (e as FindingEvent).finding.data)).toEqual([{ n: 2 }]);
    expect(a.stats()).toMatchObject({ findingsIn: 5, findingsOut: 3, held: 2, open: 2, earlyFlushes: 2 });
    expect(new FindingAggregator({ windowMs: 1 }).maxGroups).toBe(DEFAULT_MAX_GROUPS);
  });

  it('windowMs 0: identical findings of one batch are counted together, and go out at the next push or due()', () => {
    const c = clock();
    const a = new FindingAggregator({ windowMs: 0, now: c.now });
    expect(a.push([finding(1), finding(2)])).toEqual([]);
    expect(aggregates(a.due())).toEqual([{ count: 2, first: 1, last: 2 }]);
  });

  it('options are checked', () => {
    for (const windowMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => new FindingAggregator({ windowMs })).toThrow(/windowMs must be a finite number of ms >= 0/);
    for (const maxGroups of [0, 1.5]) expect(() => new FindingAggregator({ windowMs: 1, maxGroups })).toThrow(/maxGroups must be an integer >= 1/);
  });

  it("the default clock is monotonic time: a window closes after windowMs of it", async () => {
    const a = new FindingAggregator({ windowMs: 30 });
    a.push([finding(1)]);
    expect(a.due()).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(aggregates(a.due())).toEqual([{ count: 1, first: 1, last: 1 }]);
  });
});

describe('findingKey: which findings are identical', () => {
  const same = (x: FindingEvent, y: FindingEvent) => findingKey(x) === findingKey(y);
  it('the timestamp, the thread and the order of data keys do not matter', () => {
    expect(same(finding(1, { data: { a: 1, b: { c: 2, d: [1, 2] } } }), finding(9, { data: { b: { d: [1, 2], c: 2 }, a: 1 } }))).toBe(true);
    // another thread of the same process (its own threadStartTime), the process's start time from the tree
    expect(same(finding(1, { start: 50 }), finding(2, { start: 50, trigger: { hostThreadId: 8, threadId: 8, threadStartTime: 777 } }))).toBe(true);
    expect(same(finding(1, { policies: ['b', 'a'] }), finding(2, { policies: ['a', 'b'] }))).toBe(true);
  });
  it('the rule, pid, process start (pid reuse), name, container, policies and data do', () => {
    const base = finding(1, { start: 50 });
    expect(same(base, finding(1, { start: 50, rule: 'TRC-103' }))).toBe(false);
    expect(same(base, finding(1, { start: 50, trigger: { hostProcessId: 8, hostThreadId: 8 } }))).toBe(false);
    expect(same(base, finding(1, { start: 51 }))).toBe(false);
    expect(same(base, finding(1, { start: 50, trigger: { processName: 'y' } }))).toBe(false);
    expect(same(base, finding(1, { start: 50, trigger: { containerId: 'c0ffee' } }))).toBe(false);
    expect(same(base, finding(1, { start: 50, policies: ['q'] }))).toBe(false);
    expect(same(base, finding(1, { start: 50, data: { x: 1 } }))).toBe(false);
    expect(same(finding(1, { data: { x: 1 } }), finding(1, { data: { x: '1' } }))).toBe(false);
  });
  it('without the process tree: the leader thread\'s threadStartTime tells a reused pid; another thread\'s is not used', () => {
    expect(same(finding(1, { trigger: { threadStartTime: 100 } }), finding(1, { trigger: { threadStartTime: 200 } }))).toBe(false);
    const thread = (threadStartTime: number) => finding(1, { trigger: { hostThreadId: 9, threadStartTime } });
    expect(same(thread(100), thread(200))).toBe(true);
  });
});

describe('aggregated findings are exact (property, seeded)', () => {
  // small key space so groups fill up; random batches, clock steps, due() calls
  it.each(Array.from({ length: 60 }, (_, i) => [i + 1]))('seed %i', (seed) => {
    const r = rng(seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
    const windowMs = pick([0, 1, 10, 100]);
    const bounded = r() < 0.5;
    const maxGroups = bounded ? pick([1, 2, 3, 5]) : 1_000_000;
    const c = clock();
    const a = new FindingAggregator({ windowMs, maxGroups, now: c.now });
    const keyOf = (e: FindingEvent) => `${e.finding.rule.id} ${e.hostProcessId} ${JSON.stringify(e.finding.data)}`;
    // by key: each finding's timestamp (unique, increasing) and the clock when it was pushed
    const pushed = new Map<string, { ts: number; at: number }[]>();
    const plainIn: TraceeEvent[] = [];
    const plainOut: TraceeEvent[] = [];
    const groups: { key: string; count: number; first: number; last: number; at: number }[] = [];
    let ts = 0;
    const take = (out: readonly TraceeEvent[]) => {
      for (const e of out) {
        if (!isFindingEvent(e)) plainOut.push(e);
        else groups.push({ key: keyOf(e), ...e.finding.aggregate!, at: c.now() });
      }
    };
    const check = () => {
      const s = a.stats();
      expect(s.findingsIn).toBe(s.findingsOut + s.held);
      expect(s.open).toBeLessThanOrEqual(maxGroups);
      expect(s.groupsOut).toBe(groups.length);
      expect(s.findingsOut).toBe(groups.reduce((n, g) => n + g.count, 0));
    };
    const steps = 50 + Math.floor(r() * 150);
    for (let step = 0; step < steps; step++) {
      const op = r();
      if (op < 0.6) {
        const batch: TraceeEvent[] = [];
        for (let n = Math.floor(r() * 8); n > 0; n--) {
          if (r() < 0.3) {
            const e = event('openat', { timestamp: ++ts });
            plainIn.push(e);
            batch.push(e);
          } else {
            const f = finding(++ts, { rule: pick(['A', 'B']), trigger: { hostProcessId: pick([1, 2]), hostThreadId: 1 }, data: pick([{}, { x: 1 }, { x: 2, y: [3] }]) });
            const list = pushed.get(keyOf(f)) ?? [];
            list.push({ ts, at: c.now() });
            pushed.set(keyOf(f), list);
            batch.push(f);
          }
        }
        take(a.push(batch));
      } else if (op < 0.8) {
        take(a.due());
        // nothing left whose window has closed
        expect(a.nextDueAt() === undefined || a.nextDueAt()! > c.now()).toBe(true);
      } else {
        c.advance(Math.floor(r() * 2 * windowMs + r() * 3));
      }
      check();
    }
    take(a.flush());
    check();
    const s = a.stats();
    expect(s.held).toBe(0);
    expect(s.open).toBe(0);
    expect(s.findingsIn).toBe([...pushed.values()].reduce((n, l) => n + l.length, 0));
    if (!bounded) expect(s.earlyFlushes).toBe(0);
    // plain events: every one, in order, unchanged
    expect(plainOut).toHaveLength(plainIn.length);
    plainOut.forEach((e, i) => expect(e).toBe(plainIn[i]));
    // each key's findings split into consecutive runs, one per group, in order: exact counts, none lost or counted twice
    for (const [key, list] of pushed) {
      const mine = groups.filter((g) => g.key === key);
      expect(mine.reduce((n, g) => n + g.count, 0)).toBe(list.length);
      let i = 0;
      for (const g of mine) {
        const run = list.slice(i, i + g.count);
        i += g.count;
        expect([g.first, g.last]).toEqual([run[0].ts, run[run.length - 1].ts]);
        // all pushed before the first's window closed (windowMs 0: in its batch)
        const span = run[run.length - 1].at - run[0].at;
        expect(windowMs === 0 ? span === 0 : span < windowMs).toBe(true);
      }
      // unbounded: a group went out only once its window closed, and the next one opened after that
      if (!bounded) {
        let j = 0;
        for (const g of mine.slice(0, -1)) {
          const opened = list[j].at;
          j += g.count;
          expect(g.at).toBeGreaterThanOrEqual(opened + windowMs);
          expect(list[j].at).toBeGreaterThanOrEqual(opened + windowMs);
        }
      }
    }
  });
});

describe('an aggregated finding in JSON', () => {
  it('ends with "aggregate": count, and first and last as exact epoch ns; a finding not aggregated has none', () => {
    const c = clock();
    const a = new FindingAggregator({ windowMs: 10, now: c.now });
    // timestamps past 2^53 once the boot epoch is added: written exactly
    const first = 1_234_567_890_123;
    const last = 1_234_567_999_999;
    a.push([finding(first, { data: { path: '/x' } }), finding(last, { data: { path: '/x' } })]);
    const [agg] = a.flush() as FindingEvent[];
    const line = traceeJson(agg);
    expect(line).toBe(findingJson(agg.finding));
    const epoch = bootEpochNs();
    expect(line.endsWith(`,"aggregate":{"count":2,"firstTimestamp":${epoch + BigInt(first)},"lastTimestamp":${epoch + BigInt(last)}}}`)).toBe(true);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(parsed).slice(-3)).toEqual(['data', 'processAncestry', 'aggregate']);
    expect(parsed.data).toEqual({ path: '/x' });
    // the rest is the first finding's JSON
    const plain = findingJson(finding(first, { data: { path: '/x' } }).finding);
    expect(plain).not.toContain('aggregate');
    expect(line.slice(0, plain.length - 1)).toBe(plain.slice(0, -1));
  });
});

describe('aggregateFindings (RxJS operator)', () => {
  const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  const f = finding(1);
  const g = finding(2, { rule: 'B' });
  const p = event('openat');
  const agg = (e: FindingEvent, count: number, first: number, last: number) => ({ ...e, finding: { ...e.finding, aggregate: { count, first, last } } });
  const values = { f, F: finding(3), g, p };

  it('plain events at once, each group when its window closes (a timer), the rest at completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // f at 0 opens a window closing at 5; F (identical) at 2; g at 4 opens one closing at 9; complete at 7
      const source = cold('f-Fpg--|', values);
      expectObservable(source.pipe(aggregateFindings({ windowMs: 5 }))).toBe('---p-a-(b|)', { p, a: agg(f, 2, 1, 3), b: agg(g, 1, 2, 2) });
    });
  });

  it('windows close on the scheduler given', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const source = cold('f 20ms g 20ms |', values);
      expectObservable(source.pipe(aggregateFindings({ windowMs: 10, scheduler: s }))).toBe('10ms a 20ms b 10ms |', { a: agg(f, 1, 1, 1), b: agg(g, 1, 2, 2) });
    });
  });

  it('an error: the groups held go out first', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('ff#', values).pipe(aggregateFindings({ windowMs: 100 }))).toBe('--(a#)', { a: agg(f, 2, 1, 1) });
    });
  });

  it('empty and never: nothing out; unsubscribing early stops the timer and drops what is held', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      expectObservable(cold<TraceeEvent>('|').pipe(aggregateFindings({ windowMs: 5 }))).toBe('|');
      expectObservable(cold<TraceeEvent>('-').pipe(aggregateFindings({ windowMs: 5 }))).toBe('-');
      const source = cold('fp-------', values);
      expectObservable(source.pipe(aggregateFindings({ windowMs: 5 })), '^--!').toBe('-p', { p });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('maxGroups: the oldest group goes out early, when the next opens', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('f-g-|', values).pipe(aggregateFindings({ windowMs: 100, maxGroups: 1 }))).toBe('--a-(b|)', { a: agg(f, 1, 1, 1), b: agg(g, 1, 2, 2) });
    });
  });
});
