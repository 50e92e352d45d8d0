// Containers in `npm run bench` (`--sections containers` alone), side by side
// in one run:
//   1. the cost per event of telling the container (the record's cgroupId
//      looked up in the container table: a hit, on the path to JavaScript
//      and in the native JSON writer): getppid() as fast as one CPU can make
//      it, from a process inside a container's cgroup and from one on the
//      host, into each consumer, delivered per second with the loss beside;
//   2. start-up with 50 containers running: the CLI's time to its first
//      event and to the 50th existing_container, with 50 containers' cgroups
//      (ids only: no runtime asked) and with 50 real Docker containers
//      described through the Docker Engine API (a dockerd of the bench's
//      own, on a private socket), against none.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const CONTAINERS = 50;
/** A container's cgroup as containerd names them: a 64-hex id. */
const hexId = (i) => i.toString(16).padStart(8, '0').repeat(8);

/**
 * Runs both parts and prints their lines; returns the samples. `bench`:
 * bench.mjs's { ROOT, OUT, QUICK, RUNS, node, median, log, startConsumer, throughputConsumers }.
 */
export async function measureContainers(bench) {
  const cgroup2 = cgroup2Mount();
  const parent = join(cgroup2, `tracee-rs-bench-${process.pid}`);
  mkdirSync(parent, { recursive: true });
  const sleepers = [];
  try {
    // 50 containers' cgroups, each with a process (as a runtime leaves its init)
    for (let i = 0; i < CONTAINERS; i++) {
      const dir = join(parent, hexId(i + 1));
      mkdirSync(dir, { recursive: true });
      sleepers.push(spawn('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec sleep 3600`], { stdio: 'ignore' }));
    }
    await new Promise((r) => setTimeout(r, 300));
    const perEvent = await measurePerEvent(bench, join(parent, hexId(1)));
    const startup = await measureStartupWith(bench);
    return { perEvent, startup };
  } finally {
    for (const s of sleepers) s.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < CONTAINERS; i++) rmdirSync(join(parent, hexId(i + 1)), { maxRetries: 5 });
    rmdirSync(parent);
  }
}

function cgroup2Mount() {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep > 0 && f[sep + 1] === 'cgroup2') return f[4];
  }
  throw new Error('no cgroup2 mount: the containers section needs one');
}

/** getppid() unpaced on CPU 1 from a process in `cgroup` (or on the host), into `consumer`. */
async function tracedFrom(bench, consumer, cgroup, ops) {
  const { stop } = await bench.startConsumer(consumer);
  const workload = join(bench.OUT, 'workload');
  const argv = cgroup ? ['sh', '-c', `echo $$ > ${cgroup}/cgroup.procs && exec "$@"`, 'sh', workload, 'getppid', String(ops), '1'] : [workload, 'getppid', String(ops), '1'];
  const started = process.hrtime.bigint();
  await new Promise((resolve) => spawn(argv[0], argv.slice(1), { stdio: 'ignore' }).on('exit', resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await new Promise((r) => setTimeout(r, 1000));
  const counts = await stop();
  return { seconds, ...counts, perSecond: counts.delivered / seconds };
}

async function measurePerEvent(bench, cgroup) {
  const ops = bench.QUICK ? 2e6 : 10e6;
  const out = [];
  const consumers = bench.throughputConsumers().filter((c) => c.name === 'RxJS subscriber' || c.name === 'CLI JSON -> /dev/null');
  for (const consumer of consumers) {
    const rows = { host: [], container: [] };
    for (let i = 0; i < bench.RUNS; i++) {
      // alternated, so that drift hits both alike
      rows.host.push(await tracedFrom(bench, consumer, undefined, ops));
      rows.container.push(await tracedFrom(bench, consumer, cgroup, ops));
    }
    const med = (rs) => bench.median(rs.map((r) => r.perSecond));
    const lost = (rs) => rs.reduce((n, r) => n + r.lost, 0) / Math.max(1, rs.reduce((n, r) => n + r.lost + r.received, 0));
    const [h, c] = [med(rows.host), med(rows.container)];
    // ns per event on the consumer's path: the difference of the inverse rates
    const extraNs = (1 / c - 1 / h) * 1e9;
    out.push({ consumer: consumer.name, host: rows.host, container: rows.container, hostPerSecond: h, containerPerSecond: c, extraNsPerEvent: extraNs });
    console.log(
      `containers, getppid() unpaced from one CPU into ${consumer.name}: on the host ${(h / 1e6).toFixed(2)} M/s (${(lost(rows.host) * 100).toFixed(1)} % lost), in a container ${(c / 1e6).toFixed(2)} M/s (${(lost(rows.container) * 100).toFixed(1)} % lost) = ${(c / h).toFixed(2)}x; ${extraNs.toFixed(0)} ns per event for the container (${CONTAINERS} running)`,
    );
  }
  return out;
}

/** The CLI until its first event, and until `existing` lines of it pass `counts`. */
function timeToExisting(bench, argv, existing, counts) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(bench.node, [join(bench.ROOT, 'packages/cli/dist/cli.js'), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let err = '';
    let first;
    let seen = 0;
    const timer = setTimeout(() => done(new Error(`not ${existing} existing_container within 60 s (${seen}): ${err.trim().split('\n').pop()}`)), 60_000);
    const done = (error) => {
      clearTimeout(timer);
      child.kill('SIGINT');
      if (error) reject(error);
      else resolve({ firstMs: first, allMs: Number(process.hrtime.bigint() - t0) / 1e6 });
    };
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) {
        first ??= Number(process.hrtime.bigint() - t0) / 1e6;
        if (counts(l)) seen++;
      }
      if (seen >= existing) done();
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => seen < existing && done(new Error(`exited with ${code}: ${err.trim().split('\n').pop()}`)));
  });
}

