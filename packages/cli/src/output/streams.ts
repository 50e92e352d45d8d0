// Tracee's streams: each names destinations and a filter, and every event
// that passes the filter goes to each of them. A destination named by no
// stream gets a stream of its own without a filter (Tracee's implicit
// stream); a destination is in one stream at most. Unlike Tracee's, a
// stream's destinations do not share a buffer: each has its own bounded
// queue of the stream's `buffer.size`, so a slow one never delays the others.
import { isFindingEvent, TraceeError, type Severity, type TraceeEvent } from '@tracee/core';
import { BUFFER_MODES, DESTINATION_TYPES, STREAM_KINDS, type Destination, type DestinationStats, type DestinationType, type JsonLines, type StreamKind } from './destination.js';
import { DEFAULT_QUEUE_EVENTS } from './queue.js';
import { FileDestination, type FileDestinationOptions } from './file.js';
import { WebhookDestination, type WebhookDestinationOptions } from './webhook.js';

export { STREAM_KINDS, type StreamKind };

/** A destination in the configuration (Tracee's `output.destinations[]`): its name, type, and its type's options. */
export type DestinationSpec =
  | ({ type: 'file' } & FileDestinationOptions)
  | ({ type: 'webhook' } & WebhookDestinationOptions)
  | { type: 'otlp'; name: string; [option: string]: unknown };

/** A stream's filter: every condition given must hold (an empty list is no condition, as in Tracee). */
export interface StreamFilters {
  /** Tracee's: event names; a rule's event name selects its findings (`anti_debugging`). */
  events?: readonly string[];
  /** Tracee's: the event matched at least one of these policies (`matchedPolicies`). */
  policies?: readonly string[];
  /** Ours: plain events, findings, or all (default). */
  kind?: StreamKind;
  /**
   * Ours: findings of at least this severity (Tracee's scale, 0 info … 4
   * critical: the rule's `severity`). Plain events have no severity and are
   * not held back by it: `kind: findings` with it keeps only findings.
   */
  severity?: number;
}

/** A stream in the configuration (Tracee's `output.streams[]`). */
export interface StreamSpec {
  name: string;
  /** One or more destination names. */
  destinations: readonly string[];
  filters?: StreamFilters;
  /**
   * `size`: the bound of each of the stream's destinations' queues, in
   * events (default DEFAULT_QUEUE_EVENTS, queue.ts); `mode` (BUFFER_MODES):
   * `drop` (default), a full queue drops the newest and counts them; or
   * Tracee's `block`, the tracer waits for room ({@link Fanout.whenRoom})
   * and the kernel's ring buffer loses records instead, counted as lost.
   */
  buffer?: { mode?: string; size?: number };
}

/** The `output` section: destinations, and the streams that feed them. */
export interface OutputSpec {
  destinations: readonly DestinationSpec[];
  streams?: readonly StreamSpec[];
}

/**
 * Opens a destination of one type from its spec, whose `queue.events` is
 * its stream's `buffer.size` when the stream gives one; throws (a
 * TraceeError) when it cannot.
 */
export type DestinationOpener = (spec: DestinationSpec) => Destination;

/** The types this module opens itself; others (otlp) are given to {@link Fanout} by who builds them. */
export const BUILTIN_OPENERS: Partial<Record<DestinationType, DestinationOpener>> = {
  file: (spec) => new FileDestination(spec as FileDestinationOptions),
  webhook: (spec) => new WebhookDestination(spec as WebhookDestinationOptions),
};

/** A stream ready to route: its filter compiled (undefined: everything passes), its destinations by name. */
interface Route {
  name: string;
  pass: ((e: TraceeEvent) => boolean) | undefined;
  destinations: string[];
}

/** A destination's spec as its stream bounds it, and the key telling whether a reload changed it. */
interface Planned {
  spec: DestinationSpec;
  key: string;
  /** In a `block` stream: its queue's bound, which the tracer waits below. */
  block?: number;
}

/**
 * Checks `output` and resolves it: every problem at once, one per line, in
 * a TraceeError (`EINVAL`); else the routes and each destination's spec
 * with its queue bound from its stream.
 */
