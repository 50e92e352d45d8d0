// How syscalls are hooked: raw tracepoints sys_enter/sys_exit (every
// syscall runs the program) or the per-syscall tracepoints of the selected
// syscalls (found through tracefs, mounted for the moment if it is not).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TraceSession, type TraceeEvent } from '@tracee/core';
import { heldProgramIds, tracePrograms } from './helpers.js';
import { expectWorkload, FIXTURE, HIDE, inPrivateMounts, parseRun } from './workload.js';

const withHooks = (hooks: string) => ({ ...process.env, TRACE_WORKLOAD_SYSCALL_HOOKS: hooks });
/** In a private mount namespace: no tracefs anywhere, as on a host that never mounted it. */
const NO_TRACEFS = [
  'for m in /sys/kernel/tracing /sys/kernel/debug/tracing /sys/kernel/debug; do if mountpoint -q $m; then umount -l $m; fi; done',
  'test ! -d /sys/kernel/tracing/events',
].join(' && ');

describe('syscall hooks', () => {
  it('per-syscall tracepoints: only the selected syscalls are hooked, and the events are right', () => {
    const run = parseRun(spawnSync(process.execPath, [FIXTURE], { encoding: 'utf8', env: withHooks('per-syscall') }));
    expect(run.info.programs.sort()).toEqual(
      [
        // the container table's, whatever is traced
        'raw_tracepoint/cgroup_mkdir',
        'raw_tracepoint/cgroup_rmdir',
        'raw_tracepoint/sched_process_exec',
        'raw_tracepoint/sched_process_exec', // a successful execve, reported when the new program is in place
        'tracepoint/syscalls/sys_enter_execve', // its arguments, before exec replaces them
        'tracepoint/syscalls/sys_exit_execve',
        'tracepoint/syscalls/sys_exit_openat',
        'tracepoint/syscalls/sys_exit_write',
      ].sort(),
    );
    expect(run.info.syscallHooks).toBe('4 per-syscall tracepoints');
    expectWorkload(run);
  });

  it('syscalls whose records are fixed (no strings, no data): the exit program without the data path, events as the full one gives them', async () => {
    // getppid() and dup2(0, 57) in a child, traced with only such syscalls
    // selected, then with openat (data) too: the full program serves all
    const run = async (events: string[]) => {
      const session = TraceSession.start({ events, syscallHooks: 'per-syscall' });
      const held = heldProgramIds();
      const programs = tracePrograms()
        .filter((p) => held.has(p.id))
        .map((p) => p.name);
      const child = spawnSync('python3', ['-c', 'import os; os.getppid(); os.dup2(0, 57)']);
      const mine: TraceeEvent[] = [];
      const timer = setTimeout(() => session.stop(), 10_000);
      const done = () => mine.some((e) => e.eventName === 'dup2' && e.args[1]?.value === 57);
      for (let batch; !done() && (batch = await session.next()) !== null; ) mine.push(...batch.filter((e) => e.hostProcessId === child.pid));
      clearTimeout(timer);
      session.stop();
      // python's own (python3 may be a shell script that execs it, as pyenv's is)
      const picked = mine.filter((e) => /^python/.test(e.processName) && (e.eventName === 'getppid' || (e.eventName === 'dup2' && e.args[1]?.value === 57)));
      return { programs, events: picked.map((e) => ({ eventName: e.eventName, args: e.args, returnValue: e.returnValue })) };
    };
    const fixed = await run(['getppid', 'dup2']);
    const full = await run(['getppid', 'dup2', 'openat']);
    // (and the container table's, whatever is traced)
    expect(fixed.programs.sort()).toEqual(['tracee_cgroup_mkdir', 'tracee_cgroup_rmdir', 'tracee_sys_exit_fixed_per_syscall']);
    expect(full.programs.sort()).toEqual(['tracee_cgroup_mkdir', 'tracee_cgroup_rmdir', 'tracee_sys_exit_per_syscall']);
    expect(fixed.events).toEqual([
      { eventName: 'getppid', args: [], returnValue: process.pid },
      {
        eventName: 'dup2',
        args: [
          { name: 'oldfd', type: 'unsigned int', value: 0 },
          { name: 'newfd', type: 'unsigned int', value: 57 },
        ],
        returnValue: 57,
      },
    ]);
    expect(full.events).toEqual(fixed.events);
  });

  it('raw tracepoints: the same events through sys_enter/sys_exit', () => {
    const run = parseRun(spawnSync(process.execPath, [FIXTURE], { encoding: 'utf8', env: withHooks('raw') }));
    expect(run.info.programs.sort()).toEqual(['raw_tracepoint/cgroup_mkdir', 'raw_tracepoint/cgroup_rmdir', 'raw_tracepoint/sched_process_exec', 'raw_tracepoint/sched_process_exec', 'raw_tracepoint/sys_enter', 'raw_tracepoint/sys_exit']);
    expect(run.info.syscallHooks).toBe('raw tracepoints sys_enter/sys_exit (forced)');
    expectWorkload(run);
  });

  it('per-syscall tracepoints with the embedded minimized BTF: registers found by CO-RE, events right', () => {
    const run = parseRun(inPrivateMounts(HIDE['tmpfs over /sys/kernel/btf'], [process.execPath, FIXTURE], withHooks('per-syscall')));
    expect(run.info.decisionCase).toBe(4);
    expect(run.info.programs).toContain('tracepoint/syscalls/sys_exit_openat');
    expectWorkload(run);
  });

  it('tracefs not mounted: mounted for the moment, unmounted after, events right', () => {
    // the fixture, then what is left mounted or made: nothing
    const check = `"$0" "$1"; grep -c tracefs /proc/self/mounts || true; ls -d "\${TMPDIR:-/tmp}"/tracee-rs-tracefs-* 2>/dev/null | wc -l`;
    const r = inPrivateMounts(NO_TRACEFS, ['sh', '-c', check, process.execPath, FIXTURE]);
    expect(r.status, r.stderr).toBe(0);
    const [json, mounts, dirs] = r.stdout.trim().split('\n');
    const run = parseRun({ ...r, stdout: json });
    expect(run.info.syscallHooks).toBe('4 per-syscall tracepoints');
    expectWorkload(run);
    expect({ mounts, dirs }).toEqual({ mounts: '0', dirs: '0' });
  });

  it('per-syscall forced where tracefs cannot be had: one clear error; auto falls back to raw', () => {
    // tracefs unmounted, and nowhere to mount it for the moment
    const env = { ...withHooks('per-syscall'), TMPDIR: '/proc/tracee-rs-nowhere' };
    const forced = parseRun(inPrivateMounts(NO_TRACEFS, [process.execPath, FIXTURE], env));
    expect(forced.error?.code).toBe('EATTACH');
    expect(forced.error?.message).toMatch(
      /^attaching per-syscall tracepoints failed: tracefs is not mounted and \/proc\/tracee-rs-nowhere\/tracee-rs-tracefs-\d+ cannot be made: .*; mount tracefs \(mount -t tracefs nodev \/sys\/kernel\/tracing\) or use the raw tracepoints \(--syscall-hooks raw\)$/,
    );
    const auto = parseRun(inPrivateMounts(NO_TRACEFS, [process.execPath, FIXTURE], { ...env, TRACE_WORKLOAD_SYSCALL_HOOKS: 'auto' }));
    expect(auto.info.syscallHooks).toMatch(/^raw tracepoints sys_enter\/sys_exit \(tracefs is not mounted and .* cannot be made: /);
    expect(auto.info.programs).toContain('raw_tracepoint/sys_exit');
    expectWorkload(auto);
  });

  it('auto: a wide selection exits through raw sys_exit, entries stay per-syscall; a bad mode is an error', () => {
    const wide = TraceSession.start({ events: ['syscalls'] });
    try {
      expect(wide.info.programs).toContain('raw_tracepoint/sys_exit');
      expect(wide.info.programs).not.toContain('raw_tracepoint/sys_enter');
      expect(wide.info.programs.filter((p) => p.startsWith('tracepoint/syscalls/sys_enter_')).sort()).toEqual(
        ['execve', 'execveat', 'exit', 'exit_group', 'rt_sigreturn'].map((s) => `tracepoint/syscalls/sys_enter_${s}`),
      );
      expect(wide.info.syscallHooks).toMatch(/^5 per-syscall tracepoints \(exit: raw sys_exit, \d+ syscalls selected \(per-syscall up to 64\)\)$/);
    } finally {
      wide.stop();
    }
    expect(() => TraceSession.start({ events: ['openat'], syscallHooks: 'sometimes' as 'raw' })).toThrow(/syscallHooks 'sometimes' is not one of auto, raw, per-syscall/);
  });
});
