// The metrics' text from given counters (the kernel's are compared with a
// real trace, scraped by a real Prometheus, in test/agent-metrics.test.ts).
import { describe, expect, it } from 'vitest';
import type { ProgramStats, RingFill } from '@tracee/core';
import type { Destination, DestinationStats } from '../output/destination.js';
import { parseExposition, sampleValue, type Sample } from './exposition.js';
import { AgentMetrics, METRICS, TRACEE_METRICS, traceeMetric, type TraceSource } from './metrics.js';

/** A trace's counters as the test sets them. */
class Counters implements TraceSource {
  received = 0;
  lost = 0;
  filtered = 0;
  polls = 0;
  perEvent: Record<string, number> = {};
  programs: ProgramStats[] = [];
  ring: RingFill | null = null;
  polling = true;
  stats() {
    return { received: this.received, lost: this.lost, filtered: this.filtered, polls: this.polls, perEvent: { ...this.perEvent } };
  }
  programStats() {
    return this.programs;
  }
  ringFill() {
    return this.ring;
  }
}

/** A destination with counters as the test sets them. */
function destination(name: string, type: Destination['type'], stats: DestinationStats): Destination {
  return { name, type, write: () => undefined, stats: () => ({ ...stats }), reopen: () => undefined, close: async () => undefined };
}

const scrape = async (m: AgentMetrics): Promise<Sample[]> => parseExposition(await m.metrics());
const series = (samples: Sample[], name: string) => samples.filter((s) => s.name === name).map((s) => [s.labels, s.value]);

describe('AgentMetrics', () => {
  it("exposes Tracee's metrics at 0 before a trace is attached, with Tracee's help texts and types", async () => {
    const m = new AgentMetrics({ defaultMetrics: false });
    const text = await m.metrics();
    for (const [name, help] of Object.entries(TRACEE_METRICS)) {
      expect(text).toContain(`# HELP tracee_ebpf_${name} ${help}\n# TYPE tracee_ebpf_${name} counter\ntracee_ebpf_${name} 0\n`);
    }
    // nothing of a trace yet: no event, no ring, no program
    const samples = await scrape(m);
    expect(series(samples, METRICS.eventsByName)).toEqual([]);
    expect(series(samples, `${METRICS.ringBuffer}used_bytes`)).toEqual([]);
    expect(series(samples, `${METRICS.bpfProgram}runs_total`)).toEqual([]);
  });

  it("reads the trace's counters at each scrape", async () => {
    const m = new AgentMetrics({ defaultMetrics: false });
    const t = new Counters();
    m.trace = t;
    Object.assign(t, { received: 12, lost: 3, filtered: 4, polls: 7, perEvent: { openat: 10, execve: 2 } });
    t.ring = { usedBytes: 4096, sizeBytes: 1 << 25 };
    t.programs = [{ name: 'tracee_sys_enter', id: 41, runTimeNs: 2_500_000_000, runCount: 1000, recursionMisses: 1 }];
    let samples = await scrape(m);
    expect(sampleValue(samples, traceeMetric('events_total'))).toBe(12);
    expect(sampleValue(samples, traceeMetric('lostevents_total'))).toBe(3);
    expect(sampleValue(samples, traceeMetric('events_filtered'))).toBe(4);
    expect(sampleValue(samples, METRICS.polls)).toBe(7);
    expect(series(samples, METRICS.eventsByName)).toEqual([
      [{ event_name: 'openat' }, 10],
      [{ event_name: 'execve' }, 2],
    ]);
    expect(series(samples, `${METRICS.ringBuffer}used_bytes`)).toEqual([[{ map: 'events' }, 4096]]);
    expect(series(samples, `${METRICS.ringBuffer}size_bytes`)).toEqual([[{ map: 'events' }, 1 << 25]]);
    expect(series(samples, `${METRICS.bpfProgram}run_time_seconds_total`)).toEqual([[{ program: 'tracee_sys_enter' }, 2.5]]);
    expect(series(samples, `${METRICS.bpfProgram}runs_total`)).toEqual([[{ program: 'tracee_sys_enter' }, 1000]]);
    expect(series(samples, `${METRICS.bpfProgram}recursion_misses_total`)).toEqual([[{ program: 'tracee_sys_enter' }, 1]]);

    // the next scrape reads them again: new values, an event gone from
    // perEvent is gone, a perf buffer has no ring metrics (absent, not 0)
    Object.assign(t, { received: 20, perEvent: { openat: 20 }, ring: null });
    samples = await scrape(m);
    expect(sampleValue(samples, traceeMetric('events_total'))).toBe(20);
    expect(series(samples, METRICS.eventsByName)).toEqual([[{ event_name: 'openat' }, 20]]);
    expect(series(samples, `${METRICS.ringBuffer}used_bytes`)).toEqual([]);
  });

  it('counts findings by signature and errors; reads each destination at each scrape', async () => {
    const m = new AgentMetrics({ defaultMetrics: false });
    const rule = { id: 'TRC-102', name: 'Anti-Debugging detected', severity: 3 };
    m.countFinding(rule);
    m.countFinding(rule);
    m.countFinding({ id: 'TRC-105', name: 'Hooked syscall', severity: 3 });
    m.countError();
    const stats = { written: 10, sent: 6, dropped: 1, queued: 3, failed: 2 };
    let destinations = [destination('stdout', 'file', stats), destination('siem', 'webhook', { written: 5, sent: 5, dropped: 0, queued: 0, failed: 0 })];
    m.setDestinations(() => destinations);
    let samples = await scrape(m);
    expect(series(samples, METRICS.findings)).toEqual([
      [{ signature_id: 'TRC-102', signature_name: 'Anti-Debugging detected', severity: '3' }, 2],
      [{ signature_id: 'TRC-105', signature_name: 'Hooked syscall', severity: '3' }, 1],
    ]);
    expect(sampleValue(samples, traceeMetric('errors_total'))).toBe(1);
    const stdout = { destination: 'stdout', type: 'file' };
    expect(series(samples, `${METRICS.destination}written_total`)).toEqual([
      [stdout, 10],
      [{ destination: 'siem', type: 'webhook' }, 5],
    ]);
    expect(sampleValue(samples, `${METRICS.destination}sent_total`, stdout)).toBe(6);
    expect(sampleValue(samples, `${METRICS.destination}dropped_total`, stdout)).toBe(1);
    expect(sampleValue(samples, `${METRICS.destination}failed_total`, stdout)).toBe(2);
    expect(sampleValue(samples, `${METRICS.destination}queued`, stdout)).toBe(3);
    // a reload replaced the destinations: the removed one is gone
    destinations = [destinations[1]];
    samples = await scrape(m);
    expect(series(samples, `${METRICS.destination}written_total`)).toEqual([[{ destination: 'siem', type: 'webhook' }, 5]]);
  });

  it("adds the process's default metrics", async () => {
    const samples = await scrape(new AgentMetrics());
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'process_start_time_seconds')).toBeGreaterThan(0);
  });
});
