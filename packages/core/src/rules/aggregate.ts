// Aggregated findings (ours: Tracee emits every detection): identical
// findings within a window go out once, with how many there were and when
// the first and last happened. Nothing is dropped: every finding that comes
// in is held in exactly one group until that group goes out, so the counts
// add up exactly ({@link AggregateStats}).
//
// Identical: the same rule, process (host pid, its start time, its name),
// container, user policies and data; see {@link findingKey}.
import { TraceeError } from '../errors.js';
import type { TraceeEvent } from '../generated/schema.js';
import { isFindingEvent, type FindingEvent } from './signature-events.js';

/** Open groups held at most by default: past it the oldest goes out early. */
export const DEFAULT_MAX_GROUPS = 10_000;

export interface AggregateOptions {
  /** How long a group gathers identical findings, in ms from its first finding's arrival (its latency): finite, >= 0. */
  windowMs: number;
  /** Groups held open at most (integer >= 1, default {@link DEFAULT_MAX_GROUPS}); opening one more sends the oldest out early (never dropped). */
  maxGroups?: number;
  /** The clock windows are measured on, in ms (default: performance.now(), monotonic); tests pass a fake one. */
  now?: () => number;
}

/**
 * The aggregation's own counters, since it was made. Always
 * `findingsIn === findingsOut + held`: every finding is either out, counted
 * in a group that went out, or held in an open one.
 */
export interface AggregateStats {
  /** Findings pushed. */
  findingsIn: number;
  /** Findings gone out: the sum of the counts of the groups gone out. */
  findingsOut: number;
  /** Groups gone out (aggregated findings emitted). */
  groupsOut: number;
  /** Findings held in open groups. */
  held: number;
  /** Groups open now (at most maxGroups). */
  open: number;
  /** Groups sent out before their window closed because maxGroups were open. */
  earlyFlushes: number;
}

/** An open group: the first finding, and how many identical ones came in its window. */
interface Group {
  first: FindingEvent;
  count: number;
  /** The earliest and latest triggering events' timestamps (ns since boot). */
  firstTs: number;
  lastTs: number;
  /** Clock time (ms) its window closes. */
  closesAt: number;
}

/** `data` as JSON shows it, object keys sorted, so equal data gives one string whatever the keys' order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  }) ?? 'undefined';
}

/**
 * What makes findings identical: the rule's id; the triggering process's
 * host pid and start time (a pid reused by another process is another
 * process: the start time is the process tree's for the pid, i.e. the
 * ancestry's first entry, else the event's threadStartTime when the event's
 * thread is the process's leader; neither known: by pid and name alone);
 * its name (comm: an exec changes it); its container; the user policies it
 * was emitted for (`matchedPolicies`, sorted: streams and metrics go by
 * them); and the finding's `data` as JSON writes it (keys sorted).
 */
export function findingKey(e: FindingEvent): string {
  const { finding } = e;
  const trigger = finding.event;
  const self = finding.ancestry[0];
  const start = self !== undefined && self.hostPid === trigger.hostProcessId ? self.startTime : trigger.hostThreadId === trigger.hostProcessId ? trigger.threadStartTime : null;
  return JSON.stringify([finding.rule.id, trigger.hostProcessId, start, trigger.processName, trigger.containerId ?? '', [...e.matchedPolicies].sort(), stableJson(finding.data)]);
}

/**
 * Gathers identical findings ({@link findingKey}) for `windowMs` and emits
 * each group once, as its first finding's event with
 * `finding.aggregate = { count, first, last }`; other events pass through.
 *
 * A group opens with a finding whose key has none open, at the clock's
 * time, and closes `windowMs` later: identical findings pushed before then
 * are counted in it, the next one after opens another group. A group goes
 * out when its window has closed (by {@link due}, or at the start of the
 * next {@link push}), when `maxGroups` are open and another must open (the
 * oldest, early: counted in `earlyFlushes`), or at {@link flush}. So a
 * finding waits at most `windowMs` (plus the caller's timer's delay), and
 * memory holds at most `maxGroups` groups (one event each). Groups go out
 * in the order they opened. The input events are not changed.
 *
 * ## Example
 * ```ts
 * const aggregator = new FindingAggregator({ windowMs: 10_000 });
 * write(aggregator.push(batch));                                 // each batch of the trace
 * setInterval(() => write(aggregator.due()), 1_000);             // or a timer at nextDueAt()
 * write(aggregator.flush());                                     // at the end
 * ```
 * @see aggregateFindings, the same as an RxJS operator.
 */
