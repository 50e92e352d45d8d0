// The agent: one trace fanned out to its destinations through Tracee's
// streams (output/streams.ts), findings aggregated where asked, and the
// configuration re-read on SIGHUP and applied without detaching
// (TraceSession.reload); SIGUSR1 reopens the files (logrotate). A slow or
// dead destination never holds the trace back: each has its own bounded
// queue, whose losses it counts; batches are pulled from the tracer as
// fast as the fan-out takes them.
import { FindingAggregator, isFindingEvent, TraceSession, type TraceeEvent } from '@tracee/core';
import type { AgentConfig, DestinationConfig, StreamConfig } from './config/agent-config.js';
import type { Destination, DestinationStats, JsonLines } from './output/destination.js';
import { OtlpDestination, parseOtlpUrl } from './output/otlp.js';
import { Fanout, type DestinationOpener, type DestinationSpec, type OutputSpec } from './output/streams.js';
import { AgentMetrics } from './server/metrics.js';
import { startServer, type AgentServer } from './server/server.js';

/** How long stopping waits for each destination to send what it holds, in ms. */
export const CLOSE_TIMEOUT_MS = 5000;

/**
 * Whether `config` needs the agent rather than the plain printer: a
 * destination other than one stdout, a stream filter, the server,
 * aggregation, or a config file (whose SIGHUP reload may add them).
 */
export function needsAgent(config: AgentConfig): boolean {
  const { destinations, streams } = config.output;
  const plainStdout = destinations.length === 1 && destinations[0].type === 'file' && (destinations[0].path ?? 'stdout') === 'stdout';
  const filtered = streams.some((s) => !s.implicit);
  return !plainStdout || filtered || config.server !== undefined || config.aggregate !== undefined || config.file !== undefined;
}

/** Whether a destination of `config` writes Tracee's JSON (webhook and otlp always do; a file unless as a table). */
function wantsJson(config: AgentConfig): boolean {
  return config.output.destinations.some((d) => d.type !== 'file' || d.format !== 'table');
}

/** A destination's spec for the fan-out, from its resolved configuration. */
function destinationSpec(d: DestinationConfig, parseArguments: boolean): DestinationSpec {
  switch (d.type) {
    case 'file':
      return { type: 'file', name: d.name, path: d.path, format: d.format, parseArguments };
    case 'webhook':
      return {
        type: 'webhook',
        name: d.name,
        url: d.url!,
        headers: d.headers,
        timeoutMs: d.timeoutMs,
        attempts: d.retries === undefined ? undefined : d.retries + 1,
        parseArguments,
      };
    case 'otlp':
      return { type: 'otlp', name: d.name, url: d.url, protocol: d.protocol, headers: d.headers, timeoutMs: d.timeoutMs };
  }
}

/** The `output` section as the fan-out takes it. */
export function outputSpec(config: AgentConfig): OutputSpec {
  const { destinations, streams, options } = config.output;
  return {
    destinations: destinations.map((d) => destinationSpec(d, options.parseArguments)),
    streams: streams.map((s: StreamConfig) => ({
      name: s.name,
      destinations: s.destinations,
      filters: s.filters,
      buffer: s.buffer,
    })),
  };
}

/** Opens OTLP destinations (the OpenTelemetry SDK itself is loaded when the first one opens). */
const otlpOpener: DestinationOpener = (spec) => {
  const s = spec as { name: string; url: string; protocol?: string; headers?: Record<string, string>; timeoutMs?: number; queue?: { events?: number } };
  const endpoint = parseOtlpUrl(`${s.protocol === 'grpc' ? 'otlp+grpc' : 'otlp'}:${s.url}`);
  return new OtlpDestination({ name: s.name, endpoint, headers: s.headers, exportTimeoutMs: s.timeoutMs, maxQueueSize: s.queue?.events });
};

/** The agent's part of a trace: its destinations, and what a reload changes. */
export class Agent {
  #fanout: Fanout;
  #config: AgentConfig;
  /** The metrics the server reads at each scrape, the server's health from the trace. */
  readonly metrics = new AgentMetrics();
  #server: AgentServer | undefined;
  /** Identical findings gathered per window (config `aggregate`), and the timer that emits the closed ones. */
  #aggregator: FindingAggregator | undefined;
  #aggregateTimer: NodeJS.Timeout | undefined;
  /** Records handed to the destinations (after aggregation). */
  #taken = { count: 0 };

