// Which container did it, end to end: real runtimes started here
// (test/fixtures/runtimes.ts: dockerd, podman, containerd with its CRI
// plugin, bare runc, on private sockets), traced by tracee-rs. Each event
// from a container carries its full id (from its cgroup, in the kernel
// record), and its name, image and pod where the runtime says them; the
// lifecycle events (existing_container, container_create, container_remove)
// come with Tracee's arguments; the scopes container, not-container,
// container=new and container=<id> select in the kernel by cgroup, so a
// host process and an `unshare -p` one are no container.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TraceSession, traceeJson, type ContainerEnrichment, type TraceeEvent, type TraceOptions } from '@tracee/core';
import { arg, CLI, until } from './helpers.js';
import {
  buildImage,
  hexId,
  IMAGE,
  kubeLabels,
  MARKER,
  startContainerd,
  startDockerd,
  startPodman,
  startRunc,
  type Containerd,
  type Dockerd,
  type OciImage,
  type Podman,
  type Runc,
  type Started,
} from './fixtures/runtimes.js';

const WORK = '/tmp/trc-containers-test';
const POD = { name: 'shop-5c9f', namespace: 'shop', uid: '0d9e8f7a-6b5c-4d3e-9f2a-1b0c9d8e7f6a' };
/** A workload that opens the marker a while after it starts: by then a runtime has described its container. */
const LATE_CAT = ['sh', '-c', `sleep 1; cat ${MARKER}; exec sleep 300`];

let image: OciImage;
let docker: Dockerd;
let podman: Podman;
let containerd: Containerd;
let runc: Runc;
/** A docker container started before any trace: existing_container's. */
let before: Started;

beforeAll(async () => {
  image = await buildImage(join(WORK, 'image'));
  [docker, podman, containerd, runc] = await Promise.all([
    startDockerd(image, join(WORK, 'docker')),
    startPodman(image, join(WORK, 'podman')),
    startContainerd(image, join(WORK, 'containerd')),
    startRunc(image, join(WORK, 'runc')),
  ]);
  before = await docker.run('trc-before', { 'trc.test': 'before' }, ['sleep', '300']);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([docker?.stop(), podman?.stop(), containerd?.stop(), runc?.stop()]);
}, 120_000);

/** Every runtime of this file, at its private socket. */
const enrichment = (): ContainerEnrichment => ({
  enabled: true,
  sockets: { docker: docker.socket, podman: podman.socket, containerd: containerd.socket },
  cgroupfs: { force: false },
});

/** A trace whose events are gathered into `seen` until stopped. */
function collect(options: TraceOptions): { session: TraceSession; seen: TraceeEvent[]; done: Promise<void> } {
  const session = TraceSession.start(options);
  const seen: TraceeEvent[] = [];
  const done = (async () => {
    while (await session.nextEach((e) => seen.push(e)));
  })();
  return { session, seen, done };
}

const opensOf = (seen: TraceeEvent[], path: string) => seen.filter((e) => e.eventName === 'openat' && arg(e, 'pathname') === path);

