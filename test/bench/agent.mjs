// The agent in `npm run bench` (`--sections agent` alone), side by side in
// one run: getppid() made at a fixed rate by one workload on CPU 1, traced
// by the CLI on CPU 0 into each output: the plain `-o json` into a file (the
// native writer's thread), the agent with a file destination, a webhook to
// a receiver of the bench's own (node:http, answering 200), OTLP/HTTP and
// OTLP/gRPC to the OpenTelemetry Collector scripts/setup-otelcol.sh builds,
// and a webhook and an OTLP destination whose port refuses connections
// (dead). For each: events delivered per second, the kernel's loss, what the
// destination dropped, the tracer's CPU and its peak RSS. Then a dead
// webhook and a dead OTLP destination for 60 s (--quick: 10) at 100 k
// events/s: the tracer's RSS over time, bounded by the destinations' queues.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createConnection, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The rates (getppid calls per second) each output is measured at. */
const RATES = { quick: [100_000], full: [100_000, 300_000] };
/** The dead-destination run's rate (the issue's: 100 k events/s). */
const DEAD_RATE = 100_000;

/**
 * Runs both parts and prints their lines; returns the samples. `bench`:
 * bench.mjs's { ROOT, OUT, QUICK, node, log, startTracer, stopTracer }.
 */
export async function measureAgent(bench) {
  const { ROOT, QUICK, node, log } = bench;
  const seconds = QUICK ? 3 : 10;
  const cli = [node, join(ROOT, 'packages/cli/dist/cli.js'), '-e', 'getppid'];
  const receiver = await httpReceiver();
  const collector = await startCollector(bench);
  const dead = await refusedPort();
  const file = '/dev/shm/tracee-rs-bench-agent.json';
  // every output on tmpfs or 127.0.0.1: the tracer's path measured, not a disk's or a network's
  const outputs = [
    { name: 'plain -o json -> file', args: ['-o', 'json'], stdoutFile: file },
    { name: 'agent: file destination', args: ['-o', `json:${file}`] },
    { name: 'agent: webhook (200)', args: ['-o', `webhook:${receiver.url}`] },
    ...(collector
      ? [
          { name: 'agent: OTLP/HTTP -> collector', args: ['-o', `otlp:${collector.http}`] },
          { name: 'agent: OTLP/gRPC -> collector', args: ['-o', `otlp+grpc:${collector.grpc}`] },
        ]
      : []),
    { name: 'agent: webhook, refused (dead)', args: ['-o', `webhook:http://127.0.0.1:${dead}/`] },
    { name: 'agent: OTLP/HTTP, refused (dead)', args: ['-o', `otlp:http://127.0.0.1:${dead}`] },
  ];
  const rows = [];
  try {
    for (const rate of RATES[QUICK ? 'quick' : 'full']) {
      for (const o of outputs) {
        const row = { output: o.name, rate, ...(await tracedAtRate(bench, { cmd: [...cli, ...o.args], stdoutFile: o.stdoutFile }, rate, seconds)) };
        rmSync(file, { force: true });
        rows.push(row);
        log(`agent, ${o.name} at ${rate / 1000} k/s: ${row.delivered} delivered, ${row.lost} lost, ${row.dropped} dropped, CPU ${row.cpuPercent.toFixed(0)} %, peak RSS ${row.hwmMiB.toFixed(0)} MiB`);
      }
    }
    console.log(`\nagent (getppid at a fixed rate, one workload on CPU 1, the tracer on CPU 0, ${seconds} s each): events delivered per second, the kernel's loss, what the destination dropped, the tracer's CPU (of one CPU) and peak RSS`);
    console.log(`  ${'output'.padEnd(36)} ${'rate/s'.padStart(8)} ${'delivered/s'.padStart(12)} ${'lost'.padStart(9)} ${'dropped'.padStart(9)} ${'CPU %'.padStart(6)} ${'peak RSS MiB'.padStart(13)}`);
    for (const r of rows) {
      console.log(`  ${r.output.padEnd(36)} ${String(r.rate).padStart(8)} ${Math.round(r.delivered / r.seconds).toString().padStart(12)} ${String(r.lost).padStart(9)} ${String(r.dropped).padStart(9)} ${r.cpuPercent.toFixed(0).padStart(6)} ${r.hwmMiB.toFixed(0).padStart(13)}`);
    }
    if (!collector) console.log('  (OTLP to the collector: not built here; scripts/setup-otelcol.sh builds it)');
    const deadRun = await deadDestinations(bench, cli, dead, QUICK ? 10 : 60);
    return { rows, dead: deadRun };
  } finally {
    await receiver.close();
    await collector?.stop();
  }
}

/**
 * Traces getppid() made at `rate` per second for `seconds` into the tracer
 * `config` starts; the tracer's CPU and peak RSS are read before it stops
 * (its shutdown, a dead destination's close timeout among it, not counted).
 */