export class FindingAggregator {
  readonly windowMs: number;
  readonly maxGroups: number;
  #now: () => number;
  /** Open groups by key, in the order they opened (and so of their windows' closing). */
  #groups = new Map<string, Group>();
  #findingsIn = 0;
  #findingsOut = 0;
  #groupsOut = 0;
  #held = 0;
  #earlyFlushes = 0;

  /** Throws a TraceeError (EINVAL) for a windowMs that is negative or not finite, a maxGroups not an integer >= 1. */
  constructor(options: AggregateOptions) {
    const { windowMs, maxGroups = DEFAULT_MAX_GROUPS, now = () => performance.now() } = options;
    if (!Number.isFinite(windowMs) || windowMs < 0) throw new TraceeError('EINVAL', `aggregate: windowMs must be a finite number of ms >= 0, not ${windowMs}`);
    if (!Number.isInteger(maxGroups) || maxGroups < 1) throw new TraceeError('EINVAL', `aggregate: maxGroups must be an integer >= 1, not ${maxGroups}`);
    this.windowMs = windowMs;
    this.maxGroups = maxGroups;
    this.#now = now;
  }

  /**
   * Takes one batch: returns the groups whose window has closed (as
   * {@link due}), then the batch's events that are not findings, unchanged
   * and in order, with any group sent out early (maxGroups) where the
   * finding that needed its room came. Findings are held.
   */
  push(batch: readonly TraceeEvent[]): TraceeEvent[] {
    const now = this.#now();
    const out = this.#due(now);
    for (const e of batch) {
      if (!isFindingEvent(e)) {
        out.push(e);
        continue;
      }
      this.#findingsIn++;
      this.#held++;
      const key = findingKey(e);
      const ts = e.finding.event.timestamp;
      const group = this.#groups.get(key);
      if (group !== undefined) {
        group.count++;
        // arrival order is not time order across CPUs
        if (ts < group.firstTs) group.firstTs = ts;
        if (ts > group.lastTs) group.lastTs = ts;
        continue;
      }
      if (this.#groups.size >= this.maxGroups) {
        const [oldest, g] = this.#groups.entries().next().value!;
        out.push(this.#emit(oldest, g));
        this.#earlyFlushes++;
      }
      this.#groups.set(key, { first: e, count: 1, firstTs: ts, lastTs: ts, closesAt: now + this.windowMs });
    }
    return out;
  }

  /** The groups whose window has closed, each as one aggregated finding, in the order they opened. */
  due(): TraceeEvent[] {
    return this.#due(this.#now());
  }

  /** Clock time (ms, the `now` clock's) the oldest open group's window closes; undefined when none is open. */
  nextDueAt(): number | undefined {
    return this.#groups.values().next().value?.closesAt;
  }

  /** Every open group, window closed or not (the trace ends), in the order they opened. */
  flush(): TraceeEvent[] {
    return [...this.#groups].map(([key, g]) => this.#emit(key, g));
  }

  stats(): AggregateStats {
    return {
      findingsIn: this.#findingsIn,
      findingsOut: this.#findingsOut,
      groupsOut: this.#groupsOut,
      held: this.#held,
      open: this.#groups.size,
      earlyFlushes: this.#earlyFlushes,
    };
  }

  #due(now: number): TraceeEvent[] {
    const out: TraceeEvent[] = [];
    // windows are all windowMs long: they close in the order they opened
    for (const [key, g] of this.#groups) {
      if (g.closesAt > now) break;
      out.push(this.#emit(key, g));
    }
    return out;
  }

  #emit(key: string, g: Group): FindingEvent {
    this.#groups.delete(key);
    this.#held -= g.count;
    this.#findingsOut += g.count;
    this.#groupsOut++;
    return { ...g.first, finding: { ...g.first.finding, aggregate: { count: g.count, first: g.firstTs, last: g.lastTs } } };
  }
}
