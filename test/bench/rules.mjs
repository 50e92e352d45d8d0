// The rule layer's figures in `npm run bench` (`--sections rules` alone), side
// by side in one run:
//   1. replay from memory: a mixed workload (rules-workload.sh) recorded
//      live through the builtin rules' trace, replayed on one CPU through
//      detect() as `tracee-rs --rules` and `tracee-rs analyze` run it, all
//      rules at once and each alone (rules-replay.mjs);
//   2. live: the highest paced rate of library opens (which the rules'
//      kernel filters let through, and the rules judge) that
//      `tracee-rs --rules` takes with zero loss, and opens unpaced on both
//      CPUs;
//   3. finding latency: from the kernel's record (the event's timestamp) to
//      the findings() subscriber, for pokes paced at 200/s, with the default
//      flush interval and with 1 ms.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs the three parts and prints their report lines (console.log);
 * returns every sample for the results JSON. `bench`: bench.mjs's
 * { ROOT, OUT, QUICK, RUNS, node, startTracer, stopTracer, median, log }.
 */
export async function measureRules(bench) {
  const replay = await measureReplay(bench);
  const live = await measureLive(bench);
  const latency = await measureLatency(bench);
  return { replay, live, latency };
}

/** Runs `argv` to its end; rejects on a non-zero exit, with its stderr's last line. */
function run(argv, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${argv.join(' ')}: exit ${code}: ${stderr.trim().split('\n').pop()}`))));
  });
}

/** The last line of a stopped tracer's output, as JSON (what rules-trace.mjs prints on SIGINT). */
const lastJson = (output) => JSON.parse(output.trim().split('\n').pop());

async function measureReplay({ ROOT, OUT, QUICK, RUNS, node, startTracer, stopTracer, log }) {
  const file = join(OUT, 'rules-events.jsonl');
  const dir = join(OUT, 'rules-workload');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rounds = QUICK ? 4 : 20;
  const tracer = await startTracer({ cmd: [node, join(ROOT, 'test/bench/rules-trace.mjs'), 'record', file], ready: /ready/ });
  const started = process.hrtime.bigint();
  let output;
  try {
    await run(['taskset', '-c', '1', 'sh', join(ROOT, 'test/bench/rules-workload.sh'), String(rounds), dir]);
  } finally {
    // what is still in the ring is recorded, not lost
    await new Promise((r) => setTimeout(r, 1000));
    output = await stopTracer(tracer);
    rmSync(dir, { recursive: true, force: true });
  }
  const recording = { rounds, seconds: Number(process.hrtime.bigint() - started) / 1e9, ...lastJson(output) };
  log(`rules: recorded ${recording.recorded} events (${recording.lost} lost) in ${recording.seconds.toFixed(1)} s; replaying`);
  const r = spawnSync('taskset', ['-c', '1', node, join(ROOT, 'test/bench/rules-replay.mjs'), file, String(RUNS)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`rules-replay.mjs: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const replay = { recording, ...JSON.parse(r.stdout) };
  const rate = (p) => `${(1e3 / p.nsPerEvent).toFixed(2)} M events/s (${p.nsPerEvent.toFixed(0)} ns/event, ${spread(p.samples)})`;
  const found = Object.entries(replay.cli.byRule).filter(([, n]) => n > 0).map(([id, n]) => `${id} ${n}`).join(', ');
  console.log(
    `\nrules, replayed from memory on one CPU: ${replay.events} events recorded live (the builtin rules' trace of ${rounds} rounds of test/bench/rules-workload.sh and whatever else ran on the host; ${recording.lost} lost), ${replay.cli.findings} findings (${found}):`,
  );
  console.log(`  all ${replay.rules.length} builtin rules as tracee-rs --rules runs them (each rule the events its own policy matched): ${rate(replay.cli)} (target >= 1 M events/s)`);
  console.log(`  all ${replay.rules.length} builtin rules as tracee-rs analyze runs them (each rule every event it names):         ${rate(replay.analyze)}`);
  console.log(`  no rule (the process tree and the routing alone):                                          ${rate(replay.none)}`);
  console.log('  each rule alone, ns/event over the same events beyond no rule (median of paired passes), as --rules / as analyze, and its findings:');
  const added = (p) => p.addedNsPerEvent.toFixed(0).padStart(6);
  for (const x of [...replay.rules].sort((a, b) => b.analyze.addedNsPerEvent - a.analyze.addedNsPerEvent)) {
    console.log(`    ${x.id.padEnd(9)} ${x.eventName.padEnd(26)} ${added(x.cli)} / ${added(x.analyze)}  ${x.findings}`);
  }
  return replay;
}