  private constructor(fanout: Fanout, config: AgentConfig) {
    this.#fanout = fanout;
    this.#config = config;
    this.metrics.setDestinations(() => [...this.#fanout.destinations().values()]);
    this.#aggregate(config);
  }

  /** Starts aggregating as `config` says (a window of its own), or stops; what an old window held goes out first. */
  #aggregate(config: AgentConfig): void {
    const windowMs = config.aggregate?.windowMs;
    if (this.#aggregator?.windowMs === windowMs) return;
    if (this.#aggregator) this.#deliver(this.#aggregator.flush());
    clearInterval(this.#aggregateTimer);
    this.#aggregator = windowMs === undefined ? undefined : new FindingAggregator({ windowMs });
    this.metrics.aggregation = this.#aggregator;
    // closed windows go out within a tenth of the window (at most a second late)
    this.#aggregateTimer = this.#aggregator && setInterval(() => this.#deliver(this.#aggregator?.due() ?? []), Math.max(10, Math.min(1000, windowMs! / 10)));
    this.#aggregateTimer?.unref();
  }

  /** Into the destinations, counted; `json`: the events' lines made beforehand, if any. */
  #deliver(events: readonly TraceeEvent[], json?: JsonLines): void {
    if (events.length === 0) return;
    this.#taken.count += events.length;
    this.#fanout.write(events, json);
  }

  /**
   * Opens every destination of `config` before anything is attached;
   * throws (a TraceeError naming each problem) when one cannot be opened.
   */
  static async open(config: AgentConfig): Promise<Agent> {
    const agent = new Agent(new Fanout(outputSpec(config), { otlp: otlpOpener }), config);
    const server = config.server;
    if (server) {
      try {
        agent.#server = await startServer(agent.metrics, { address: server.httpAddress, metrics: server.metrics, healthz: server.healthz });
      } catch (e) {
        await agent.close(0);
        throw e;
      }
    }
    return agent;
  }

  /** Where the server listens (`host:port`), if there is one. */
  get serverAddress(): string | undefined {
    const a = this.#server?.address;
    return a && `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
  }

  /** The trace the metrics and health endpoints read, once attached. */
  attach(session: TraceSession): void {
    this.metrics.trace = session;
  }

  get config(): AgentConfig {
    return this.#config;
  }

  /** Each destination's counters, by name. */
  stats(): Record<string, DestinationStats> {
    return this.#fanout.stats();
  }

  /** The open destinations, by name. */
  destinations(): ReadonlyMap<string, Destination> {
    return this.#fanout.destinations();
  }

  /** Each destination's type, by name. */
  types(): Record<string, string> {
    return Object.fromEntries([...this.#fanout.destinations()].map(([name, d]) => [name, d.type]));
  }

  /**
   * Takes every batch of `session` into the destinations until the trace
   * ends (findings through the aggregation, where there is one; what it
   * holds at the end goes out then); `taken.count`: the records handed to
   * the destinations. Where no signatures run and a destination writes
   * JSON, each batch comes with its events' JSON lines made by the native
   * writer (TraceSession.nextWithJson), handed on while the aggregation
   * returns the batch itself (else the destinations make their own).
   */
  async run(session: TraceSession, taken: { count: number }): Promise<void> {
    this.#taken = taken;
    for (;;) {
      const parseArguments = this.#config.output.options.parseArguments;
      const withJson = !session.hasSignatures && wantsJson(this.#config);
      const got = withJson ? await session.nextWithJson({ parseArguments }) : await session.next().then((events) => events && { events, lines: undefined });
      if (got === null) break;
      const batch = got.events;
      // every finding counted, before aggregation
      for (const e of batch) if (isFindingEvent(e)) this.metrics.countFinding(e.finding.rule);
      const out = this.#aggregator ? this.#aggregator.push(batch) : batch;
      await this.#fanout.whenRoom(out.length, () => session.stopped);
      this.#deliver(out, got.lines && out === batch ? { lines: got.lines, parseArguments } : undefined);
    }
    clearInterval(this.#aggregateTimer);
    if (this.#aggregator) this.#deliver(this.#aggregator.flush());
  }

  /** SIGUSR1: reopens every file destination (logrotate moved them). */
  reopen(): void {
    this.#fanout.reopen();
  }

  /**
   * Applies `next`'s destinations and streams: unchanged destinations keep
   * their queues and counters, removed ones are closed (in the
   * background, each given CLOSE_TIMEOUT_MS), new ones opened. Throws,
   * the running ones kept, when `next`'s cannot be opened.
   */
  replace(next: AgentConfig): void {
    void this.#fanout.replace(outputSpec(next), CLOSE_TIMEOUT_MS);
    this.#config = next;
    this.#aggregate(next);
  }

  /** Sends what the destinations hold, each within `timeoutMs`. */
  async close(timeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
    await this.#fanout.close(timeoutMs);
    await this.#server?.close();
  }
}

/** How often the agent looks for destinations that drop or fail, in ms. */
const WATCH_MS = 5000;
/** The least time between two warnings about one destination, in ms. */
const WARN_EVERY_MS = 60_000;

/**
 * Warns on stderr when a destination drops records or fails, with why (its
 * last error): at the first, then at most once a minute per destination,
 * each line counting what happened since the last. Returns what stops it.
 */
export function watchDestinations(agent: Agent, warn: (line: string) => void): () => void {
  const seen = new Map<string, { dropped: number; failed: number; warnedAt: number }>();
  const timer = setInterval(() => {
    const now = Date.now();
    const destinations = agent.destinations();
    for (const [name, s] of Object.entries(agent.stats())) {
      const last = seen.get(name) ?? { dropped: 0, failed: 0, warnedAt: -Infinity };
      const dropped = s.dropped - last.dropped;
      const failed = s.failed - last.failed;
      if ((dropped > 0 || failed > 0) && now - last.warnedAt >= WARN_EVERY_MS) {
        const d = destinations.get(name);
        const why = d?.lastError ? `; last error: ${d.lastError}` : dropped > 0 && failed === 0 ? '; its queue was full (it takes records more slowly than they come)' : '';
        warn(`destination ${name} (${d?.type}): ${dropped} records dropped${failed ? `, ${failed} failed attempts` : ''} since ${last.warnedAt === -Infinity ? 'the start' : 'the last warning'}${why}`);
        seen.set(name, { dropped: s.dropped, failed: s.failed, warnedAt: now });
      } else if (!seen.has(name)) {
        seen.set(name, last);
      }
    }
  }, WATCH_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** One line per destination for the summary at exit: what it sent, dropped and failed. */
export function destinationSummary(agent: Agent): string[] {
  const types = agent.types();
  return Object.entries(agent.stats()).map(
    ([name, s]) => `destination ${name} (${types[name]}): ${s.sent} sent, ${s.dropped} dropped${s.failed ? `, ${s.failed} failed attempts` : ''}${s.queued ? `, ${s.queued} still queued` : ''}`,
  );
}
