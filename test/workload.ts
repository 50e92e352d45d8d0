// The known workload of test/fixtures/trace-workload.mjs and the checks
// every path of the tracer must pass on it (BTF source, transport, hooks).
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

export const FIXTURE = new URL('./fixtures/trace-workload.mjs', import.meta.url).pathname;

/** Both ways of hiding the kernel's BTF must count as "no kernel BTF". */
export const HIDE = {
  'tmpfs over /sys/kernel/btf': 'mount -t tmpfs none /sys/kernel/btf',
  '/dev/null over /sys/kernel/btf/vmlinux': 'mount --bind /dev/null /sys/kernel/btf/vmlinux',
} as const;

/** Runs `argv` in a private mount namespace after `setup` (shell commands). */
export function inPrivateMounts(setup: string, argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const script = `${setup} && exec "$@"`;
  return spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...argv], { encoding: 'utf8', env });
}

export interface WorkloadRun {
  error?: { code: string; message: string };
  info: { btf: string; decisionCase: number; transport: string; programs: string[]; syscallHooks: string };
  maps: string[];
  path: string;
  pid: number;
  self: { pid: number; mountNamespace: number; pidNamespace: number };
  events: { timestamp: number; eventName: string; processName: string; returnValue: number; hostParentProcessId: number; mountNamespace: number; pidNamespace: number; argsUnknown: boolean; args: { name: string; value: unknown }[] }[];
}

export function parseRun(r: { stdout: string; stderr: string; status: number | null }): WorkloadRun {
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as WorkloadRun;
}

/** The spine's end-to-end checks, on whatever BTF the run used. */
export function expectWorkload(run: WorkloadRun) {
  expect(run.error).toBeUndefined();
  // a perf buffer is ordered per CPU only, and the child may move between
  // CPUs: compare sequences in time order
  run.events.sort((a, b) => a.timestamp - b.timestamp);
  const val = (e: WorkloadRun['events'][number], name: string) => e.args.find((a) => a.name === name)?.value;
  const open = run.events.filter((e) => e.eventName === 'openat' && val(e, 'pathname') === run.path);
  expect(open).toHaveLength(1);
  expect(open[0].returnValue).toBeGreaterThanOrEqual(0);
  const writes = run.events.filter((e) => e.eventName === 'write' && e.processName === 'sh');
  expect(writes.map((e) => [val(e, 'count'), e.returnValue])).toEqual([[5, 5]]);
  const execs = run.events.filter((e) => e.eventName === 'execve').map((e) => [val(e, 'pathname'), e.returnValue]);
  expect(execs).toEqual([['/bin/sh', 0], ['/bin/true', 0]]);
  for (const e of run.events) {
    // fields read with CO-RE: parent pid, namespaces
    expect(e.hostParentProcessId).toBe(run.self.pid);
    expect(e.mountNamespace).toBe(run.self.mountNamespace);
    expect(e.pidNamespace).toBe(run.self.pidNamespace);
    // the saved registers were found (per-syscall tracepoints look them up)
    expect(e.argsUnknown).toBe(false);
  }
}
