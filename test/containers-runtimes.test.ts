// Which container did it: the runtime clients of @tracee/core against real
// runtimes started here (test/fixtures/runtimes.ts: dockerd, podman's API
// service, containerd with its CRI plugin, bare runc), each on private
// sockets and roots. Each client must give a container's full id, name,
// image, digest, labels and pod (Tracee's definitions), know nothing of an
// unknown id, and fail in one line, quickly, when its runtime is absent,
// hangs or stops. CRI-O is not installable here: its client (the CRI one)
// is tested against containerd's CRI plugin.
//
// Also prints the cgroup paths (v1 cpuset, unified) each runtime gives its
// containers, and each runtime's start-up time.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContainerdClient,
  ContainerRuntimeError,
  CriClient,
  CrioClient,
  DockerClient,
  PodmanClient,
  type RuntimeClient,
  type RuntimeContainer,
} from '../packages/core/src/containers/runtimes/index.js';
import {
  buildImage,
  cgroupsOf,
  hexId,
  IMAGE,
  kubeLabels,
  MARKER_TEXT,
  startContainerd,
  startDockerd,
  startPodman,
  startRunc,
  type Containerd,
  type CriPod,
  type Dockerd,
  type OciImage,
  type Podman,
  type Runc,
  type Started,
} from './fixtures/runtimes.js';

const WORK = '/tmp/trc-runtimes-test';
const POD = { name: 'web-7d4b9', namespace: 'shop', uid: '5f0c3a2e-1b7d-4c55-9a1e-2b8f3c4d5e6f' };

let image: OciImage;
let docker: Dockerd | undefined;
let podman: Podman | undefined;
let containerd: Containerd | undefined;
let runc: Runc | undefined;
const clients: RuntimeClient[] = [];
/** cgroup paths seen, printed at the end for the record. */
const seen: string[] = [];
let t0 = 0;
let tStarted = 0;

function note(what: string, pid: number): void {
  const c = cgroupsOf(pid);
  seen.push(`${what}: cpuset ${c.cpuset} | unified ${c.unified}`);
}

/**
 * SIGSTOP to a daemon, resolved once every thread of it has stopped: a
 * thread already handling a request when the signal comes finishes its
 * answer first (seen once, on a loaded machine).
 */
