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

/** Ids of the BPF programs this process holds (directly or through links), from fdinfo. */
export function heldProgramIds(): Set<number> {
  const ids = new Set<number>();
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      const m = /^prog_id:\s*(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
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

/** test/fixtures/c/exec-cases.c, built with the system's cc into `dir`: the path of the program. */
export function buildExecCases(dir: string): string {
  const out = `${dir}/exec-cases`;
  const src = new URL('./fixtures/c/exec-cases.c', import.meta.url).pathname;
  execFileSync('cc', ['-O1', '-pthread', '-Wall', '-Werror', '-o', out, src], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}
