import { DEFAULT_SOCKETS, type RuntimeName } from './types.js';

/**
 * What Tracee's `--enrichment` flag says about containers
 * (pkg/cmd/flags/enrichment.go, docs/flags/enrichment.1.md):
 * `container` enables container enrichment; `container.<runtime>.socket=PATH`
 * (runtime: docker, containerd, crio, podman) names a runtime's socket and
 * enables it; `container.cgroupfs.path=PATH` names where the cgroup
 * filesystem is mounted (tracee-rs uses the hierarchy mounted there, cgroup2 or
 * a v1 controller's, instead of finding one; `container.cgroupfs.force`, which
 * in Tracee makes it do so, is accepted and needs the path).
 */
export interface ContainerEnrichment {
  enabled: boolean;
  /** The sockets given, by runtime; none given: Tracee's defaults are tried ({@link runtimeSockets}). */
  sockets: Partial<Record<RuntimeName, string>>;
  cgroupfs: { path?: string; force: boolean };
}

const RUNTIMES = Object.keys(DEFAULT_SOCKETS) as RuntimeName[];
// Tracee's other --enrichment values: options of Tracee's that tracee-rs does not have
const TRACEE_ONLY = new Set(['resolve-fd', 'exec-hash', 'exec-hash.mode', 'user-stack-trace']);
const HELP = 'use container, container.<docker|containerd|crio|podman>.socket=PATH, container.cgroupfs.path=PATH or container.cgroupfs.force';

/**
 * Parses the values of `--enrichment` (each occurrence's value; a value may
 * list several, comma-separated) as Tracee does. Throws an Error with a
 * one-line message naming the bad value and the valid forms: an unknown
 * key, a flag given a value (`container=1`) or a key without one
 * (`container.docker.socket`), an empty path, `container.cgroupfs.force`
 * without `container.cgroupfs.path`, and Tracee's non-container values
 * (`resolve-fd`, `exec-hash`, `exec-hash.mode=`, `user-stack-trace`),
 * which tracee-rs does not have.
 */
export function parseEnrichment(values: readonly string[]): ContainerEnrichment {
  const out: ContainerEnrichment = { enabled: false, sockets: {}, cgroupfs: { force: false } };
  for (const value of values.flatMap((v) => v.split(','))) {
    const eq = value.indexOf('=');
    const key = (eq < 0 ? value : value.slice(0, eq)).trim();
    const arg = eq < 0 ? undefined : value.slice(eq + 1);
    const bad = (why: string) => new Error(`invalid --enrichment value '${value}': ${why}`);
    if (TRACEE_ONLY.has(key)) throw bad(`${key} is Tracee's, tracee-rs has no such enrichment; ${HELP}`);
    const flag = key === 'container' || key === 'container.cgroupfs.force';
    if (flag && arg !== undefined) throw bad(`${key} takes no value; ${HELP}`);
    if (!flag && arg === undefined && /^container\./.test(key)) throw bad(`${key} needs a value (${key}=PATH)`);
    if (arg !== undefined && arg.trim() === '') throw bad(`${key} needs a path`);
    const runtime = /^container\.([a-z-]+)\.socket$/.exec(key)?.[1];
    if (key === 'container') out.enabled = true;
    else if (key === 'container.cgroupfs.force') out.cgroupfs.force = true;
    else if (key === 'container.cgroupfs.path') {
      out.cgroupfs.path = arg;
      out.enabled = true;
    } else if (runtime && (RUNTIMES as string[]).includes(runtime)) {
      out.sockets[runtime as RuntimeName] = arg!.replace(/^unix:\/\//, '');
      out.enabled = true;
    } else throw bad(`unknown key ${key}; ${HELP}`);
  }
  if (out.cgroupfs.force && out.cgroupfs.path === undefined) {
    throw new Error('invalid --enrichment: container.cgroupfs.force needs container.cgroupfs.path=PATH');
  }
  return out;
}

/**
 * The runtimes to ask and at which socket: those given, else every runtime
 * at Tracee's default socket (Tracee: "If runtimes are specified ..., only
 * the ones passed through the flags will be connected to"); none when
 * container enrichment is off. In the order docker, containerd, crio, podman.
 */
export function runtimeSockets(config: ContainerEnrichment): [RuntimeName, string][] {
  if (!config.enabled) return [];
  const given = RUNTIMES.filter((r) => config.sockets[r] !== undefined).map((r): [RuntimeName, string] => [r, config.sockets[r]!]);
  return given.length ? given : RUNTIMES.map((r): [RuntimeName, string] => [r, DEFAULT_SOCKETS[r]]);
}
