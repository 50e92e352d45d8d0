// The agent's Prometheus metrics (prom-client): Tracee's own (its
// pkg/metrics/stats.go, same names, types and meanings), then ours, then
// the process's default metrics. Every value is read from its source when
// Prometheus scrapes (prom-client's collect()), never counted per event
// here: the trace's counters live in tracee-core, the destinations' in the
// destinations.
import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { AggregateStats, ProgramStats, RingFill, TraceStats } from '@tracee/core';
import type { Destination } from '../output/destination.js';

/**
 * What the metrics and health endpoints read of a trace, at each request:
 * a `TraceSession` is one.
 */
export interface TraceSource {
  /** Its counters so far (after it has stopped: the final ones). */
  stats(): Pick<TraceStats, 'received' | 'lost' | 'filtered' | 'perEvent' | 'polls'>;
  /** Each loaded program's kernel counters now; empty once stopped. */
  programStats(): readonly ProgramStats[];
  /** The ring buffer's fill now; null with a perf buffer and once stopped. */
  ringFill(): RingFill | null;
  /** True while its poll thread runs (attached and polling). */
  readonly polling: boolean;
}

/** What a finding is counted by: its rule's Tracee signature id (`TRC-102`), name and severity (0-4). */
export interface FindingRule {
  id: string;
  name: string;
  severity: number;
}

/**
 * Tracee's metric names, all in the namespace `tracee_ebpf` as Tracee
 * registers them, with Tracee's help texts (a note added where tracee-rs
 * has nothing to count). Those Tracee has no counterpart of here are 0:
 * tracee-rs captures neither network packets nor written files, and its
 * programs log no errors to user space (Tracee's bpf_logs).
 */
export const TRACEE_METRICS = {
  /** Records received from the kernel (after the policies' filters): TraceStats.received. */
  events_total: 'events collected by tracee-ebpf',
  /** Records the policies' event filters dropped in user space: TraceStats.filtered. */
  events_filtered: 'events filtered by tracee-ebpf in userspace',
  /** Records the kernel could not write into the full ring (exact): TraceStats.lost. */
  lostevents_total: 'events lost in the submission buffer',
  /** Errors the agent counted ({@link AgentMetrics.countError}). */
  errors_total: 'errors accumulated by tracee-ebpf',
  bpf_logs_total: 'logs collected by tracee-ebpf during ebpf execution (0: the programs of tracee-rs log nothing)',
  network_capture_events_total: 'network capture events collected by tracee-ebpf (0: tracee-rs has no network capture)',
  network_capture_lostevents_total: 'network capture lost events in network capture buffer (0: tracee-rs has no network capture)',
  write_lostevents_total: 'events lost in the write buffer (0: tracee-rs has no capture of written files)',
} as const;

/** Tracee's metric `name` as it is exposed: in Tracee's namespace `tracee_ebpf`. */
export const traceeMetric = (name: keyof typeof TRACEE_METRICS): string => `tracee_ebpf_${name}`;

/** The names of our metrics (besides Tracee's and the process's). */
export const METRICS = {
  eventsByName: 'tracee_rs_events_total',
  polls: 'tracee_rs_polls_total',
  findings: 'tracee_rs_findings_total',
  /** Aggregated findings: `${aggregate}findings_in_total`, findings_out_total, groups_out_total, early_flushes_total, held. */
  aggregate: 'tracee_rs_aggregate_',
  /** Label `result`: applied or refused (SIGHUP, `tracee-rs reload`). */
  reloads: 'tracee_rs_reloads_total',
  /** Per destination, label `destination` and `type`: `${destination}written_total`, sent_total, dropped_total, failed_total, queued. */
  destination: 'tracee_rs_destination_',
  /** Label `map`: `${ringBuffer}used_bytes`, size_bytes. */
  ringBuffer: 'tracee_rs_ring_buffer_',
  bpfStatsEnabled: 'tracee_rs_bpf_stats_enabled',
  /** Label `program`: `${bpfProgram}run_time_seconds_total`, runs_total, recursion_misses_total. */
  bpfProgram: 'tracee_rs_bpf_program_',
} as const;

/** The BPF ring buffer's map in the object (bpf/lib/record.h). */
const RING_MAP = 'events';

/** Where the kernel says whether it counts programs' run time and runs. */
const BPF_STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

