// `tracee-rs status` against agent servers with one endpoint or the other
// off, and with findings and destinations (a real trace behind it, and the
// CLI's exit codes: test/agent-metrics.test.ts).
import { describe, expect, it } from 'vitest';
import type { Destination } from './output/destination.js';
import { AgentMetrics, type TraceSource } from './server/metrics.js';
import { startServer } from './server/server.js';
import { STATUS_EXIT, statusCommand } from './status-command.js';

/** A polling trace with these counters. */
const trace = (received: number, lost: number): TraceSource => ({
  polling: true,
  stats: () => ({ received, lost, filtered: 2, polls: 1, perEvent: {} }),
  programStats: () => [],
  ringFill: () => ({ usedBytes: 1536, sizeBytes: 4 << 20 }),
});

async function statusOf(metrics: AgentMetrics, endpoints: { metrics: boolean; healthz: boolean }): Promise<{ code: number; out: string[]; err: string[] }> {
  const server = await startServer(metrics, { address: '127.0.0.1:0', ...endpoints });
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await statusCommand({ address: `127.0.0.1:${server.address.port}`, interval: '0' }, (l) => out.push(l), (l) => err.push(l));
    return { code, out: out.map((l) => l.replace(`:${server.address.port}`, ':PORT')), err };
  } finally {
    await server.close();
  }
}

describe('tracee-rs status', () => {
  it('summarizes events, the ring, findings and each destination', async () => {
    const metrics = new AgentMetrics({ defaultMetrics: false });
    metrics.trace = trace(1000, 5);
    metrics.countFinding({ id: 'TRC-102', name: 'Anti-Debugging detected', severity: 3 });
    const hook: Destination = {
      name: 'siem',
      type: 'webhook',
      write: () => undefined,
      stats: () => ({ written: 900, sent: 880, dropped: 15, queued: 5, failed: 4 }),
      reopen: () => undefined,
      close: async () => undefined,
    };
    metrics.setDestinations([hook]);
    const { code, out, err } = await statusOf(metrics, { metrics: true, healthz: true });
    expect(err).toEqual([]);
    expect(code).toBe(STATUS_EXIT.healthy);
    expect(out).toEqual([
      'tracee-rs at 127.0.0.1:PORT: healthy, ready',
      'events: 1000 received, 5 lost, 2 filtered, 0 errors',
      'ring buffer: 1.5 KiB of 4.0 MiB used (0.0%)',
      'findings: 1 (TRC-102 Anti-Debugging detected: 1)',
      'destination siem (webhook): 900 written, 880 sent, 15 dropped, 5 queued, 4 failed attempts',
    ]);
  });

  it('says which endpoint is off and how to turn it on', async () => {
    const metrics = new AgentMetrics({ defaultMetrics: false });
    metrics.trace = trace(1, 0);
    const healthOnly = await statusOf(metrics, { metrics: false, healthz: true });
    expect(healthOnly.code).toBe(STATUS_EXIT.healthy);
    expect(healthOnly.out).toEqual(['tracee-rs at 127.0.0.1:PORT: healthy, ready', 'metrics: off (start the agent with --server metrics)']);
    const metricsOnly = await statusOf(metrics, { metrics: true, healthz: false });
    expect(metricsOnly.code).toBe(STATUS_EXIT.unhealthy);
    expect(metricsOnly.out[0]).toBe('tracee-rs at 127.0.0.1:PORT: health unknown: healthz is off (start the agent with --server healthz)');
    expect(metricsOnly.out[1]).toBe('events: 1 received, 0 lost, 2 filtered, 0 errors');
  });

  it('not attached yet: not healthy, exit 1', async () => {
    const { code, out } = await statusOf(new AgentMetrics({ defaultMetrics: false }), { metrics: false, healthz: true });
    expect(code).toBe(STATUS_EXIT.unhealthy);
    expect(out[0]).toBe('tracee-rs at 127.0.0.1:PORT: NOT healthy (not attached yet)');
  });
});
