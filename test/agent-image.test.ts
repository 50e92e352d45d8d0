// The agent image (deploy/Dockerfile, built by scripts/build-image.sh from
// the packed npm tarballs) run by Docker traces the host it runs on: with the
// host's pid, cgroup and UTS namespaces and the least privileges Docker needs
// here (docs/deploy.md), its JSON has a process on the host and one in
// another container, each under its host pid, the container's with its id,
// name and image (asked of Docker through the socket mounted in); stopped
// with `docker stop`, it detaches every program it loaded.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldProgramIds, tracePrograms, until } from './helpers.js';
import { buildImage, IMAGE, startDockerd, type Dockerd, type Started } from './fixtures/runtimes.js';

const execFileP = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const WORK = '/tmp/trc-agent-image-test';
/**
 * The least privileges Docker (20.10, Debian 12's) runs the agent with here,
 * under its default seccomp profile: CAP_SYS_ADMIN alone (this Docker knows
 * no CAP_BPF nor CAP_PERFMON, and its seccomp profile allows bpf() and
 * perf_event_open() to CAP_SYS_ADMIN). docs/deploy.md has the measurements.
 */
const LEAST = ['--cap-drop', 'ALL', '--cap-add', 'SYS_ADMIN'];

let docker: Dockerd;
/** tracee-rs:<hash of its inputs>, loaded into the test's dockerd. */
let tag: string;

beforeAll(async () => {
  docker = await startDockerd(await buildImage(join(WORK, 'image')), join(WORK, 'docker'));
  // the test build embeds this host's kernel (scripts/test.sh), which a release does not
  const { stdout } = await execFileP('bash', [join(ROOT, 'scripts/build-image.sh')], {
    env: { ...process.env, DOCKER_HOST: `unix://${docker.socket}`, TRACEE_PACK_ALLOW_HOST_BTF: '1' },
    timeout: 600_000,
    maxBuffer: 16 << 20,
  });
  tag = stdout.trim();
}, 660_000);

afterAll(async () => {
  await docker?.stop();
}, 120_000);

/** Tracee's JSON of an execve, the fields this test reads. */
interface ExecveJson {
  eventName: string;
  hostProcessId: number;
  hostName: string;
  containerId: string;
  container: { id?: string; name?: string; image?: string };
  args: { name: string; value: unknown }[];
}

/** A running agent container: its JSON lines parsed, its stderr, its exit. */
interface Agent {
  events: ExecveJson[];
  stderr: () => string;
  exit: Promise<number | null>;
}

