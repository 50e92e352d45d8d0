import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { TraceeEvent } from '@tracee/core';

export const CLI = new URL('../packages/cli/dist/cli.js', import.meta.url).pathname;

/** Resolves once `done()` holds, polling; rejects after `ms`. */
export async function until(done: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function arg(e: TraceeEvent, name: string): TraceeEvent['args'][number]['value'] | undefined {
  return e.args.find((a) => a.name === name)?.value;
}

/** BPF programs, maps and links, and perf events (per-syscall tracepoints), this process holds, by their fds. */
export function bpfFds(pid: number | 'self' = 'self'): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (/^anon_inode:(bpf[-_](prog|map|link)|\[perf_event\])/.test(readlinkSync(`/proc/${pid}/fd/${fd}`))) n++;
    } catch {
      // fd closed while listing
    }
  }
  return n;
}

/** Ids of the BPF programs a process (default: this one) holds (directly or through links), from fdinfo. */
export function heldProgramIds(pid: number | 'self' = 'self'): Set<number> {
  const ids = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^prog_id:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch {
      // fd closed while listing
    }
  }
  return ids;
}

/** Programs loaded on the host whose names are ours (`tracee_…`), from bpftool. */
export function tracePrograms(): { id: number; name: string }[] {
  const progs = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })) as { id: number; name?: string }[];
  return progs.filter((p) => p.name?.startsWith('tracee_')).map((p) => ({ id: p.id, name: p.name as string }));
}

/** The inode number in /proc/self/ns/<kind>, as the kernel side reports it. */
export function nsId(kind: 'mnt' | 'pid'): number {
  const link = readlinkSync(`/proc/self/ns/${kind}`);
  return Number(/\[(\d+)\]/.exec(link)![1]);
}

/**
 * Where the cgroup v2 hierarchy is mounted, from /proc/self/mountinfo:
 * /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a hybrid one (v1
 * controllers beside it, as here). Throws if it is mounted nowhere.
 */
export function cgroup2Mount(): string {
  const m = /^\S+ \S+ \S+ \S+ (\S+) .* - cgroup2 /m.exec(readFileSync('/proc/self/mountinfo', 'utf8'));
  if (!m) throw new Error('cgroup v2 is not mounted (mount -t cgroup2 none /sys/fs/cgroup)');
  return m[1];
}

/** How kernel functions can be hooked here, for the functions asked: each method with why not where it cannot. */
export interface HookSupport {
  fentry: boolean;
  kprobe: boolean;
  /** The probe's answers, per method and function ("ok" or why not). */
  detail: { fentry: Record<string, string>; kprobe: Record<string, string> };
}

/**
 * Whether fentry and kprobe programs attach to `functions` on this kernel,
 * found without tracee-rs (test/fixtures/hook-probe.py: a minimal program of
 * each kind loaded and attached through the raw syscalls): the oracle of what
 * the loader must choose. A method counts only if it attaches to every
 * function. Throws if the probe's own check fails (a tp_btf program and a
 * uprobe, which every kernel we run on takes), so that a "no" is the
 * kernel's, not the probe's. Needs root.
 */
export function hookSupport(functions: string[]): HookSupport {
  const probe = new URL('./fixtures/hook-probe.py', import.meta.url).pathname;
  const r = JSON.parse(execFileSync('python3', [probe, ...functions], { encoding: 'utf8' })) as { check: Record<string, string> } & HookSupport['detail'];
  for (const [what, answer] of Object.entries(r.check)) if (answer !== 'ok') throw new Error(`hook-probe.py cannot be trusted here: its ${what} check says ${answer}`);
  const all = (answers: Record<string, string>) => functions.every((f) => answers[f] === 'ok');
  return { fentry: all(r.fentry), kprobe: all(r.kprobe), detail: { fentry: r.fentry, kprobe: r.kprobe } };
}

/** test/fixtures/c/exec-cases.c, built with the system's cc into `dir`: the path of the program. */
export function buildExecCases(dir: string): string {
  const out = `${dir}/exec-cases`;
  const src = new URL('./fixtures/c/exec-cases.c', import.meta.url).pathname;
  execFileSync('cc', ['-O1', '-pthread', '-Wall', '-Werror', '-o', out, src], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

/**
 * The cgroup ids in the containers map of every trace running on this host
 * (bpf/lib/cgroup.h), from bpftool: what the kernel side counts as a
 * container's cgroup now.
 */
export function containerCgroupsInKernel(): Set<number> {
  const maps = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show'], { encoding: 'utf8' })) as { id: number; name?: string }[];
  const ids = new Set<number>();
  for (const m of maps.filter((x) => x.name === 'containers')) {
    const entries = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'dump', 'id', String(m.id)], { encoding: 'utf8' })) as { key: string[] }[];
    for (const { key } of entries) ids.add(Number(Buffer.from(key.map((b) => parseInt(b, 16))).readBigUInt64LE()));
  }
  return ids;
}