/**
 * The CPU time a process has used, all its threads, user and system, in
 * ns: /proc/PID/stat's utime and stime (fields 14 and 15), in clock ticks
 * of 10 ms (USER_HZ, 100 on Linux).
 */
function cpuNs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // from field 3 on: the name (field 2) may hold spaces
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 1e7;
}

/** `min..max` of samples in ns per event: how noisy a median is. */
const spread = (xs) => `${Math.min(...xs).toFixed(0)}..${Math.max(...xs).toFixed(0)} over ${xs.length} passes`;

/**
 * `tracee-rs --rules -o json` (to /dev/null) on CPU 0 while library opens
 * are paced on CPU 1, at rising rates until records are lost or the opens
 * cannot keep the pace (each open costs the kernel's programs several µs:
 * one CPU makes only so many); then opens as fast as both CPUs make them,
 * one workload sharing CPU 0 with the tracer. The CLI's summary line counts
 * what it saw and lost, exactly.
 */
async function measureLive({ ROOT, OUT, QUICK, node, startTracer, stopTracer, log }) {
  const cli = join(ROOT, 'packages/cli/dist/cli.js');
  const seconds = QUICK ? 1 : 3;
  /** One trace of `cpus` workloads of `opens` opens each (paced to `rate`/s if given): what the CLI saw and lost, and the opens' rate. */
  const traced = async (cpus, opens, rate) => {
    const tracer = await startTracer({ cmd: [node, cli, '--rules', '-o', 'json'], ready: /attached/, discard: true });
    const cpuAtStart = cpuNs(tracer.child.pid);
    const started = process.hrtime.bigint();
    let nsPerOpen;
    let seconds;
    let cpuUsed;
    let output;
    try {
      nsPerOpen = await Promise.all(cpus.map((cpu) => run([join(OUT, 'workload'), 'openlib', String(opens), String(cpu), ...(rate ? [String(rate)] : [])]).then(Number)));
      seconds = Number(process.hrtime.bigint() - started) / 1e9;
    } finally {
      // what is still in the ring is not lost: the CLI takes it before it stops
      await new Promise((r) => setTimeout(r, 1000));
      cpuUsed = cpuNs(tracer.child.pid) - cpuAtStart;
      output = await stopTracer(tracer);
    }
    const m = /(\d+) events seen, (\d+) lost, (\d+) findings/.exec(output);
    if (!m) throw new Error(`tracee-rs --rules said no summary: ${output.slice(-300)}`);
    const opensPerSecond = cpus.length * (1e9 / Math.max(...nsPerOpen));
    return { workloads: cpus.length, paced: rate, opens: opens * cpus.length, seconds, opensPerSecond, seen: Number(m[1]), lost: Number(m[2]), findings: Number(m[3]), cpuNsPerEvent: cpuUsed / Number(m[1]) };
  };
  const steps = [];
  const eventRate = (step) => step.seen / step.seconds;
  // the step with the highest event rate and no loss (the host's other work moves the rate one CPU opens at)
  let zeroLoss;
  let limit;
  for (const rate of [10e3, 20e3, 40e3, 60e3, 80e3, 100e3, 150e3, 200e3, 300e3]) {
    const step = await traced([1], rate * seconds, rate);
    steps.push(step);
    log(`rules live, opens paced at ${rate / 1e3} k/s: ${step.seen} events seen, ${step.lost} lost, ${(step.opensPerSecond / 1e3).toFixed(0)} k opens/s made`);
    if (step.lost > 0) {
      limit = `at ${rate / 1e3} k/s it lost ${step.lost} of ${step.seen + step.lost}`;
      break;
    }
    if (!zeroLoss || eventRate(step) > eventRate(zeroLoss)) zeroLoss = step;
    if (step.opensPerSecond < 0.9 * rate) {
      limit = `one CPU opens no faster while traced: paced at ${rate / 1e3} k/s, it made ${(step.opensPerSecond / 1e3).toFixed(0)} k/s`;
      break;
    }
  }
  limit ??= 'the fastest step';
  console.log(
    zeroLoss
      ? `rules live: tracee-rs --rules -o json took ${(eventRate(zeroLoss) / 1e3).toFixed(0)} k events/s with zero loss, using ${(zeroLoss.cpuNsPerEvent / 1e3).toFixed(1)} µs of CPU per event (${zeroLoss.seen} events of library opens paced at ${zeroLoss.paced / 1e3} k/s, each judged by the rules, in ${zeroLoss.seconds.toFixed(1)} s; ${limit})`
      : `rules live: tracee-rs --rules lost records even at ${steps[0].paced / 1e3} k opens/s (${limit})`,
  );
  const both = await traced([0, 1], (QUICK ? 50e3 : 200e3) / 2);
  steps.push(both);
  console.log(
    `rules live, 2 workloads unpaced (one on the tracer's CPU): ${(both.opensPerSecond / 1e3).toFixed(0)} k opens/s made, ${both.seen} events seen, ${both.lost} lost (${((100 * both.lost) / (both.seen + both.lost)).toFixed(1)} %), ${(both.cpuNsPerEvent / 1e3).toFixed(1)} µs of CPU per event`,
  );
  return steps;
}

