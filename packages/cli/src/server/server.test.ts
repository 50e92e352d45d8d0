// The server's routes and errors, and health from a trace's state (a real
// trace behind them: test/agent-metrics.test.ts).
import { describe, expect, it } from 'vitest';
import { liveness, readiness } from './health.js';
import { AgentMetrics, type TraceSource } from './metrics.js';
import { startServer } from './server.js';

/** A trace's state as the test sets it. */
const traceState = (polling: boolean, polls: number): TraceSource => ({
  polling,
  stats: () => ({ received: 0, lost: 0, filtered: 0, polls, perEvent: {} }),
  programStats: () => [],
  ringFill: () => null,
});

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

describe('health', () => {
  it('alive while attached and polling; ready once it has polled', () => {
    expect(liveness(undefined)).toEqual({ ok: false, reason: 'not attached yet' });
    expect(readiness(undefined)).toEqual({ ok: false, reason: 'not attached yet' });
    expect(liveness(traceState(true, 0))).toEqual({ ok: true });
    expect(readiness(traceState(true, 0))).toEqual({ ok: false, reason: 'attached, not polled yet' });
    expect(readiness(traceState(true, 1))).toEqual({ ok: true });
    const ended = { ok: false, reason: 'the trace has ended: nothing is attached' };
    expect(liveness(traceState(false, 5))).toEqual(ended);
    expect(readiness(traceState(false, 5))).toEqual(ended);
  });
});

describe('startServer', () => {
  it('serves /metrics, /healthz and /readyz; 404 elsewhere, 405 for other methods', async () => {
    const metrics = new AgentMetrics({ defaultMetrics: false });
    const server = await startServer(metrics, { address: '127.0.0.1:0', metrics: true, healthz: true });
    try {
      const { port } = server.address;
      expect(port).toBeGreaterThan(0);
      const m = await get(port, '/metrics?x=1');
      expect(m.status).toBe(200);
      expect(m.type).toBe(metrics.contentType);
      expect(m.body).toContain('tracee_ebpf_events_total 0\n');
      expect(await get(port, '/healthz')).toMatchObject({ status: 503, body: 'NOT OK: not attached yet\n' });
      metrics.trace = traceState(true, 0);
      expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: 'OK' });
      expect(await get(port, '/readyz')).toMatchObject({ status: 503, body: 'NOT OK: attached, not polled yet\n' });
      metrics.trace = traceState(true, 1);
      expect(await get(port, '/readyz')).toMatchObject({ status: 200, body: 'OK' });
      expect((await get(port, '/healthz', 'HEAD')).status).toBe(200);
      expect(await get(port, '/nothing')).toMatchObject({ status: 404, body: '/nothing is not served here; served: /metrics, /healthz, /readyz\n' });
      expect((await get(port, '/metrics', 'POST')).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('serves only what is asked: healthz without metrics', async () => {
    const server = await startServer(new AgentMetrics({ defaultMetrics: false }), { address: '127.0.0.1:0', metrics: false, healthz: true });
    try {
      expect(await get(server.address.port, '/metrics')).toMatchObject({ status: 404, body: '/metrics is not served here; served: /healthz, /readyz\n' });
    } finally {
      await server.close();
    }
  });

  it("':0' (no host): every address of the host, on a port the kernel picks", async () => {
    const server = await startServer(new AgentMetrics({ defaultMetrics: false }), { address: ':0', metrics: false, healthz: true });
    try {
      expect(server.address.host).toBe('');
      expect((await get(server.address.port, '/healthz')).status).toBe(503);
    } finally {
      await server.close();
    }
  });

  it('names the address and the fix when it cannot listen', async () => {
    const metrics = new AgentMetrics({ defaultMetrics: false });
    const first = await startServer(metrics, { address: '127.0.0.1:0', metrics: true, healthz: false });
    try {
      const taken = `127.0.0.1:${first.address.port}`;
      await expect(startServer(metrics, { address: taken, metrics: true, healthz: false })).rejects.toThrow(
        `cannot listen on ${taken}: the address is in use (another agent, or another server); choose another with --server http-address=HOST:PORT`,
      );
      await expect(startServer(metrics, { address: '192.0.2.1:0', metrics: true, healthz: false })).rejects.toThrow('cannot listen on 192.0.2.1:0: the host is not an address of this machine');
      await expect(startServer(metrics, { address: 'nonsense', metrics: true, healthz: false })).rejects.toThrow("server.http-address 'nonsense': no port");
    } finally {
      await first.close();
    }
  });

  it('close() ends kept-alive connections and can be called twice', async () => {
    const server = await startServer(new AgentMetrics({ defaultMetrics: false }), { address: '127.0.0.1:0', metrics: true, healthz: true });
    // fetch keeps its connection alive
    await get(server.address.port, '/metrics');
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(`http://127.0.0.1:${server.address.port}/metrics`)).rejects.toThrow();
  });
});