describe('docker: identity, enrichment and lifecycle', () => {
  it('events carry the container of their cgroup with its name and image; existing_container, container_create, container_remove with Tracee\'s arguments; host and unshare -p processes are no container', async () => {
    const { session, seen, done } = collect({
      events: ['openat', 'existing_container', 'container_create', 'container_remove'],
      scope: ['container'],
      enrichment: enrichment(),
    });
    let fresh: Started | undefined;
    try {
      await session.containersDescribed();
      await docker.exec(before.id, ['cat', MARKER]);
      fresh = await docker.run('trc-fresh', { 'trc.test': 'fresh' }, LATE_CAT);
      await until(() => opensOf(seen, MARKER).some((e) => e.containerId === fresh!.id), 15_000, "the new container's open");
      // host processes: one plain, one in a pid namespace of its own (a container is a cgroup, not a namespace)
      spawnSync('cat', [MARKER]);
      spawnSync('unshare', ['-pf', '--mount-proc', 'cat', MARKER]);
      await docker.cli(['rm', '-f', fresh.id]);
      await until(() => seen.some((e) => e.eventName === 'container_remove'), 15_000, 'container_remove');
    } finally {
      session.stop();
      await done;
    }
    const existing = seen.filter((e) => e.eventName === 'existing_container' && arg(e, 'container_id') === before.id);
    expect(existing.map((e) => [arg(e, 'runtime'), arg(e, 'container_name'), arg(e, 'container_image'), arg(e, 'pod_sandbox')])).toEqual([['docker', 'trc-before', IMAGE, false]]);
    // existing_container: no process made it (as Tracee's)
    expect(existing[0].hostProcessId).toBe(0);
    const [inBefore] = opensOf(seen, MARKER).filter((e) => e.containerId === before.id && e.processName === 'cat');
    expect([inBefore.containerId, inBefore.container, inBefore.kubernetes]).toEqual([before.id, { id: before.id, name: 'trc-before', image: IMAGE }, {}]);
    const created = seen.filter((e) => e.eventName === 'container_create');
    expect(created.map((e) => [arg(e, 'runtime'), arg(e, 'container_id'), arg(e, 'container_name'), arg(e, 'container_image')])).toEqual([['docker', fresh!.id, 'trc-fresh', IMAGE]]);
    // its context: the process that made the cgroup (runc, dockerd's child)
    expect(created[0].hostProcessId).toBeGreaterThan(0);
    // ctime: the cgroup's creation, ns since the epoch, within this test
    expect(Number(arg(created[0], 'ctime')) / 1e6).toBeGreaterThan(Date.now() - 120_000);
    const [inFresh] = opensOf(seen, MARKER).filter((e) => e.containerId === fresh!.id);
    expect(inFresh.container).toEqual({ id: fresh!.id, name: 'trc-fresh', image: IMAGE });
    // every event from the new container carries its id: none before container_create goes without
    const fromFresh = seen.filter((e) => e.eventName === 'openat' && e.hostProcessId !== 0 && e.containerId === fresh!.id);
    expect(fromFresh.length).toBeGreaterThan(1);
    expect(seen.filter((e) => e.eventName === 'container_remove').map((e) => [arg(e, 'runtime'), arg(e, 'container_id')])).toEqual([['docker', fresh!.id]]);
    // scope container: nothing from the host, nor from unshare -p's namespace
    expect(seen.filter((e) => e.eventName === 'openat' && e.containerId === '')).toEqual([]);
  });

  it('container=new and container=<id prefix> select in the kernel: each event matches the policy of its container only', async () => {
    const policy = (name: string, scope: string) => ({ name, scope: [scope], rules: [{ event: 'openat' }] });
    const { session, seen, done } = collect({
      policies: [policy('by-id', `container=${before.id.slice(0, 12)}`), policy('new', 'container=new'), policy('host', 'not-container')],
      enrichment: false,
    });
    let fresh: Started | undefined;
    try {
      await docker.exec(before.id, ['cat', MARKER]);
      fresh = await docker.run('trc-new', {}, LATE_CAT);
      spawnSync('cat', [MARKER]);
      spawnSync('unshare', ['-pf', '--mount-proc', 'cat', MARKER]);
      await until(() => opensOf(seen, MARKER).some((e) => e.containerId === fresh!.id), 15_000, "the new container's open");
    } finally {
      session.stop();
      await done;
      if (fresh) await docker.cli(['rm', '-f', fresh.id]);
    }
    const opens = opensOf(seen, MARKER).filter((e) => e.processName === 'cat');
    const byContainer = (id: string) => [...new Set(opens.filter((e) => e.containerId === id).map((e) => e.matchedPolicies.join(',')))];
    expect(byContainer(before.id)).toEqual(['by-id']);
    expect(byContainer(fresh!.id)).toEqual(['new']);
    // the host's cat and unshare -p's: outside any container; no runtime asked: ids only
    expect(byContainer('')).toEqual(['host']);
    expect(opens.filter((e) => e.containerId === '').length).toBe(2);
    expect(opens.find((e) => e.containerId === fresh!.id)!.container).toEqual({ id: fresh!.id });
  });

  it("cgroup v1 (Tracee's container.cgroupfs.path at the cpuset hierarchy): the ids are the v1 cgroups', the containers the same", async () => {
    // this host is hybrid: the runtimes make each container's cgroup in every hierarchy
    const v1 = '/sys/fs/cgroup/cpuset';
    const { session, seen, done } = collect({
      events: ['openat'],
      scope: ['container'],
      enrichment: { ...enrichment(), cgroupfs: { path: v1, force: true } },
    });
    try {
      await session.containersDescribed();
      await docker.exec(before.id, ['cat', MARKER]);
      await until(() => opensOf(seen, MARKER).some((e) => e.containerId === before.id), 15_000, 'the open in the container');
    } finally {
      session.stop();
      await done;
    }
    const e = opensOf(seen, MARKER).find((x) => x.containerId === before.id)!;
    expect([e.cgroupId, e.container]).toEqual([statSync(`${v1}/docker/${before.id}`).ino, { id: before.id, name: 'trc-before', image: IMAGE }]);
    expect(() => TraceSession.start({ events: ['openat'], enrichment: { ...enrichment(), cgroupfs: { path: '/sys/fs/cgroup', force: true } } })).toThrow(
      /cgroupfs \(--enrichment container.cgroupfs.path\): \/sys\/fs\/cgroup is not where a cgroup filesystem is mounted/,
    );
  });

  it('a container id no running container has, or one too short, is refused before anything is attached', () => {
    expect(() => TraceSession.start({ scope: [`container=${'0'.repeat(12)}`], events: ['openat'], enrichment: false })).toThrow(
      /container=000000000000: no running container has that id .*use container=new for those started later/,
    );
    expect(() => TraceSession.start({ scope: ['container=abc'], events: ['openat'], enrichment: false })).toThrow(/'abc' is too short a container id: give at least 12 hex digits/);
  });
});