/** The metrics of one agent, in a registry of their own. */
export class AgentMetrics {
  readonly registry = new Registry();
  /** The trace, once attached; kept after it stops (its final counters). */
  trace: TraceSource | undefined;
  #destinations: () => readonly Destination[] = () => [];
  #errors = 0;
  readonly #findings: Counter<'signature_id' | 'signature_name' | 'severity'>;
  readonly #reloads: Counter<'result'>;

  /** `defaultMetrics`: also the process's (prom-client's collectDefaultMetrics: memory, CPU, event loop lag, ...). Default true. */
  constructor({ defaultMetrics = true }: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    // read in the metrics' collect(), whose `this` is the metric
    const stats = () => this.trace?.stats();
    const destinations = () => this.#destinations();
    const programs = () => this.trace?.programStats() ?? [];
    const counter = (name: keyof typeof TRACEE_METRICS, value: () => number) =>
      new Counter({
        name: traceeMetric(name),
        help: TRACEE_METRICS[name],
        registers,
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    counter('events_total', () => stats()?.received ?? 0);
    counter('events_filtered', () => stats()?.filtered ?? 0);
    counter('lostevents_total', () => stats()?.lost ?? 0);
    counter('errors_total', () => this.#errors);
    counter('bpf_logs_total', () => 0);
    counter('network_capture_events_total', () => 0);
    counter('network_capture_lostevents_total', () => 0);
    counter('write_lostevents_total', () => 0);

    new Counter({
      name: METRICS.eventsByName,
      help: 'events received from the kernel, by event name (their sum is tracee_ebpf_events_total)',
      labelNames: ['event_name'],
      registers,
      collect() {
        this.reset();
        for (const [event_name, n] of Object.entries(stats()?.perEvent ?? {})) this.inc({ event_name }, n);
      },
    });
    new Counter({
      name: METRICS.polls,
      help: 'polls of the kernel ring by the poll thread (one per wake-up or flush interval): moves while it runs',
      registers,
      collect() {
        this.reset();
        this.inc(stats()?.polls ?? 0);
      },
    });
    const aggregate = () => this.aggregation?.stats();
    const aggregateMetric = (name: string, help: string, value: (s: AggregateStats) => number, type: 'counter' | 'gauge') => {
      const config = { name: `${METRICS.aggregate}${name}`, help, registers };
      const read = () => {
        const s = aggregate();
        return s && value(s);
      };
      if (type === 'counter') {
        return new Counter({
          ...config,
          collect() {
            const v = read();
            this.reset();
            if (v !== undefined) this.inc(v);
          },
        });
      }
      return new Gauge({
        ...config,
        collect() {
          const v = read();
          if (v !== undefined) this.set(v);
        },
      });
    };
    aggregateMetric('findings_in_total', 'findings the aggregation took in', (s) => s.findingsIn, 'counter');
    aggregateMetric('findings_out_total', 'findings it emitted, as the counts of its groups (findings_in = findings_out + held)', (s) => s.findingsOut, 'counter');
    aggregateMetric('groups_out_total', 'aggregated findings emitted, one per group of identical findings', (s) => s.groupsOut, 'counter');
    aggregateMetric('early_flushes_total', 'groups emitted before their window closed, to keep the open groups within their bound (never dropped)', (s) => s.earlyFlushes, 'counter');
    aggregateMetric('held', 'findings held in open groups now', (s) => s.held, 'gauge');
    this.#reloads = new Counter({
      name: METRICS.reloads,
      help: 'configuration reloads (SIGHUP), by result: applied, or refused (the running configuration stayed)',
      labelNames: ['result'],
      registers,
    });
    // both results exist from the start, at 0
    this.#reloads.inc({ result: 'applied' }, 0);
    this.#reloads.inc({ result: 'refused' }, 0);
    this.#findings = new Counter({
      name: METRICS.findings,
      help: "findings of the signatures, by Tracee's signature id and name, and severity (0 informative ... 4 critical)",
      labelNames: ['signature_id', 'signature_name', 'severity'],
      registers,
    });

