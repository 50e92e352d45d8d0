// The agent's metrics and health, end to end: a real trace, the agent's
// server on 127.0.0.1, and a real Prometheus (Debian's, installed by
// scripts/setup-prometheus.sh) scraping it every second; what Prometheus
// stored is compared with the trace's own counters, and `tracee-rs status`
// is asked too.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceSession } from '@tracee/core';
import { AgentMetrics, METRICS, traceeMetric } from '../packages/cli/src/server/metrics.js';
import { startServer, type AgentServer } from '../packages/cli/src/server/server.js';
import { DEFAULT_HTTP_ADDRESS } from '../packages/cli/src/server/address.js';
import { freePort } from './fixtures/otelcol.js';
import { CLI } from './helpers.js';

/** The metric names Tracee's own metrics test expects (tests/perftests/metrics_test.go). */
const TRACEE_METRIC_NAMES = [
  'tracee_ebpf_bpf_logs_total',
  'tracee_ebpf_errors_total',
  'tracee_ebpf_events_filtered',
  'tracee_ebpf_events_total',
  'tracee_ebpf_lostevents_total',
  'tracee_ebpf_network_capture_events_total',
  'tracee_ebpf_network_capture_lostevents_total',
  'tracee_ebpf_write_lostevents_total',
];

const BPF_STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}