function plan(output: OutputSpec, openers: Partial<Record<DestinationType, DestinationOpener>>): { routes: Route[]; destinations: Map<string, Planned> } {
  const problems: string[] = [];
  const specs = new Map<string, DestinationSpec>();
  for (const d of output.destinations) {
    if (specs.has(d.name)) problems.push(`destination ${d.name}: defined twice`);
    else if (!(DESTINATION_TYPES as readonly string[]).includes(d.type)) problems.push(`destination ${d.name}: type ${d.type} is none of ${DESTINATION_TYPES.join(', ')}`);
    else if (!openers[d.type]) problems.push(`destination ${d.name}: ${d.type} destinations cannot be opened here`);
    specs.set(d.name, d);
  }
  const streamOf = new Map<string, string>();
  const routes: Route[] = [];
  const bounds = new Map<string, number | undefined>();
  const blocking = new Set<string>();
  const names = new Set<string>();
  for (const s of output.streams ?? []) {
    const at = `stream ${s.name}`;
    if (names.has(s.name)) problems.push(`${at}: defined twice`);
    names.add(s.name);
    if (s.destinations.length === 0) problems.push(`${at}: names no destination (a stream needs one or more)`);
    for (const d of s.destinations) {
      if (!specs.has(d)) problems.push(`${at}: no destination is named ${d}`);
      else if (streamOf.has(d)) problems.push(`${at}: destination ${d} is already in stream ${streamOf.get(d)} (a destination is in one stream at most)`);
      else streamOf.set(d, s.name);
    }
    const { kind = 'all', severity } = s.filters ?? {};
    if (!(STREAM_KINDS as readonly string[]).includes(kind)) problems.push(`${at}: filters.kind ${kind} is none of ${STREAM_KINDS.join(', ')}`);
    if (severity !== undefined && !(Number.isInteger(severity) && severity >= 0 && severity <= 4)) problems.push(`${at}: filters.severity must be 0 (info) to 4 (critical), not ${severity}`);
    const { mode = 'drop', size } = s.buffer ?? {};
    if (!(BUFFER_MODES as readonly string[]).includes(mode)) problems.push(`${at}: buffer.mode ${mode} is none of ${BUFFER_MODES.join(', ')}`);
    if (mode === 'block') for (const d of s.destinations) blocking.add(d);
    if (size !== undefined && !(Number.isSafeInteger(size) && size >= 1)) problems.push(`${at}: buffer.size must be a whole number of events ≥ 1, not ${size}`);
    for (const d of s.destinations) bounds.set(d, size);
    routes.push({ name: s.name, pass: compileFilter(s.filters ?? {}), destinations: [...new Set(s.destinations)] });
  }
  if (problems.length > 0) throw new TraceeError('EINVAL', problems.join('\n'));
  // Tracee's implicit stream: a destination no stream names gets everything
  for (const d of specs.keys()) if (!streamOf.has(d)) routes.push({ name: d, pass: undefined, destinations: [d] });
  const destinations = new Map<string, Planned>();
  for (const [name, spec] of specs) {
    const size = bounds.get(name);
    const bounded = size === undefined ? spec : ({ ...spec, queue: { ...(spec as { queue?: object }).queue, events: size } } as DestinationSpec);
    const block = blocking.has(name);
    destinations.set(name, { spec: bounded, key: canonical(bounded) + (block ? ' block' : ''), block: block ? (size ?? DEFAULT_QUEUE_EVENTS) : undefined });
  }
  return { routes, destinations };
}

/** The filter as one predicate over precomputed sets; undefined where it lets everything through. */
function compileFilter(f: StreamFilters): ((e: TraceeEvent) => boolean) | undefined {
  const names = f.events?.length ? new Set(f.events) : undefined;
  const policies = f.policies?.length ? new Set(f.policies) : undefined;
  const kind = f.kind ?? 'all';
  const severity = f.severity as Severity | undefined;
  if (!names && !policies && kind === 'all' && severity === undefined) return undefined;
  return (e) => {
    const finding = isFindingEvent(e);
    if (kind !== 'all' && finding !== (kind === 'findings')) return false;
    if (severity !== undefined && finding && e.finding.rule.severity < severity) return false;
    if (names && !names.has(e.eventName)) return false;
    return !policies || e.matchedPolicies.some((p) => policies.has(p));
  };
}

/** JSON with object keys sorted: equal settings, equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * The trace's batches fanned out to the destinations, through their streams.
 *
 * `write` costs per event one filter per stream that has one (set lookups)
 * and one queue offer per destination it reaches; it never blocks nor
 * throws. Destinations are opened by `openers` (by type: file and webhook
 * built in, otlp given by the caller).
 */
