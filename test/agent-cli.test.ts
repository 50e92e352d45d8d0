// The agent end to end through the command: one trace (execs and a
// signature's findings) to a JSON file, a webhook, a real OpenTelemetry
// Collector over OTLP/HTTP and OTLP/gRPC, with a stream that sends only
// findings to the webhook, and the metrics endpoint. Every record reaches
// each destination its stream routes it to exactly once, as the same
// Tracee JSON, and /metrics counts what each destination sent.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startCollector } from './fixtures/otelcol.js';
import { CLI, heldProgramIds, until } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tracee-rs-agent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ACTIONS = new URL('./fixtures/rule-actions.py', import.meta.url).pathname;

/** A webhook receiver on 127.0.0.1: every JSON array POSTed, as the records' JSON text. */
async function receiver(): Promise<{ url: string; records: string[]; close: () => void }> {
  const records: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      // the records as written: each element of the array, re-serialized the same way both sides do
      for (const r of JSON.parse(body) as unknown[]) records.push(JSON.stringify(r));
      res.writeHead(200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`, records, close: () => server.close() };
}

const run = (argv: string[]) => new Promise<number>((resolve) => spawn(argv[0], argv.slice(1), { stdio: 'ignore' }).on('close', (c) => resolve(c ?? -1)));

describe('the agent through the command', () => {
  it('file, webhook (findings only), OTLP/HTTP and OTLP/gRPC at once: each record once at each destination its stream routes it to; /metrics counts what each sent', async () => {
    const collector = await startCollector();
    const hook = await receiver();
    const port = await freePort();
    const out = join(dir, 'events.json');
    const before = heldProgramIds();
    const agent = spawn(
      process.execPath,
      [
        CLI,
        '--events', 'sched_process_exec,anti_debugging',
        '--output', `json:${out}`,
        '--output', `webhook:${hook.url}`,
        '--output', 'streams.alerts.destinations=webhook',
        '--output', 'streams.alerts.filters.kind=findings',
        '--output', `otlp:${collector.http}`,
        '--output', `otlp+grpc:${collector.grpc}`,
        '--server', 'metrics',
        '--server', `http-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    agent.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await until(() => stderr.includes('attached to'), 20_000, 'the agent attached');
      expect(stderr).toContain(`server: http://127.0.0.1:${port}`);
      for (let i = 0; i < 3; i++) {
        expect(await run(['/bin/true'])).toBe(0);
        // ptrace(PTRACE_TRACEME): TRC-102 anti_debugging
        expect(await run(['python3', ACTIONS, 'traceme'])).toBe(0);
      }
      await until(() => hook.records.length >= 3, 20_000, 'the findings at the webhook');
      const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(await metrics()).toMatch(/^tracee_ebpf_events_total \d+$/m);
      agent.kill('SIGTERM');
      const [code] = (await once(agent, 'exit')) as [number];
      expect([code, stderr]).toEqual([0, expect.stringMatching(/0 lost/)]);
    } finally {
      agent.kill('SIGKILL');
      hook.close();
    }
    const received = await collector.stop();
    const lines = readFileSync(out, 'utf8').split('\n').filter((l) => l.length > 0);
    const findings = lines.filter((l) => (JSON.parse(l) as { eventName: string }).eventName === 'anti_debugging');
    expect(findings.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeGreaterThan(findings.length);
    // the file has every record; OTLP over each transport the same records, once each; the webhook the findings
    const sorted = (a: string[]) => [...a].sort();
    expect(new Set(lines).size).toBe(lines.length);
    expect(sorted(received.http.logs.map((l) => l.body as string))).toEqual(sorted(lines));
    expect(sorted(received.grpc.logs.map((l) => l.body as string))).toEqual(sorted(lines));
    expect(sorted(hook.records)).toEqual(sorted(findings.map((l) => JSON.stringify(JSON.parse(l)))));
    // the summary counts each destination's records
    for (const [name, type, n] of [['file', 'file', lines.length], ['webhook', 'webhook', findings.length], ['otlp', 'otlp', lines.length], ['otlp-2', 'otlp', lines.length]] as const) {
      expect(stderr).toContain(`tracee-rs: destination ${name} (${type}): ${n} sent, 0 dropped`);
    }
    expect([...heldProgramIds()].filter((id) => !before.has(id))).toEqual([]);
  }, 120_000);

  it('aggregate: identical findings of one process within the window go out once, with their exact count and first and last times', async () => {
    const out = join(dir, 'aggregated.json');
    const config = join(dir, 'aggregate.yaml');
    writeFileSync(config, `events: [anti_debugging]\naggregate: {window: 2s}\noutput:\n  destinations:\n    - {name: alerts, type: file, format: json, path: ${out}}\n`);
    const agent = spawn(process.execPath, [CLI, '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    agent.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const pids: number[] = [];
    try {
      await until(() => stderr.includes('attached to'), 20_000, 'the agent attached');
      // two processes, five PTRACE_TRACEME each: two groups of five
      for (let i = 0; i < 2; i++) {
        const p = spawn('python3', [ACTIONS, 'traceme', '5'], { stdio: 'ignore' });
        pids.push(p.pid!);
        expect((await once(p, 'close'))[0]).toBe(0);
      }
      // the windows close, and their groups go out, before the agent stops
      await until(() => existsSync(out) && pids.every((pid) => readFileSync(out, 'utf8').includes(`"hostProcessId":${pid},`)), 10_000, 'the aggregated findings');
      agent.kill('SIGTERM');
      expect((await once(agent, 'exit'))[0]).toBe(0);
    } finally {
      agent.kill('SIGKILL');
    }
    const findings = readFileSync(out, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { hostProcessId: number; eventName: string; timestamp: number; aggregate?: { count: number; firstTimestamp: number; lastTimestamp: number } });
    // (the host's other processes may debug-trap too: ours are these)
    const ours = findings.filter((f) => pids.includes(f.hostProcessId));
    expect(ours.map((f) => [f.eventName, f.hostProcessId, f.aggregate?.count])).toEqual(pids.map((pid) => ['anti_debugging', pid, 5]));
    for (const f of ours) expect(f.aggregate!.firstTimestamp < f.aggregate!.lastTimestamp).toBe(true);
  }, 60_000);

  it('a destination that fails says so while it happens, with why, not only in the summary at exit', async () => {
    // a port free a moment ago: nothing listens there
    const port = await freePort();
    const agent = spawn(process.execPath, [CLI, '--events', 'sched_process_exec', '--output', `webhook:http://127.0.0.1:${port}/in`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    agent.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await until(() => stderr.includes('attached to'), 20_000, 'the agent attached');
      expect(await run(['/bin/true'])).toBe(0);
      await until(() => stderr.includes('tracee-rs: warning: destination webhook (webhook): '), 15_000, 'the warning');
      expect(stderr).toMatch(/tracee-rs: warning: destination webhook \(webhook\): \d+ records dropped, [1-9]\d* failed attempts since the start; last error: ECONNREFUSED\n/);
      agent.kill('SIGTERM');
      expect((await once(agent, 'exit'))[0]).toBe(0);
      expect(stderr).toMatch(/tracee-rs: destination webhook \(webhook\): 0 sent, [1-9]\d* dropped, [1-9]\d* failed attempts/);
    } finally {
      agent.kill('SIGKILL');
    }
  }, 60_000);
});