async function tracedAtRate(bench, config, rate, seconds, sample) {
  const t = await bench.startTracer({ ...config, ready: /attached/ });
  const pid = t.child.pid;
  const cpuBefore = cpuTicks(pid);
  const started = process.hrtime.bigint();
  const samples = [];
  const sampler = sample && setInterval(() => samples.push({ s: Number(process.hrtime.bigint() - started) / 1e9, rssMiB: status(pid, 'VmRSS') / 1024 }), sample);
  await new Promise((resolve) => spawn(join(bench.OUT, 'workload'), ['getppid', String(rate * seconds), '1', String(rate)], { stdio: 'ignore' }).on('exit', resolve));
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  // let the tracer catch up (what is still in the ring is not lost)
  await new Promise((r) => setTimeout(r, 1000));
  if (sampler) clearInterval(sampler);
  const cpuSeconds = (cpuTicks(pid) - cpuBefore) / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  const hwmMiB = status(pid, 'VmHWM') / 1024;
  const output = await bench.stopTracer(t);
  return { seconds: wall, ...summary(output), cpuPercent: (100 * cpuSeconds) / (wall + 1), hwmMiB, samples };
}

/** The CLI's summary: events seen and lost, and what its destinations sent and dropped (the plain printer: what it printed). */
function summary(output) {
  const seen = /(\d+) events seen, (\d+) lost/.exec(output);
  if (!seen) throw new Error(`no summary from the CLI: ${output.slice(-300)}`);
  const destinations = [...output.matchAll(/destination \S+ \(\w+\): (\d+) sent, (\d+) dropped/g)];
  const printed = /(\d+) printed/.exec(output);
  return {
    received: Number(seen[1]),
    lost: Number(seen[2]),
    delivered: destinations.length ? destinations.reduce((n, m) => n + Number(m[1]), 0) : Number(printed?.[1] ?? 0),
    dropped: destinations.reduce((n, m) => n + Number(m[2]), 0),
  };
}

/** A dead webhook and a dead OTLP destination at DEAD_RATE for `seconds`: RSS every second, peak, loss and drops. */
async function deadDestinations(bench, cli, dead, seconds) {
  const r = await tracedAtRate(bench, { cmd: [...cli, '-o', `webhook:http://127.0.0.1:${dead}/`, '-o', `otlp:http://127.0.0.1:${dead}`] }, DEAD_RATE, seconds, 1000);
  const every = Math.max(1, Math.round(seconds / 6));
  const shown = r.samples.filter((_, i) => (i + 1) % every === 0);
  console.log(`\nagent, a dead webhook and a dead OTLP destination (connection refused) for ${seconds} s at ${DEAD_RATE / 1000} k events/s: the tracer's RSS over time, MiB`);
  console.log(`  ${shown.map((s) => `${Math.round(s.s)} s: ${s.rssMiB.toFixed(0)}`).join(', ')}; peak ${r.hwmMiB.toFixed(0)} MiB; ${r.lost} lost in the kernel, ${r.dropped} dropped by the destinations (of ${r.received} events, each destination's)`);
  return r;
}

/** A field of /proc/<pid>/status, in kB. */
function status(pid, field) {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

/** The process's CPU time so far (every thread's utime + stime), in clock ticks. */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** A webhook receiver: answers every POST 200 once its body is read. */
async function httpReceiver() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}/events`,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** A port of 127.0.0.1 that refuses connections (one just given up). */
async function refusedPort() {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * The collector scripts/setup-otelcol.sh built, on CPU 1 beside the
 * workload, its OTLP receivers into the debug exporter (a line per batch:
 * what arrives is acknowledged, not written out); undefined where not built.
 */
async function startCollector(bench) {
  const r = spawnSync('bash', [join(bench.ROOT, 'scripts/setup-otelcol.sh'), '--print-path'], { encoding: 'utf8' });
  const bin = r.stdout?.trim();
  if (r.status !== 0 || !bin || !existsSync(bin)) return undefined;
  const [http, grpc] = [await refusedPort(), await refusedPort()];
  const dir = mkdtempSync(join(tmpdir(), 'tracee-rs-bench-otelcol-'));
  const config = {
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${http}` }, grpc: { endpoint: `127.0.0.1:${grpc}` } } } },
    exporters: { debug: { verbosity: 'basic' } },
    service: { pipelines: { logs: { receivers: ['otlp'], exporters: ['debug'] } }, telemetry: { metrics: { level: 'none' }, logs: { level: 'warn' } } },
  };
  writeFileSync(join(dir, 'config.yaml'), JSON.stringify(config));
  const child = spawn('taskset', ['-c', '1', bin, '--config', `file:${join(dir, 'config.yaml')}`], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  for (let i = 0; i < 150 && !((await accepts(http)) && (await accepts(grpc))); i++) await new Promise((res) => setTimeout(res, 100));
  return {
    http: `http://127.0.0.1:${http}`,
    grpc: `http://127.0.0.1:${grpc}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether 127.0.0.1:`port` accepts a connection. */
function accepts(port) {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