async function measureStartupWith(bench) {
  const out = [];
  const runs = async (name, argv, existing, counts) => {
    const samples = [];
    for (let i = 0; i < bench.RUNS; i++) samples.push(await timeToExisting(bench, argv, existing, counts));
    const row = { name, samples, firstMs: bench.median(samples.map((s) => s.firstMs)), allMs: bench.median(samples.map((s) => s.allMs)) };
    out.push(row);
    console.log(`containers, start-up, ${name}: first event ${row.firstMs.toFixed(0)} ms, every existing_container ${row.allMs.toFixed(0)} ms`);
  };
  // getppid() going on, as in the start-up section
  const background = spawn(join(bench.OUT, 'workload'), ['getppid', '1000000000', '1', '100000'], { stdio: 'ignore' });
  try {
    const existing = (l) => l.includes('"eventName":"existing_container"');
    await runs(`${CONTAINERS} containers' cgroups, ids only (--enrichment none)`, ['-e', 'existing_container', '-o', 'json', '--enrichment', 'none'], CONTAINERS, existing);
    await runs('no container: the first getppid', ['-e', 'getppid', '-o', 'json', '--enrichment', 'none'], 1, () => true);
    const docker = await startDocker(bench);
    if (docker) {
      try {
        await runs(
          `${CONTAINERS} Docker containers (and the 50 cgroups), each described by the Docker Engine API`,
          ['-e', 'existing_container', '-o', 'json', '--enrichment', `container.docker.socket=${docker.socket}`],
          CONTAINERS,
          // described: its name is the one the bench gave it
          (l) => existing(l) && /"name":"container_name","type":"const char \*","value":"bench-\d+"/.test(l),
        );
      } finally {
        docker.stop();
      }
    }
  } finally {
    background.kill('SIGKILL');
  }
  return out;
}

/** A dockerd of the bench's own with 50 busybox containers; undefined where dockerd is not installed (scripts/setup-containers.sh installs it). */
async function startDocker(bench) {
  if (spawnSync('sh', ['-c', 'command -v dockerd']).status !== 0) {
    console.log('containers, start-up with Docker: dockerd is not installed here (scripts/setup-containers.sh installs it)');
    return undefined;
  }
  const socket = '/run/tracee-rs-bench-docker.sock';
  const root = '/var/lib/tracee-rs-bench-docker';
  const exec = '/run/tracee-rs-bench-docker';
  const daemon = spawn('dockerd', ['--host', `unix://${socket}`, '--data-root', root, '--exec-root', exec, '--pidfile', `${exec}.pid`, '--iptables=false', '--ip-masq=false', '--bridge=none'], { stdio: 'ignore' });
  const docker = (...args) => execFileSync('docker', ['-H', `unix://${socket}`, ...args], { encoding: 'utf8' }).trim();
  const stop = () => {
    try {
      const ids = docker('ps', '-aq');
      if (ids) docker('rm', '-f', ...ids.split('\n'));
    } catch {
      // the daemon is gone already
    }
    daemon.kill('SIGTERM');
  };
  for (let i = 0; i < 150 && spawnSync('docker', ['-H', `unix://${socket}`, 'version'], { stdio: 'ignore' }).status !== 0; i++) await new Promise((r) => setTimeout(r, 200));
  try {
    const rootfs = join(bench.OUT, 'busybox-rootfs');
    rmSync(rootfs, { recursive: true, force: true });
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    execFileSync('cp', ['/usr/bin/busybox', join(rootfs, 'bin/busybox')]);
    execFileSync('ln', ['-s', 'busybox', join(rootfs, 'bin/sleep')]);
    const tar = join(bench.OUT, 'busybox.tar');
    execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
    execFileSync('docker', ['-H', `unix://${socket}`, 'import', tar, 'tracee-rs-bench/busybox:1'], { stdio: 'ignore' });
    for (let i = 0; i < CONTAINERS; i++) docker('run', '-d', '--network', 'none', '--stop-timeout', '1', '--name', `bench-${i}`, 'tracee-rs-bench/busybox:1', '/bin/sleep', '3600');
  } catch (e) {
    stop();
    console.log(`containers, start-up with Docker: cannot run here: ${e.message.split('\n')[0]}`);
    return undefined;
  }
  return { socket, stop };
}