/**
 * Latency of findings: ptrace(PTRACE_POKEDATA) refused, a TRC-103 finding
 * each, paced at 200/s on CPU 1 while findings(BUILTIN_RULES) runs on CPU 0;
 * each finding's arrival in the subscriber (CLOCK_MONOTONIC, moved onto
 * CLOCK_BOOTTIME) minus its event's timestamp (the kernel's record). With
 * the default flush interval (an idle trace delivers a partial batch after
 * it), then with 1 ms: what is left is the way through, rules included.
 */
async function measureLatency({ ROOT, OUT, QUICK, node, startTracer, stopTracer, median }) {
  const pokes = QUICK ? 200 : 1000;
  const rate = 200;
  const rows = [];
  // imported here, not at the top: bench.mjs builds packages/core first where it is not built
  const { DEFAULTS } = await import('../../packages/core/dist/index.js');
  for (const flushMs of [DEFAULTS.flushIntervalMs, 1]) {
    const tracer = await startTracer({ cmd: [node, join(ROOT, 'test/bench/rules-trace.mjs'), 'latency', 'TRC-103', String(flushMs)], ready: /ready/ });
    let output;
    let pid;
    try {
      const workload = spawn(join(OUT, 'workload'), ['poke', String(pokes), '1', String(rate)], { stdio: 'ignore' });
      pid = workload.pid;
      const [code] = await once(workload, 'exit');
      if (code !== 0) throw new Error(`workload poke: exit ${code}`);
    } finally {
      await new Promise((r) => setTimeout(r, 1000));
      output = await stopTracer(tracer);
    }
    const offset = Number((await run([join(OUT, 'workload'), 'clocks'])).trim());
    const { samples, lost } = lastJson(output);
    // the workload's: another process may poke too
    const mine = samples.filter(([, , p]) => p === pid);
    if (mine.length !== pokes) throw new Error(`${pokes} pokes made, ${mine.length} TRC-103 findings of them (${lost} records lost)`);
    const us = mine.map(([ts, arrival]) => (arrival + offset - ts) / 1e3).sort((a, b) => a - b);
    const pct = (p) => us[Math.min(us.length - 1, Math.floor((p / 100) * us.length))];
    const row = { flushIntervalMs: flushMs, pokes, rate, offsetNs: offset, p50Us: median(us), p99Us: pct(99), maxUs: us[us.length - 1], samplesUs: us };
    rows.push(row);
    const ms = (v) => (v / 1e3).toFixed(2);
    console.log(
      `rules finding latency, kernel record to findings() subscriber, flush interval ${flushMs} ms${flushMs === DEFAULTS.flushIntervalMs ? ' (the default)' : ''} (${pokes} ptrace pokes at ${rate}/s, a TRC-103 finding each): p50 ${ms(row.p50Us)} ms, p99 ${ms(row.p99Us)} ms, max ${ms(row.maxUs)} ms`,
    );
  }
  return rows;
}
