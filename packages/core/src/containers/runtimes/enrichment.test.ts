// Tracee's --enrichment values (pkg/cmd/flags/enrichment.go and its
// test): which runtimes to ask at which socket, and the one-line errors;
// also the pure helpers of the clients (times, error messages).
import { describe, expect, it } from 'vitest';
import { rfc3339Ns, runtimeError } from './call.js';
import { parseEnrichment, runtimeSockets } from './enrichment.js';
import { DEFAULT_SOCKETS, podOf } from './types.js';

describe('parseEnrichment', () => {
  it('nothing given: container enrichment off, no runtime asked', () => {
    const c = parseEnrichment([]);
    expect(c).toEqual({ enabled: false, sockets: {}, cgroupfs: { force: false } });
    expect(runtimeSockets(c)).toEqual([]);
  });

  it('container: every runtime at Tracee default socket, in Tracee order of names', () => {
    const c = parseEnrichment(['container']);
    expect(c.enabled).toBe(true);
    expect(runtimeSockets(c)).toEqual([
      ['docker', '/var/run/docker.sock'],
      ['containerd', '/var/run/containerd/containerd.sock'],
      ['crio', '/var/run/crio/crio.sock'],
      ['podman', '/var/run/podman/podman.sock'],
    ]);
    expect(Object.fromEntries(runtimeSockets(c))).toEqual(DEFAULT_SOCKETS);
  });

  it('a socket given enables containers and asks only the runtimes given (one flag each, or comma-separated)', () => {
    const c = parseEnrichment(['container.docker.socket=/run/d.sock', 'container.crio.socket=unix:///run/c.sock,container.podman.socket=/p']);
    expect(c.enabled).toBe(true);
    expect(c.sockets).toEqual({ docker: '/run/d.sock', crio: '/run/c.sock', podman: '/p' });
    expect(runtimeSockets(c)).toEqual([
      ['docker', '/run/d.sock'],
      ['crio', '/run/c.sock'],
      ['podman', '/p'],
    ]);
    // the last value of a key wins, as Tracee's loop assigns
    expect(parseEnrichment(['container.containerd.socket=/a', 'container.containerd.socket=/b']).sockets).toEqual({ containerd: '/b' });
  });

  it('cgroupfs: the path enables containers; force needs the path', () => {
    expect(parseEnrichment(['container.cgroupfs.path=/sys/fs/cgroup', 'container.cgroupfs.force'])).toEqual({
      enabled: true,
      sockets: {},
      cgroupfs: { path: '/sys/fs/cgroup', force: true },
    });
    expect(() => parseEnrichment(['container.cgroupfs.force'])).toThrow('invalid --enrichment: container.cgroupfs.force needs container.cgroupfs.path=PATH');
    // force alone does not enable containers (Tracee's note); with container it is still refused
    expect(() => parseEnrichment(['container', 'container.cgroupfs.force'])).toThrow(/needs container\.cgroupfs\.path/);
  });

  it('errors name the bad value and the valid forms, on one line', () => {
    const cases: [string, RegExp][] = [
      ['container.kata.socket=/x', /^invalid --enrichment value 'container\.kata\.socket=\/x': unknown key container\.kata\.socket; use container, /],
      ['containers', /unknown key containers/],
      ['container=true', /container takes no value/],
      ['container.cgroupfs.force=1', /container\.cgroupfs\.force takes no value/],
      ['container.docker.socket', /container\.docker\.socket needs a value \(container\.docker\.socket=PATH\)/],
      ['container.docker.socket=', /container\.docker\.socket needs a path/],
      ['exec-hash', /exec-hash is Tracee's, tracee-rs has no such enrichment/],
      ['resolve-fd', /resolve-fd is Tracee's/],
      ['exec-hash.mode=inode', /exec-hash\.mode is Tracee's/],
    ];
    for (const [value, message] of cases) {
      let err: Error | undefined;
      try {
        parseEnrichment([value]);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message, value).toMatch(message);
      expect(err?.message, value).not.toContain('\n');
    }
  });
});

describe('runtime client helpers', () => {
  it('rfc3339Ns: Docker and Podman Created times in ns since the epoch', () => {
    expect(rfc3339Ns('1970-01-01T00:00:01.5Z')).toBe(1_500_000_000);
    expect(rfc3339Ns('2026-12-01T03:55:23.285169085Z')).toBe(Date.parse('2026-12-01T03:55:23Z') * 1e6 + 285169085);
    expect(rfc3339Ns('2026-12-01T05:55:23+02:00')).toBe(Date.parse('2026-12-01T03:55:23Z') * 1e6);
    // Go's zero time (a container never created) and garbage
    expect(rfc3339Ns('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(rfc3339Ns('yesterday')).toBeUndefined();
    expect(rfc3339Ns(undefined)).toBeUndefined();
  });

  it('runtimeError: one line naming the runtime, the socket, the cause and the option to fix it', () => {
    const e = runtimeError('RUNTIME_NO_SOCKET', 'containerd', '/run/x.sock');
    expect(e).toMatchObject({ name: 'ContainerRuntimeError', code: 'RUNTIME_NO_SOCKET', runtime: 'containerd', socket: '/run/x.sock' });
    expect(e.message).toBe('containers: no containerd socket at /run/x.sock (is containerd running? point at another socket with --enrichment container.containerd.socket=PATH)');
    expect(runtimeError('RUNTIME_TIMEOUT', 'docker', '/d', '500').message).toMatch(/^containers: docker at \/d did not answer within 500 ms \(.*--enrichment container\.docker\.socket=PATH/);
    expect(runtimeError('RUNTIME_FAILED', 'podman', '/p', 'boom\nstack').message).toBe('containers: podman at /p failed: boom');
  });

  it('podOf: the three pod labels; no pod without them', () => {
    expect(podOf({}, false)).toBeUndefined();
    expect(podOf({ 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'prod', 'io.kubernetes.pod.uid': 'u' }, true)).toEqual({
      name: 'web',
      namespace: 'prod',
      uid: 'u',
      sandbox: true,
    });
  });
});