    const destinationMetric = (name: string, help: string, value: (d: Destination) => number, type: 'counter' | 'gauge') => {
      const config = {
        name: `${METRICS.destination}${name}`,
        help,
        labelNames: ['destination', 'type'] as const,
        registers,
      };
      if (type === 'counter') {
        return new Counter({
          ...config,
          collect() {
            this.reset();
            for (const d of destinations()) this.inc({ destination: d.name, type: d.type }, value(d));
          },
        });
      }
      return new Gauge({
        ...config,
        collect() {
          this.reset();
          for (const d of destinations()) this.set({ destination: d.name, type: d.type }, value(d));
        },
      });
    };
    // one read of each destination's counters per metric: each read is
    // exact (written = sent + dropped + queued), the metrics of one
    // scrape may be a few events apart
    destinationMetric('written_total', 'events handed to the destination (after its stream filter)', (d) => d.stats().written, 'counter');
    destinationMetric('sent_total', 'events the destination delivered', (d) => d.stats().sent, 'counter');
    destinationMetric('dropped_total', 'events the destination gave up (queue full, retries failed, closed)', (d) => d.stats().dropped, 'counter');
    destinationMetric('failed_total', 'failed delivery attempts (each retry counts)', (d) => d.stats().failed, 'counter');
    destinationMetric('queued', 'events waiting or in flight now', (d) => d.stats().queued, 'gauge');

    const ring = () => this.trace?.ringFill() ?? null;
    // labelled by the ring's map, so that with a perf buffer (whose
    // per-CPU buffers are not measured) they are absent rather than 0
    const ringMetric = (name: string, help: string, value: (f: RingFill) => number) =>
      new Gauge({
        name: `${METRICS.ringBuffer}${name}`,
        help: `${help} (absent with a perf buffer)`,
        labelNames: ['map'],
        registers,
        collect() {
          this.reset();
          const fill = ring();
          if (fill) this.set({ map: RING_MAP }, value(fill));
        },
      });
    ringMetric('used_bytes', 'bytes written or reserved in the kernel ring buffer and not yet read', (f) => f.usedBytes);
    ringMetric('size_bytes', 'size of the kernel ring buffer', (f) => f.sizeBytes);

    new Gauge({
      name: METRICS.bpfStatsEnabled,
      help: "1 while the kernel counts BPF programs' run time and runs (sysctl kernel.bpf_stats_enabled), else 0",
      registers,
      collect() {
        this.set(bpfStatsEnabled() ? 1 : 0);
      },
    });
    const programMetric = (name: string, help: string, value: (p: ProgramStats) => number) =>
      new Counter({
        name: `${METRICS.bpfProgram}${name}`,
        help: `${help}, by program, as the kernel counts it while its BPF stats are on (tracee_rs_bpf_stats_enabled)`,
        labelNames: ['program'],
        registers,
        collect() {
          this.reset();
          for (const p of programs()) this.inc({ program: p.name }, value(p));
        },
      });
    programMetric('run_time_seconds_total', 'time the BPF program ran', (p) => p.runTimeNs / 1e9);
    programMetric('runs_total', 'runs of the BPF program', (p) => p.runCount);
    programMetric('recursion_misses_total', 'runs of the BPF program the kernel skipped (it was running on that CPU already)', (p) => p.recursionMisses);

    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The destinations whose counters are read at each scrape (after a reload: the new ones). */
  setDestinations(destinations: readonly Destination[] | (() => readonly Destination[])): void {
    this.#destinations = typeof destinations === 'function' ? destinations : () => destinations;
  }

  /** Counts one finding of `rule` (tracee_rs_findings_total). */
  countFinding(rule: FindingRule): void {
    this.#findings.inc({ signature_id: rule.id, signature_name: rule.name, severity: String(rule.severity) });
  }

  /** Where the aggregation's counters are read at each scrape (tracee_rs_aggregate_*); none: no aggregation. */
  aggregation: { stats(): AggregateStats } | undefined;

  /** Counts one reload: applied, or refused (tracee_rs_reloads_total). */
  countReload(result: 'applied' | 'refused'): void {
    this.#reloads.inc({ result });
  }

  /** Counts one error (tracee_ebpf_errors_total): a rule that threw, an event that could not be written, ... */
  countError(): void {
    this.#errors++;
  }

  /** Every metric, in Prometheus's text format ({@link contentType}). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Whether the kernel counts BPF programs' run time and runs now (its sysctl; false where unreadable). */
export function bpfStatsEnabled(): boolean {
  try {
    return readFileSync(BPF_STATS_SYSCTL, 'utf8').trim() !== '0';
  } catch {
    return false;
  }
}