/** `docker run` of the agent image, attached, with the host's namespaces, `privileges` and `args`. */
function runAgent(name: string, privileges: string[], args: string[]): Agent {
  const proc = spawn(
    'docker',
    [
      '-H',
      `unix://${docker.socket}`,
      'run',
      '--rm',
      '--name',
      name,
      '--pid=host',
      '--cgroupns=host',
      '--uts=host',
      ...privileges,
      // the host's cgroup hierarchies: Docker mounts only the container's own
      // cgroup there, where the containers started before the agent are not
      '-v',
      '/sys/fs/cgroup:/sys/fs/cgroup:ro',
      // the runtime's socket, for container names and images; the host's os-release (Tracee's mount)
      '-v',
      `${docker.socket}:${docker.socket}`,
      '-v',
      '/etc/os-release:/etc/os-release-host:ro',
      tag,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const events: ExecveJson[] = [];
  let stderr = '';
  let partial = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) events.push(JSON.parse(line) as ExecveJson);
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = once(proc, 'exit').then(([code]) => code as number | null);
  return { events, stderr: () => stderr, exit };
}

const argv = (e: ExecveJson) => e.args.find((a) => a.name === 'argv')?.value as string[] | undefined;

describe('the agent image', () => {
  it('is tagged with the hash of its inputs, and a second build reuses it', async () => {
    expect(tag).toMatch(/^tracee-rs:[0-9a-f]{12}$/);
    const again = await execFileP('bash', [join(ROOT, 'scripts/build-image.sh')], {
      env: { ...process.env, DOCKER_HOST: `unix://${docker.socket}`, TRACEE_PACK_ALLOW_HOST_BTF: '1' },
      timeout: 120_000,
    });
    expect([again.stdout.trim(), again.stderr]).toEqual([tag, `build-image: ${tag} is present; nothing to build\n`]);
  });

  it('traces execve on the host and in another container, under their host pids, the container with its id, name and image; docker stop detaches everything', async () => {
    const token = `trc-agent-${process.pid}-${Date.now()}`;
    // the other container waits for /tmp/go, then becomes /bin/echo (same pid: its host pid is Docker's
    // State.Pid; by its path, as busybox's sh would run its echo applet without an execve)
    const other: Started = await docker.run('trc-agent-other', {}, ['sh', '-c', `while [ ! -e /tmp/go ]; do sleep 0.1; done; exec /bin/echo ${token}-container`]);
    const agent = runAgent('trc-agent', LEAST, ['-e', 'execve', '-o', 'json', '--enrichment', `container.docker.socket=${docker.socket}`, '-d', '60s']);
    let held = new Set<number>();
    let hostPid: number | undefined;
    try {
      await until(() => /^tracee-rs: attached to/m.test(agent.stderr()), 60_000, `the agent to attach (stderr: ${agent.stderr()})`);
      const agentPid = Number(await docker.cli(['inspect', '-f', '{{.State.Pid}}', 'trc-agent']));
      held = heldProgramIds(agentPid);
      expect(tracePrograms().filter((p) => held.has(p.id)).length).toBe(held.size);
      const host = spawnSync('/bin/echo', [`${token}-host`]);
      hostPid = host.pid;
      await docker.exec(other.id, ['sh', '-c', ': > /tmp/go']);
      const seen = (suffix: string) => agent.events.some((e) => argv(e)?.[1] === `${token}-${suffix}`);
      await until(() => seen('host') && seen('container'), 15_000, `both markers in the JSON (host: ${seen('host')}, container: ${seen('container')}; ${agent.events.length} events)`);
    } finally {
      await docker.cli(['stop', '-t', '10', 'trc-agent']).catch(() => undefined);
    }
    expect(await agent.exit).toBe(0);
    expect(agent.stderr()).toMatch(/^tracee-rs: \d+ events seen, 0 lost, \d+ printed$/m);

    const marker = (suffix: string) => agent.events.filter((e) => e.eventName === 'execve' && argv(e)?.[1] === `${token}-${suffix}`);
    const onHost = marker('host');
    expect(onHost.map((e) => [e.hostProcessId, e.containerId, e.container, e.hostName])).toEqual([[hostPid, '', {}, hostname()]]);
    const inContainer = marker('container');
    expect(inContainer.map((e) => [e.hostProcessId, e.containerId, e.container])).toEqual([
      [other.pid, other.id, { id: other.id, name: 'trc-agent-other', image: IMAGE }],
    ]);

    // what the agent held were tracee-rs's programs (above), and the kernel
    // freed them all when it stopped; --rm removed its container
    expect(held.size).toBeGreaterThan(0);
    await until(() => !tracePrograms().some((p) => held.has(p.id)), 5000, "the kernel to free the agent's programs");
    expect((await docker.cli(['ps', '-a', '--format', '{{.Names}}'])).split('\n')).toEqual(['trc-agent-other']);
  });

  it("keys the kernel by the host's os-release, mounted where Tracee's image reads it (LIBBPFGO_OSRELEASE_FILE), not by the image's", async () => {
    const osRelease = readFileSync('/etc/os-release', 'utf8');
    const field = (k: string) => new RegExp(`^${k}=["']?([^"'\n]*)`, 'm').exec(osRelease)![1];
    const key = `${field('ID')}/${field('VERSION_ID')}/${execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim()}/${release()}`;
    const kernelLine = (out: string) => /^ {2}kernel {11}(.*)$/m.exec(out)?.[1];
    const info = (mounts: string[]) => docker.cli(['run', '--rm', ...mounts, tag, 'btf', 'info']);
    expect(kernelLine(await info(['-v', '/etc/os-release:/etc/os-release-host:ro']))).toBe(key);
    // the image has no os-release of its own to fall back on
    expect(kernelLine(await info([]))).toBe('unknown: LIBBPFGO_OSRELEASE_FILE=/etc/os-release-host: No such file or directory (os error 2)');
  });

  it('without CAP_SYS_ADMIN (Docker here grants no CAP_BPF/CAP_PERFMON) it refuses to start, naming the capabilities', async () => {
    const agent = runAgent('trc-agent-unprivileged', ['--cap-drop', 'ALL', '--cap-add', 'SYS_PTRACE', '--cap-add', 'DAC_READ_SEARCH'], ['-e', 'execve', '-d', '1s']);
    expect(await agent.exit).toBe(1);
    expect(agent.stderr()).toMatch(/^tracee-rs: error: tracee-rs needs privileges to load eBPF programs \(uid 0 lacks CAP_BPF and CAP_PERFMON\)/m);
  });
});