describe('findings', () => {
  it("a finding from a container carries its id, name and image, in the event and in Tracee's JSON of it", async () => {
    const token = '/var/run/secrets/kubernetes.io/serviceaccount/token';
    const { session, seen, done } = collect({ events: ['k8s_service_account_token'], enrichment: enrichment() });
    try {
      await session.containersDescribed();
      await docker.exec(before.id, ['sh', '-c', `mkdir -p ${token.slice(0, token.lastIndexOf('/'))} && echo t > ${token} && cat ${token}`]);
      await until(() => seen.some((e) => e.eventName === 'k8s_service_account_token'), 15_000, 'the finding');
    } finally {
      session.stop();
      await done;
    }
    const f = seen.find((e) => e.eventName === 'k8s_service_account_token')!;
    const want = { id: before.id, name: 'trc-before', image: IMAGE };
    expect([f.containerId, f.container]).toEqual([before.id, want]);
    const json = JSON.parse(traceeJson(f)) as { containerId: string; container: object; processAncestry: { containerId: string }[] };
    expect([json.containerId, json.container]).toEqual([before.id, want]);
    // the process and its ancestors in the container carry it too
    expect(json.processAncestry[0].containerId).toBe(before.id);
  });
});

describe('podman, containerd (ctr and a CRI pod), bare runc', () => {
  it('each container by its full id, with name, image and pod where its runtime has them', async () => {
    const { session, seen, done } = collect({ events: ['openat'], scope: ['container'], enrichment: enrichment() });
    const ctrId = hexId();
    const runcId = hexId();
    let pm: Started | undefined;
    try {
      pm = await podman.run('trc-podman', {}, LATE_CAT);
      await containerd.run('trc', ctrId, kubeLabels(POD, 'ctr-app'), LATE_CAT);
      const pod = await containerd.runPod(POD, 'cri-app', LATE_CAT);
      await runc.run(runcId, LATE_CAT);
      for (const id of [pm.id, ctrId, pod.containerId, runcId]) {
        await until(() => opensOf(seen, MARKER).some((e) => e.containerId === id), 20_000, `the open in ${id}`);
      }
      const view = (id: string) => {
        const e = opensOf(seen, MARKER).find((x) => x.containerId === id)!;
        return [e.container, e.kubernetes];
      };
      // podman gives an image it loaded a repo digest (docker does not: Tracee's RepoDigests[0])
      expect(view(pm.id)).toEqual([{ id: pm.id, name: 'trc-podman', image: IMAGE, imageDigest: expect.stringMatching(/^trc\.local\/busybox@sha256:[0-9a-f]{64}$/) }, {}]);
      // ctr's containers have no name: the container label's, as Tracee's containerd enricher
      expect(view(ctrId)).toEqual([
        expect.objectContaining({ id: ctrId, name: 'ctr-app', image: IMAGE }),
        { podName: POD.name, podNamespace: POD.namespace, podUID: POD.uid },
      ]);
      expect(view(pod.containerId)).toEqual([
        expect.objectContaining({ id: pod.containerId, name: 'cri-app' }),
        { podName: POD.name, podNamespace: POD.namespace, podUID: POD.uid },
      ]);
      // runc alone: no runtime knows it, its id from its cgroup only
      expect(view(runcId)).toEqual([{ id: runcId }, {}]);
    } finally {
      session.stop();
      await done;
    }
  });

  it('a runtime stopped mid-trace: one warning, and its containers go on with their ids', async () => {
    const warnings: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      warnings.push(String(chunk));
      return true;
    });
    const { session, seen, done } = collect({ events: ['openat'], scope: ['container'], enrichment: enrichment() });
    const ids: string[] = [];
    try {
      await session.containersDescribed();
      await podman.stopDaemon();
      for (const name of ['trc-orphan-1', 'trc-orphan-2']) {
        const c = await podman.run(name, {}, LATE_CAT);
        ids.push(c.id);
        await until(() => opensOf(seen, MARKER).some((e) => e.containerId === c.id), 20_000, `the open in ${name}`);
      }
      await session.containersDescribed();
    } finally {
      session.stop();
      await done;
      write.mockRestore();
    }
    for (const id of ids) expect(opensOf(seen, MARKER).find((e) => e.containerId === id)!.container).toEqual({ id });
    const podmanWarnings = warnings.filter((w) => w.includes('containers of podman go on with their ids only'));
    expect(podmanWarnings.length, warnings.join('')).toBe(1);
    expect(podmanWarnings[0]).toMatch(new RegExp(`^tracee-rs: warning: containers of podman go on with their ids only: .*${podman.socket}`));
  });
});