export class Fanout {
  readonly #openers: Partial<Record<DestinationType, DestinationOpener>>;
  #routes: { pass: Route['pass']; destinations: Destination[] }[] = [];
  /** The open destinations by name, with the key of the spec they were opened from. */
  #open = new Map<string, { destination: Destination; key: string }>();
  /** The destinations of `block` streams, with their queues' bounds. */
  #blocking: { destination: Destination; bound: number }[] = [];

  /** Checks and opens `output`; throws a TraceeError listing every problem, or the first destination that cannot open (those opened before it are closed). */
  constructor(output: OutputSpec, openers: Partial<Record<DestinationType, DestinationOpener>> = {}) {
    this.#openers = { ...BUILTIN_OPENERS, ...openers };
    this.replace(output);
  }

  /** Routes `batch`; `json`, where given, holds its events' JSON lines, handed on aligned with what each filter keeps. */
  write(batch: readonly TraceeEvent[], json?: JsonLines): void {
    if (batch.length === 0) return;
    for (const route of this.#routes) {
      let events = batch;
      let lines = json;
      if (route.pass && json) {
        const kept: TraceeEvent[] = [];
        const keptLines: string[] = [];
        for (let i = 0; i < batch.length; i++) {
          if (!route.pass(batch[i])) continue;
          kept.push(batch[i]);
          keptLines.push(json.lines[i]);
        }
        events = kept;
        lines = { lines: keptLines, parseArguments: json.parseArguments };
      } else if (route.pass) events = batch.filter(route.pass);
      if (events.length > 0) for (const d of route.destinations) d.write(events, lines);
    }
  }

  /**
   * Resolves once every destination of a `block` stream has room for `n`
   * more events (all of its bound, for a larger batch), or `stopped()`
   * says the trace is over: Tracee's block mode, where the tracer waits
   * and the kernel's ring buffer loses records (counted as lost) instead
   * of the destination.
   */
  async whenRoom(n: number, stopped: () => boolean): Promise<void> {
    for (const { destination, bound } of this.#blocking) {
      const need = Math.min(n, bound);
      while (destination.stats().queued + need > bound && !stopped()) await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Each open destination's counters, by name (see {@link DestinationStats}). */
  stats(): Record<string, DestinationStats> {
    return Object.fromEntries([...this.#open].map(([name, { destination }]) => [name, destination.stats()]));
  }

  /** The open destinations by name. */
  destinations(): ReadonlyMap<string, Destination> {
    return new Map([...this.#open].map(([name, { destination }]) => [name, destination]));
  }

  /** Reopens every destination (SIGUSR1: logrotate moved the files). */
  reopen(): void {
    for (const { destination } of this.#open.values()) destination.reopen();
  }

  /** Closes every destination, each given `timeoutMs` to send what it holds; stats() keeps their final counts. */
  async close(timeoutMs: number): Promise<void> {
    await Promise.all([...this.#open.values()].map(({ destination }) => destination.close(timeoutMs)));
  }

  /**
   * Hot reload: routes through `output` from the next write on. Destinations
   * whose name and settings (queue bound included) are unchanged are kept,
   * with their queues and counters; new or changed ones are opened; removed
   * or changed ones are closed, each given `closeTimeoutMs`. If `output`
   * has a problem, or a destination cannot open, this throws (synchronously)
   * and the running configuration stays as it was. Returns a promise of
   * the final counters of the destinations it closes.
   */
  replace(output: OutputSpec, closeTimeoutMs = 5000): Promise<Record<string, DestinationStats>> {
    const { routes, destinations } = plan(output, this.#openers);
    const next = new Map<string, { destination: Destination; key: string }>();
    try {
      for (const [name, { spec, key }] of destinations) {
        const kept = this.#open.get(name);
        next.set(name, kept?.key === key ? kept : { destination: (this.#openers[spec.type] as DestinationOpener)(spec), key });
      }
    } catch (e) {
      for (const [name, entry] of next) if (this.#open.get(name) !== entry) void entry.destination.close(0);
      throw e;
    }
    const retired = [...this.#open].filter(([name, entry]) => next.get(name) !== entry);
    this.#open = next;
    this.#routes = routes.map((r) => ({ pass: r.pass, destinations: r.destinations.map((d) => next.get(d)!.destination) }));
    this.#blocking = [...destinations].filter(([, p]) => p.block !== undefined).map(([name, p]) => ({ destination: next.get(name)!.destination, bound: p.block! }));
    return Promise.all(
      retired.map(async ([name, { destination }]) => {
        await destination.close(closeTimeoutMs);
        return [name, destination.stats()] as const;
      }),
    ).then(Object.fromEntries);
  }
}
