// The agent image (deploy/Dockerfile, built by scripts/build-image.sh from
// the packed npm tarballs) traces the host it runs on. Run by Docker with
// the host's pid, cgroup and UTS namespaces and the least privileges Docker
// needs here (docs/deploy.md), its JSON has a process on the host and one in
// another container, each under its host pid, the container's with its id,
// name and image (asked of Docker through the socket mounted in); stopped
// with `docker stop`, it detaches every program it loaded. Run as the
// DaemonSet's pod (deploy/kubernetes/daemonset.yaml: its security context
// and mounts, sent through containerd's CRI as the kubelet sends them), it
// traces another pod's process with its pod.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { connect, criServices, unary } from '../packages/core/src/containers/runtimes/proto.js';
import { heldProgramIds, tracePrograms, until } from './helpers.js';
import { buildImage, IMAGE, kubeLabels, startContainerd, startDockerd, type Containerd, type Dockerd, type Started } from './fixtures/runtimes.js';

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
  kubernetes: { podName?: string; podNamespace?: string; podUID?: string; podSandbox?: boolean };
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

describe("the DaemonSet's pod, run through containerd's CRI", () => {
  // deploy/kubernetes/daemonset.yaml, the fields the kubelet turns into CRI requests
  interface PodSpec {
    hostPID?: boolean;
    containers: {
      securityContext: {
        privileged: boolean;
        allowPrivilegeEscalation: boolean;
        readOnlyRootFilesystem: boolean;
        runAsUser: number;
        capabilities: { drop: string[]; add: string[] };
        seccompProfile: { type: string };
      };
      volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
    }[];
    volumes: { name: string; configMap?: { name: string }; hostPath?: { path: string }; emptyDir?: object }[];
  }
  const objects = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/daemonset.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; data?: Record<string, string>; spec?: { template: { spec: PodSpec } } });
  const podSpec = objects.find((o) => o.kind === 'DaemonSet')!.spec!.template.spec;
  const [agentSpec] = podSpec.containers;
  const configMapData = objects.find((o) => o.kind === 'ConfigMap')!.data!;
  /** Kubernetes' default masked and read-only paths (k8s.io/kubernetes pkg/securitycontext/util.go), which the kubelet sends for an unprivileged container. */
  const MASKED = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'];
  const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
  const POD = { name: 'tracee-rs-x7k2p', namespace: 'tracee-rs', uid: '4b1f2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' };
  const APP = { name: 'shop-5c9f', namespace: 'shop', uid: '0d9e8f7a-6b5c-4d3e-9f2a-1b0c9d8e7f6a' };

  let containerd: Containerd;
  let cri: Client;
  const call = async <T>(method: string, req: object): Promise<T> => {
    const r = await unary<T>(cri, method, req, AbortSignal.timeout(60_000));
    if (r === undefined) throw new Error(`CRI ${method}: not found`);
    return r;
  };

  beforeAll(async () => {
    containerd = await startContainerd(await buildImage(join(WORK, 'image-cri')), join(WORK, 'containerd'));
    cri = connect(criServices().RuntimeService, containerd.socket);
    // the agent image, as a node pulls it: into the CRI plugin's namespace
    const archive = join(WORK, 'agent-image.tar');
    await docker.cli(['save', '-o', archive, tag]);
    await containerd.ctr(['-n', 'k8s.io', 'images', 'import', archive]);
    rmSync(archive);
  }, 180_000);

  afterAll(async () => {
    cri?.close();
    await containerd?.stop();
  }, 120_000);

  it("traces another pod's process under its host pid, with its container id and pod, with only the DaemonSet's capabilities and seccomp filter", async () => {
    const token = `trc-agent-pod-${process.pid}-${Date.now()}`;
    const app = await containerd.runPod(APP, 'app', ['sh', '-c', `while [ ! -e /tmp/go ]; do sleep 0.1; done; exec /bin/echo ${token}`]);

    // the volumes as the kubelet makes them: hostPath as is, a ConfigMap's
    // keys as files, emptyDir a directory; containerd's socket directory is
    // the test's containerd's (the manifest's /run/containerd on a node)
    const volumes = join(WORK, 'volumes');
    rmSync(volumes, { recursive: true, force: true });
    const hostPathOf = (v: PodSpec['volumes'][number]): string => {
      if (v.hostPath) return v.hostPath.path === '/run/containerd' ? dirname(containerd.socket) : v.hostPath.path;
      const dir = join(volumes, v.name);
      mkdirSync(dir, { recursive: true });
      if (v.configMap) for (const [k, text] of Object.entries(configMapData)) writeFileSync(join(dir, k), text);
      return dir;
    };
    const mounts = agentSpec.volumeMounts.map((m) => ({
      containerPath: m.mountPath,
      hostPath: hostPathOf(podSpec.volumes.find((v) => v.name === m.name)!),
      readonly: m.readOnly ?? false,
    }));
    const sc = agentSpec.securityContext;
    const namespaceOptions = { network: 'NODE', pid: podSpec.hostPID ? 'NODE' : 'CONTAINER', ipc: 'POD' };
    const sandboxConfig = {
      metadata: { ...POD, attempt: 0 },
      logDirectory: join(volumes, 'logs'),
      labels: kubeLabels(POD),
      linux: { cgroupParent: `/kubepods/burstable/pod${POD.uid}`, securityContext: { namespaceOptions, seccomp: { profileType: 'RuntimeDefault' } } },
    };
    mkdirSync(sandboxConfig.logDirectory, { recursive: true });
    const { podSandboxId } = await call<{ podSandboxId: string }>('runPodSandbox', { config: sandboxConfig });
    let containerId = '';
    let held = new Set<number>();
    let hostPid: number | undefined;
    const log = join(sandboxConfig.logDirectory, 'agent.log');
    /** The agent's stdout and stderr lines from its CRI log (`<time> <stream> <P|F> <text>`; P: a line continued). */
    const lines = (stream: 'stdout' | 'stderr'): string[] => {
      let text: string;
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        return [];
      }
      const out: string[] = [];
      let partial = '';
      for (const l of text.split('\n')) {
        const m = /^\S+ (stdout|stderr) ([PF]) (.*)$/.exec(l);
        if (!m || m[1] !== stream) continue;
        partial += m[3];
        if (m[2] === 'F') {
          out.push(partial);
          partial = '';
        }
      }
      return out;
    };
    const events = () => lines('stdout').map((l) => JSON.parse(l) as ExecveJson);
    try {
      ({ containerId } = await call<{ containerId: string }>('createContainer', {
        podSandboxId,
        sandboxConfig,
        config: {
          metadata: { name: 'tracee-rs' },
          image: { image: tag },
          // the manifest's --config needs the configuration file support; the events and output here are the test's
          args: ['-e', 'execve', '-o', 'json', '-d', '60s'],
          labels: kubeLabels(POD, 'tracee-rs'),
          logPath: 'agent.log',
          mounts,
          linux: {
            securityContext: {
              capabilities: { addCapabilities: sc.capabilities.add, dropCapabilities: sc.capabilities.drop },
              privileged: sc.privileged,
              namespaceOptions,
              runAsUser: { value: sc.runAsUser },
              readonlyRootfs: sc.readOnlyRootFilesystem,
              noNewPrivs: !sc.allowPrivilegeEscalation,
              seccomp: { profileType: sc.seccompProfile.type },
              maskedPaths: MASKED,
              readonlyPaths: READONLY,
            },
          },
        },
      }));
      await call('startContainer', { containerId });
      await until(() => lines('stderr').some((l) => l.startsWith('tracee-rs: attached to')), 60_000, `the agent pod to attach (stderr: ${lines('stderr').join('\n')})`);
      // tracefs as the host has it, through the manifest's read-only mount: the
      // per-syscall tracepoints without CAP_SYS_ADMIN where the host mounted it
      const hostTracefs = / \/sys\/kernel\/tracing .* - tracefs /.test(readFileSync('/proc/self/mountinfo', 'utf8'));
      expect(lines('stderr').find((l) => l.startsWith('tracee-rs: attached to'))).toMatch(hostTracefs ? /; syscalls: 2 per-syscall tracepoints;/ : /; syscalls: raw tracepoints sys_enter\/sys_exit \(tracefs is not mounted/);
      const agentPid = await taskPid(containerd, containerId);
      // what the kernel sees: only the DaemonSet's capabilities, a seccomp filter, no new privileges
      const status = readFileSync(`/proc/${agentPid}/status`, 'utf8');
      const field = (k: string) => new RegExp(`^${k}:\\s*(\\S+)$`, 'm').exec(status)![1];
      expect([capabilityNames(BigInt(`0x${field('CapEff')}`)), field('Seccomp'), field('NoNewPrivs')]).toEqual([sc.capabilities.add.map((c) => `CAP_${c}`).sort(), '2', '1']);
      held = heldProgramIds(agentPid);
      expect(tracePrograms().filter((p) => held.has(p.id)).length).toBe(held.size);
      hostPid = spawnSync('/bin/echo', [`${token}-host`]).pid;
      await containerd.exec('k8s.io', app.containerId, ['sh', '-c', ': > /tmp/go']);
      const seen = (t: string) => events().some((e) => argv(e)?.[1] === t);
      await until(() => seen(`${token}-host`) && seen(token), 15_000, `both markers in the pod's log (host: ${seen(`${token}-host`)}, pod: ${seen(token)})`);
    } finally {
      if (containerId) await call('stopContainer', { containerId, timeout: 10 }).catch(() => undefined);
    }
    const state = await call<{ status: { exitCode: number } }>('containerStatus', { containerId });
    expect(state.status.exitCode).toBe(0);
    expect(lines('stderr')).toContainEqual(expect.stringMatching(/^tracee-rs: \d+ events seen, 0 lost, \d+ printed$/));
    await call('removeContainer', { containerId });
    await call('stopPodSandbox', { podSandboxId });
    await call('removePodSandbox', { podSandboxId });

    const marker = (t: string) => events().filter((e) => e.eventName === 'execve' && argv(e)?.[1] === t);
    expect(marker(`${token}-host`).map((e) => [e.hostProcessId, e.containerId])).toEqual([[hostPid, '']]);
    // the other pod's container, named by containerd's CRI through the socket mounted as the manifest mounts it
    expect(marker(token).map((e) => [e.hostProcessId, e.containerId, e.container.name, e.kubernetes])).toEqual([
      [app.containerPid, app.containerId, 'app', { podName: APP.name, podNamespace: APP.namespace, podUID: APP.uid }],
    ]);
    expect(held.size).toBeGreaterThan(0);
    await until(() => !tracePrograms().some((p) => held.has(p.id)), 5000, "the kernel to free the agent pod's programs");
  });
});

/** The names of the capabilities set in a CapEff mask, sorted (the kernel's numbering, include/uapi/linux/capability.h). */
function capabilityNames(mask: bigint): string[] {
  const NAMES = ['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE'];
  return NAMES.filter((_, bit) => (mask >> BigInt(bit)) & 1n).map((n) => `CAP_${n}`).sort();
}

/** The host pid of a containerd task (`ctr tasks ls`). */
async function taskPid(containerd: Containerd, id: string): Promise<number> {
  const line = (await containerd.ctr(['-n', 'k8s.io', 'tasks', 'ls'])).split('\n').find((l) => l.startsWith(`${id} `));
  return Number(line?.trim().split(/\s+/)[1]);
}