describe('the CLI', () => {
  it("a Tracee policy with container=new validates, and traces only the containers started after the trace began", async () => {
    const file = join(WORK, 'new-containers.yaml');
    // as Tracee's docs write one (docs/docs/policies: scope container=new)
    writeFileSync(
      file,
      [
        'apiVersion: tracee.aquasec.com/v1beta1',
        'kind: Policy',
        'metadata:',
        '  name: new-containers',
        '  annotations:',
        '    description: what new containers execute',
        'spec:',
        '  scope:',
        '    - container=new',
        '  rules:',
        '    - event: sched_process_exec',
        '',
      ].join('\n'),
    );
    const valid = spawnSync('node', [CLI, 'policy', 'validate', file], { encoding: 'utf8' });
    expect([valid.status, valid.stderr]).toEqual([0, '']);
    const child = spawn('node', [CLI, '--policy', file, '-o', 'json', '--enrichment', 'none'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let fresh: Started | undefined;
    try {
      await until(() => stderr.includes('attached'), 15_000, 'the attached line');
      await docker.exec(before.id, ['cat', MARKER]);
      fresh = await docker.run('trc-policy-new', {}, LATE_CAT);
      // its entry point's exec (busybox's sh runs cat in itself: no exec of it)
      await until(() => stdout.includes(`"containerId":"${fresh!.id}"`), 15_000, "the new container's exec");
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
      if (fresh) await docker.cli(['rm', '-f', fresh.id]);
    }
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { containerId: string; matchedPolicies: string[]; eventName: string });
    expect(new Set(lines.map((l) => l.containerId))).toEqual(new Set([fresh!.id]));
    expect(new Set(lines.map((l) => `${l.eventName} ${l.matchedPolicies.join(',')}`))).toEqual(new Set(['sched_process_exec new-containers']));
  });

  it('JSON lines (the native writer) carry the container with its name and image, in Tracee\'s shape', async () => {
    const child = spawn('node', [CLI, '-e', 'openat', '-s', 'container', '-o', 'json', '--enrichment', `container.docker.socket=${docker.socket}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    try {
      await until(() => stderr.includes('attached'), 15_000, 'the attached line');
      // described before its open (the CLI asks at start)
      await new Promise((r) => setTimeout(r, 500));
      await docker.exec(before.id, ['cat', MARKER]);
      await until(() => stdout.includes(`"pathname","type":"const char *","value":"${MARKER}"`), 15_000, 'the open in the output');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    const line = stdout.split('\n').find((l) => l.includes(`"value":"${MARKER}"`) && l.includes('"processName":"cat"'))!;
    expect(line).toContain(`"hostName":`);
    expect(line).toMatch(new RegExp(`"containerId":"${before.id}","container":\\{"id":"${before.id}","name":"trc-before","image":"${IMAGE.replace(/[./]/g, '\\$&')}"\\},"kubernetes":\\{\\},"eventId":"257"`));
  });
});