async function hang(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const stopped = () =>
    readdirSync(`/proc/${pid}/task`).every((tid) => {
      try {
        return /^\d+ \(.*\) [tT] /.test(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      } catch {
        return true; // a thread gone
      }
    });
  for (const deadline = Date.now() + 5000; !stopped(); ) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} did not stop within 5 s of SIGSTOP`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** What a call rejected with (fails the test if it resolved). */
async function rejection(p: Promise<unknown>): Promise<ContainerRuntimeError> {
  try {
    await p;
  } catch (e) {
    return e as ContainerRuntimeError;
  }
  throw new Error('expected a rejection');
}

function client<T extends RuntimeClient>(c: T): T {
  clients.push(c);
  return c;
}

beforeAll(async () => {
  t0 = Date.now();
  image = await buildImage(join(WORK, 'image'));
  // the runtimes start side by side: each waits mostly on its daemon
  const started = await Promise.allSettled([
    startDockerd(image, join(WORK, 'docker')).then((r) => (docker = r)),
    startPodman(image, join(WORK, 'podman')).then((r) => (podman = r)),
    startContainerd(image, join(WORK, 'containerd')).then((r) => (containerd = r)),
    startRunc(image, join(WORK, 'runc')).then((r) => (runc = r)),
  ]);
  const failed = started.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed.length) throw new Error(failed.map((f) => String(f.reason)).join('\n'));
  tStarted = Date.now();
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  const stopped = await Promise.allSettled([docker?.stop(), podman?.stop(), containerd?.stop(), runc?.stop()]);
  console.log(
    [
      `runtimes: image built and every runtime started in ${tStarted - t0} ms (side by side; each alone: dockerd ${docker?.startMs} ms, podman ${podman?.startMs} ms, containerd ${containerd?.startMs} ms, runc ${runc?.startMs} ms); whole file ${Date.now() - t0} ms`,
      ...seen,
    ].join('\n'),
  );
  const failed = stopped.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed.length) throw new Error(`teardown: ${failed.map((f) => String(f.reason)).join('; ')}`);
}, 120_000);

/** ns since the epoch, as createdAt (ms are enough for a window). */
const nowNs = () => Date.now() * 1e6;

describe('docker (Engine API at its socket)', () => {
  let plain: Started;
  let sandbox: Started;
  let work: Started;
  let before = 0;
  beforeAll(async () => {
    before = nowNs() - 1e9;
    plain = await docker!.run('trc-plain', { 'trc.test': 'plain' });
    // dockershim's sandbox and workload containers: kubelet's labels and names
    sandbox = await docker!.run(`k8s_POD_${POD.name}_${POD.namespace}_${POD.uid}_0`, { ...kubeLabels(POD, 'POD'), 'io.kubernetes.docker.type': 'podsandbox' }, ['sleep', '300']);
    work = await docker!.run(`k8s_app_${POD.name}_${POD.namespace}_${POD.uid}_0`, { ...kubeLabels(POD, 'app'), 'io.kubernetes.docker.type': 'container' });
    note('docker plain', plain.pid);
    note('docker dockershim-style sandbox', sandbox.pid);
    note('docker dockershim-style workload', work.pid);
  });

  it('inspect: full id, name without /, image by tag, no digest for a loaded image, labels, no pod', async () => {
    const dc = client(new DockerClient({ socket: docker!.socket }));
    const c = await dc.inspect(plain.id);
    expect(c).toEqual({
      id: plain.id,
      runtime: 'docker',
      name: 'trc-plain',
      image: IMAGE,
      // Tracee's ImageDigest for Docker is the image's RepoDigests[0]: an image loaded from a file (never pulled or pushed) has none
      imageDigest: '',
      createdAt: expect.any(Number),
      labels: { 'trc.test': 'plain' },
    } satisfies RuntimeContainer);
    expect(c!.createdAt).toBeGreaterThan(before);
    expect(c!.createdAt).toBeLessThan(nowNs());
    expect(plain.id).toMatch(/^[0-9a-f]{64}$/);
    // the container opened the marker at start and runs sleep: the workload of the tracer's tests
    expect(await docker!.cli(['logs', plain.id])).toBe(MARKER_TEXT);
    expect(await docker!.exec(plain.id, ['cat', '/etc/trc-marker'])).toBe(MARKER_TEXT);
    expect(cgroupsOf(plain.pid)).toEqual({ cpuset: `/docker/${plain.id}`, unified: `/docker/${plain.id}` });
  });

  it("dockershim's pod containers: the pod from kubelet's labels, the sandbox from io.kubernetes.docker.type", async () => {
    const dc = client(new DockerClient({ socket: docker!.socket }));
    const s = await dc.inspect(sandbox.id);
    const w = await dc.inspect(work.id);
    expect(s).toMatchObject({ id: sandbox.id, name: `k8s_POD_${POD.name}_${POD.namespace}_${POD.uid}_0`, pod: { ...POD, sandbox: true } });
    expect(w).toMatchObject({ id: work.id, name: `k8s_app_${POD.name}_${POD.namespace}_${POD.uid}_0`, image: IMAGE, pod: { ...POD, sandbox: false } });
    expect(w!.labels['io.kubernetes.container.name']).toBe('app');
  });

  it('list: the running containers; an unknown id: undefined', async () => {
    const dc = client(new DockerClient({ socket: docker!.socket }));
    const all = await dc.list();
    expect(all.map((c) => c.id).sort()).toEqual([plain.id, sandbox.id, work.id].sort());
    expect(all.find((c) => c.id === work.id)).toEqual(await dc.inspect(work.id));
    expect(await dc.inspect(hexId())).toBeUndefined();
  });
});

describe("podman (its API service's Docker-compatible API)", () => {
  let plain: Started;
  let work: Started;
  beforeAll(async () => {
    plain = await podman!.run('trc-plain', { 'trc.test': 'plain' });
    // as CRI-O would label a pod's workload
    work = await podman!.run('trc-pod-app', { ...kubeLabels(POD, 'app'), 'io.kubernetes.cri-o.ContainerType': 'container' });
    note('podman plain', plain.pid);
    note('podman kube-labelled', work.pid);
  });

  it('inspect: full id, name, image by tag, the digest podman keeps, labels', async () => {
    const pc = client(new PodmanClient({ socket: podman!.socket }));
    const c = await pc.inspect(plain.id);
    // podman keeps the manifest of a loaded image: its RepoDigests, as podman's own CLI shows them
    const digests = JSON.parse(await podman!.cli(['image', 'inspect', '--format', '{{json .RepoDigests}}', IMAGE])) as string[];
    expect(digests.length).toBeGreaterThan(0);
    expect(c).toEqual({
      id: plain.id,
      runtime: 'podman',
      name: 'trc-plain',
      image: IMAGE,
      imageDigest: digests[0],
      createdAt: expect.any(Number),
      labels: { 'trc.test': 'plain' },
    } satisfies RuntimeContainer);
    expect(digests[0]).toMatch(/^trc\.local\/busybox@sha256:[0-9a-f]{64}$/);
    expect(await podman!.cli(['logs', plain.id])).toBe(MARKER_TEXT);
    expect(await podman!.exec(plain.id, ['cat', '/etc/trc-marker'])).toBe(MARKER_TEXT);
    expect(cgroupsOf(plain.pid)).toEqual({ cpuset: `/libpod_parent/libpod-${plain.id}`, unified: `/libpod_parent/libpod-${plain.id}` });
  });

  it('kube labels give the pod; list: the running ones; an unknown id: undefined', async () => {
    const pc = client(new PodmanClient({ socket: podman!.socket }));
    expect(await pc.inspect(work.id)).toMatchObject({ id: work.id, name: 'trc-pod-app', pod: { ...POD, sandbox: false } });
    expect((await pc.list()).map((c) => c.id).sort()).toEqual([plain.id, work.id].sort());
    expect(await pc.inspect(hexId())).toBeUndefined();
  });
});

describe('containerd: its native API in every namespace, and its CRI', () => {
  let plain: Started;
  let labelled: Started;
  let pod: CriPod;
  beforeAll(async () => {
    plain = await containerd!.run('trc', hexId(), { 'trc.test': 'plain' });
    // a container labelled as the CRI plugin labels its own, made without the CRI
    labelled = await containerd!.run('trc', hexId(), { ...kubeLabels(POD, 'app'), 'io.cri-containerd.kind': 'container' });
    pod = await containerd!.runPod(POD, 'app');
    note('containerd ctr (namespace trc)', plain.pid);
    note('containerd ctr kube-labelled (namespace trc)', labelled.pid);
    note('containerd CRI pod sandbox (cgroup parent /kubepods/besteffort/pod<uid>)', pod.sandboxPid);
    note('containerd CRI pod workload', pod.containerPid);
  });

  it('native: a ctr container: no name, the image record and its manifest digest', async () => {
    const cc = client(new ContainerdClient({ socket: containerd!.socket }));
    const c = await cc.inspect(plain.id);
    expect(c).toEqual({
      id: plain.id,
      runtime: 'containerd',
      name: '',
      image: IMAGE,
      // Tracee: the image record's target digest, the manifest's, as built here
      imageDigest: image.manifestDigest,
      createdAt: expect.any(Number),
      // ctr adds the image's stop signal as a label
      labels: { 'trc.test': 'plain', 'io.containerd.image.config.stop-signal': 'SIGTERM' },
    } satisfies RuntimeContainer);
    expect(await containerd!.exec('trc', plain.id, ['cat', '/etc/trc-marker'])).toBe(MARKER_TEXT);
    expect(cgroupsOf(plain.pid)).toEqual({ cpuset: `/trc/${plain.id}`, unified: `/trc/${plain.id}` });
    expect(await cc.inspect(labelled.id)).toMatchObject({ name: 'app', pod: { ...POD, sandbox: false } });
  });

  it("native: a CRI pod's sandbox and workload (namespace k8s.io): the sandbox from io.cri-containerd.kind", async () => {
    const cc = client(new ContainerdClient({ socket: containerd!.socket }));
    const s = await cc.inspect(pod.sandboxId);
    const w = await cc.inspect(pod.containerId);
    // the sandbox runs the configured sandbox image (trc.local/pause:1), which is ours under a second
    // name: the CRI plugin records the image's first name (sorted) in the container, one digest
    expect(s).toMatchObject({ id: pod.sandboxId, name: '', image: IMAGE, imageDigest: image.manifestDigest, pod: { ...POD, sandbox: true } });
    expect(s!.labels['io.cri-containerd.kind']).toBe('sandbox');
    expect(w).toMatchObject({ id: pod.containerId, name: 'app', image: IMAGE, imageDigest: image.manifestDigest, pod: { ...POD, sandbox: false } });
    expect(cgroupsOf(pod.containerPid)).toEqual({ cpuset: `/kubepods/besteffort/pod${POD.uid}/${pod.containerId}`, unified: `/kubepods/besteffort/pod${POD.uid}/${pod.containerId}` });
    expect(cgroupsOf(pod.sandboxPid)).toEqual({ cpuset: `/kubepods/besteffort/pod${POD.uid}/${pod.sandboxId}`, unified: `/kubepods/besteffort/pod${POD.uid}/${pod.sandboxId}` });
  });

  it('native list: the running containers of every namespace; an unknown id: undefined', async () => {
    const cc = client(new ContainerdClient({ socket: containerd!.socket }));
    expect((await cc.list()).map((c) => c.id).sort()).toEqual([plain.id, labelled.id, pod.sandboxId, pod.containerId].sort());
    expect(await cc.inspect(hexId())).toBeUndefined();
  });

  it("CRI (CRI-O's client, at containerd's CRI: no CRI-O here): container metadata name, image spec, imageRef; a sandbox by its pod", async () => {
    const cri = client(new CriClient({ socket: containerd!.socket }, 'containerd'));
    const w = await cri.inspect(pod.containerId);
    expect(w).toEqual({
      id: pod.containerId,
      runtime: 'containerd',
      name: 'app',
      image: IMAGE,
      // containerd's CRI gives the image id as imageRef for an image without a repo digest
      imageDigest: image.configDigest,
      createdAt: expect.any(Number),
      labels: { ...kubeLabels(POD, 'app') },
      pod: { ...POD, sandbox: false },
    } satisfies RuntimeContainer);
    expect(await cri.inspect(pod.sandboxId)).toEqual({
      id: pod.sandboxId,
      runtime: 'containerd',
      name: '',
      image: '',
      imageDigest: '',
      createdAt: expect.any(Number),
      labels: kubeLabels(POD),
      pod: { ...POD, sandbox: true },
    } satisfies RuntimeContainer);
    // the CRI knows only its own: not ctr's containers
    expect(await cri.inspect(plain.id)).toBeUndefined();
    expect((await cri.list()).map((c) => c.id).sort()).toEqual([pod.sandboxId, pod.containerId].sort());
    // CrioClient is the same client, named crio
    const crio = client(new CrioClient({ socket: containerd!.socket }));
    expect(await crio.inspect(pod.containerId)).toEqual({ ...w, runtime: 'crio' });
  });
});

describe('bare runc: no API to ask, the cgroup it gives', () => {
  it('a 64-hex container opens the marker and runs sleep; its cgroup is named by its id', async () => {
    const id = hexId();
    const c = await runc!.run(id);
    note('runc (no cgroupsPath in config.json)', c.pid);
    expect(await runc!.exec(id, ['cat', '/etc/trc-marker'])).toBe(MARKER_TEXT);
    expect(cgroupsOf(c.pid)).toEqual({ cpuset: `/${id}`, unified: `/${id}` });
  });
});

describe('errors: one line, quickly, never a hang', () => {
  const ABSENT = '/run/trc-no-such-runtime.sock';
  it('an absent socket: RUNTIME_NO_SOCKET naming the runtime, the socket and the option, within 1 s', async () => {
    for (const c of [new DockerClient({ socket: ABSENT }), new PodmanClient({ socket: ABSENT }), new ContainerdClient({ socket: ABSENT }), new CrioClient({ socket: ABSENT })]) {
      client(c);
      const t = Date.now();
      const e = await rejection(c.inspect(hexId()));
      expect(Date.now() - t).toBeLessThan(1000);
      expect(e, String(e)).toBeInstanceOf(ContainerRuntimeError);
      expect({ code: e.code, runtime: e.runtime, socket: e.socket }, e.message).toEqual({ code: 'RUNTIME_NO_SOCKET', runtime: c.runtime, socket: ABSENT });
      expect(e.message).toMatch(new RegExp(`^containers: no ${c.runtime} socket at ${ABSENT} \\(is .* running\\? point at another socket with --enrichment container\\.${c.runtime}\\.socket=PATH\\)$`));
      expect((await rejection(c.list())).code).toBe('RUNTIME_NO_SOCKET');
    }
  });

  it('a hung runtime (SIGSTOP): RUNTIME_TIMEOUT at the timeout, then answers again', async () => {
    for (const [rt, c] of [
      [docker!, new DockerClient({ socket: docker!.socket, timeoutMs: 400 })],
      [podman!, new PodmanClient({ socket: podman!.socket, timeoutMs: 400 })],
      [containerd!, new ContainerdClient({ socket: containerd!.socket, timeoutMs: 400 })],
      [containerd!, new CriClient({ socket: containerd!.socket, timeoutMs: 400 }, 'containerd')],
    ] as const) {
      client(c);
      // a first call connects, so the hang is the daemon's, not the dial's
      expect(await c.inspect(hexId())).toBeUndefined();
      await hang(rt.pid);
      try {
        const t = Date.now();
        const e = await rejection(c.inspect(hexId())).catch((x: Error) => new Error(`${c.runtime} ${c.constructor.name}: ${x.message}`) as ContainerRuntimeError);
        const took = Date.now() - t;
        expect(e.code, c.runtime).toBe('RUNTIME_TIMEOUT');
        expect(took).toBeGreaterThanOrEqual(390);
        expect(took).toBeLessThan(1500);
        expect(e.message).toBe(`containers: ${c.runtime} at ${c.socket} did not answer within 400 ms (it hangs or is overloaded; point at another socket with --enrichment container.${c.runtime}.socket=PATH or raise the timeout)`);
      } finally {
        process.kill(rt.pid, 'SIGCONT');
      }
      expect(await c.inspect(hexId())).toBeUndefined();
    }
  });

  it("the caller's abort: an AbortError, not a runtime error", async () => {
    const dc = client(new DockerClient({ socket: docker!.socket }));
    const ac = new AbortController();
    await hang(docker!.pid);
    try {
      setTimeout(() => ac.abort(), 100);
      const e = await rejection(dc.inspect(hexId(), ac.signal));
      expect((e as Error).name).toBe('AbortError');
    } finally {
      process.kill(docker!.pid, 'SIGCONT');
    }
  });

  it('a runtime stopped mid-test: the next call fails in one line within 1 s', async () => {
    const dc = client(new DockerClient({ socket: docker!.socket }));
    const cc = client(new ContainerdClient({ socket: containerd!.socket }));
    const pc = client(new PodmanClient({ socket: podman!.socket }));
    expect(await dc.inspect(hexId())).toBeUndefined();
    expect(await cc.inspect(hexId())).toBeUndefined();
    expect(await pc.inspect(hexId())).toBeUndefined();
    await Promise.all([docker!.stopDaemon(), containerd!.stopDaemon(), podman!.stopDaemon()]);
    for (const c of [dc, cc, pc]) {
      const t = Date.now();
      const e = await rejection(c.inspect(hexId()));
      expect(Date.now() - t).toBeLessThan(1000);
      expect(e).toBeInstanceOf(ContainerRuntimeError);
      expect(e.code, `${c.runtime}: ${e.message}`).toBe('RUNTIME_NO_SOCKET');
    }
  });
});