/** Resolves once `done()` resolves true, polling every 100 ms; rejects after `ms`. */
async function eventually(what: string, done: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `tracee-rs status` run as a user runs it (the server is in this process: not spawnSync). */
function status(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'status', ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

describe('agent metrics scraped by Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracee-rs-metrics-'));
  // a workload with a name of its own, for a scope no other process matches
  const comm = `trs-m-${process.pid % 100000}`;
  const workload = join(dir, comm);
  let prometheus: ChildProcess | undefined;
  let promLog = '';
  let promUrl = '';
  let server: AgentServer | undefined;
  let session: TraceSession | undefined;
  let statsWas: string | undefined;

  async function query(q: string): Promise<PromSample[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; data: { result: PromSample[] }; error?: string };
    expect(body.status, `${q}: ${body.error ?? ''}`).toBe('success');
    return body.data.result;
  }
  /** The value Prometheus holds for `q` (one series), as a number. */
  async function value(q: string): Promise<number> {
    const result = await query(q);
    expect(result, q).toHaveLength(1);
    return Number(result[0].value[1]);
  }

  beforeAll(() => {
    copyFileSync('/bin/true', workload);
    // the kernel counts programs' run time and runs only while asked
    statsWas = readFileSync(BPF_STATS_SYSCTL, 'utf8').trim();
    writeFileSync(BPF_STATS_SYSCTL, '1');
  });

  afterAll(async () => {
    if (statsWas !== undefined) writeFileSync(BPF_STATS_SYSCTL, statsWas);
    session?.stop();
    await server?.close();
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("holds the trace's counts, per event and per program; health follows the trace; status reads it", async () => {
    const metrics = new AgentMetrics();
    server = await startServer(metrics, { address: '127.0.0.1:0', metrics: true, healthz: true });
    const agent = `127.0.0.1:${server.address.port}`;
    const get = async (path: string) => {
      const res = await fetch(`http://${agent}${path}`);
      return { status: res.status, body: await res.text() };
    };
    // not attached yet
    expect(await get('/healthz')).toEqual({ status: 503, body: 'NOT OK: not attached yet\n' });
    expect(await get('/readyz')).toEqual({ status: 503, body: 'NOT OK: not attached yet\n' });

    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:', '  - job_name: tracee-rs', '    static_configs:', `      - targets: ['${agent}']`, ''].join('\n'),
    );
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    prometheus.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
    await eventually(`Prometheus to be ready at ${promUrl}`, async () => {
      expect(prometheus!.exitCode, promLog).toBeNull();
      return (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.status === 200;
    });

    // openat's filter passes the workload's opens under /etc (ld.so.cache)
    // and drops the others (its libraries): filtered in user space
    session = TraceSession.start({ events: ['sched_process_exec', 'sched_process_exit', 'openat.data.pathname=/etc/*'], scope: [`comm=${comm}`] });
    metrics.trace = session;
    const s = session;
    const consumed = new Map<string, number>();
    let total = 0;
    const reading = (async () => {
      for (let batch = await s.next(); batch !== null; batch = await s.next()) {
        for (const e of batch) consumed.set(e.eventName, (consumed.get(e.eventName) ?? 0) + 1);
        total += batch.length;
      }
    })();
    expect(await get('/healthz')).toEqual({ status: 200, body: 'OK' });
    await eventually('readyz', async () => (await get('/readyz')).status === 200);

    for (let i = 0; i < 30; i++) await once(spawn(workload), 'exit');
    // the workload is over: wait for the trace's counts to settle, every
    // record taken by the reader
    let settled = s.stats();
    await eventually('the counts to settle', async () => {
      await new Promise((r) => setTimeout(r, 500));
      const now = s.stats();
      const still = now.received === settled.received && now.lost === settled.lost && now.filtered === settled.filtered && total === now.received;
      settled = now;
      return still;
    });
    expect(settled.perEvent).toEqual({ sched_process_exec: 30, sched_process_exit: 30, openat: 30 });
    expect(settled.filtered).toBeGreaterThan(0);

    // a scrape after that
    const programsBefore = s.programStats();
    const settledAt = Date.now() / 1000;
    await eventually('a scrape after the counts settled', async () => {
      const r = await query(`timestamp(${traceeMetric('events_total')})`);
      return r.length === 1 && Number(r[0].value[1]) > settledAt;
    });
    const programsAfter = s.programStats();
    // still settled (only the polls move)
    const counts = ({ received, lost, filtered, perEvent }: typeof settled) => ({ received, lost, filtered, perEvent });
    expect(counts(s.stats())).toEqual(counts(settled));
    expect(await value('up{job="tracee-rs"}')).toBe(1);

    // Tracee's counters, equal to the trace's own
    expect(await value(traceeMetric('events_total'))).toBe(settled.received);
    expect(await value(traceeMetric('lostevents_total'))).toBe(settled.lost);
    expect(await value(traceeMetric('events_filtered'))).toBe(settled.filtered);
    for (const name of TRACEE_METRIC_NAMES) expect(await query(name), name).toHaveLength(1);
    for (const name of ['bpf_logs_total', 'errors_total', 'network_capture_events_total', 'network_capture_lostevents_total', 'write_lostevents_total'] as const) {
      expect(await value(traceeMetric(name)), name).toBe(0);
    }
    // per event: the trace's, and what the reader received
    const perEvent = Object.fromEntries((await query(METRICS.eventsByName)).map((r) => [r.metric.event_name, Number(r.value[1])]));
    expect(perEvent).toEqual(settled.perEvent);
    expect(perEvent).toEqual(Object.fromEntries(consumed));

    // the ring: its size, and what was unread at the scrape: whole 8-byte
    // aligned records (the host's cgroup_mkdir/rmdir records, which keep the
    // container table, pass through it whatever the scope; the fill's
    // dynamics are tested in crates/tracee-core/tests/bpf_stats.rs)
    const size = await value(`${METRICS.ringBuffer}size_bytes{map="events"}`);
    expect(size).toBe(s.info.ringBufferBytes);
    const used = await value(`${METRICS.ringBuffer}used_bytes{map="events"}`);
    expect(used % 8).toBe(0);
    expect(used).toBeLessThan(size);
    // per program: between the kernel's counts read before and after the scrape
    expect(await value(METRICS.bpfStatsEnabled)).toBe(1);
    const runs = Object.fromEntries((await query(`${METRICS.bpfProgram}runs_total`)).map((r) => [r.metric.program, Number(r.value[1])]));
    expect(Object.keys(runs).sort()).toEqual(programsBefore.map((p) => p.name).sort());
    for (const p of programsBefore) {
      const after = programsAfter.find((q) => q.id === p.id)!;
      expect(runs[p.name], p.name).toBeGreaterThanOrEqual(p.runCount);
      expect(runs[p.name], p.name).toBeLessThanOrEqual(after.runCount);
    }
    // the workload's execs ran the exec program (stats on since before the trace)
    const exec = programsBefore.filter((p) => p.name.includes('sched_process_exec'));
    expect(exec.length).toBeGreaterThan(0);
    expect(exec.reduce((n, p) => n + runs[p.name], 0)).toBeGreaterThanOrEqual(30);
    // the process's own metrics
    expect(await value(`process_resident_memory_bytes{job="tracee-rs"}`)).toBeGreaterThan(0);

    // tracee-rs status, as a user asks the agent
    const running = await status(['--address', agent, '--interval', '300ms']);
    expect(running.stderr).toBe('');
    expect(running.code).toBe(0);
    const lines = running.stdout.split('\n');
    expect(lines[0]).toBe(`tracee-rs at ${agent}: healthy, ready`);
    expect(lines[1]).toMatch(new RegExp(`^events: ${settled.received} received \\(0/s over the last \\d+\\.\\d s\\), ${settled.lost} lost, ${settled.filtered} filtered, 0 errors$`));
    expect(lines[2]).toMatch(/^ring buffer: \d+(\.\d KiB| B) of 32\.0 MiB used \(\d+\.\d%\)$/);

    // stopped: neither alive nor ready; status says so, exit 1
    s.stop();
    await reading;
    expect(await get('/healthz')).toEqual({ status: 503, body: 'NOT OK: the trace has ended: nothing is attached\n' });
    expect(await get('/readyz')).toEqual({ status: 503, body: 'NOT OK: the trace has ended: nothing is attached\n' });
    const stopped = await status(['--address', agent, '--interval', '0']);
    expect(stopped.code).toBe(1);
    expect(stopped.stdout.split('\n')[0]).toBe(`tracee-rs at ${agent}: NOT healthy (the trace has ended: nothing is attached)`);

    // nothing listens: exit 2, the address and the fix
    await server.close();
    const gone = await status(['--address', agent]);
    expect(gone.code).toBe(2);
    expect(gone.stdout).toBe('');
    expect(gone.stderr).toBe(
      `tracee-rs: error: nothing answers at http://${agent} (ECONNREFUSED): start the agent with --server healthz,metrics (it listens on ${DEFAULT_HTTP_ADDRESS} unless --server http-address=HOST:PORT says otherwise), or name its address with --address\n`,
    );
  });
});
