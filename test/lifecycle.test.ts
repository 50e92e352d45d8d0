// Nothing leaks, nothing is lost silently, nothing runs without privileges.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { trace, TraceSession, type TraceStats } from '@tracee/core';
import { bpfFds, CLI, heldProgramIds, hookSupport, tracePrograms, until } from './helpers.js';

const CORE = new URL('../packages/core/dist/index.js', import.meta.url).pathname;

describe('lifecycle', () => {
  it('unsubscribe detaches every program and frees every map and link, 20 times over', async () => {
    expect(bpfFds()).toBe(0);
    for (let i = 0; i < 20; i++) {
      let events = 0;
      const sub = trace({ events: ['openat', 'execve', 'sched_process_exec', 'sched_process_exit'] }).subscribe(() => events++);
      expect(bpfFds()).toBeGreaterThan(0);
      const held = heldProgramIds();
      const mine = tracePrograms().filter((p) => held.has(p.id));
      // only the programs the selection needs are loaded
      // (execve succeeds at sched_process_exec: tracee_exec_syscall; where
      // bpf_find_vma runs, as here, sched_process_exec's program is the one
      // using it), and the container table's cgroup_mkdir and cgroup_rmdir
      expect(mine.map((p) => p.name).sort()).toEqual([
        'tracee_cgroup_mkdir',
        'tracee_cgroup_rmdir',
        'tracee_exec_syscall',
        'tracee_sched_process_exec_find_vma',
        'tracee_sched_process_exit',
        'tracee_sys_enter_per_syscall',
        'tracee_sys_exit_per_syscall',
      ]);
      spawnSync('/bin/true');
      sub.unsubscribe();
      // every fd released at once...
      expect(bpfFds()).toBe(0);
    }
    // ...and the kernel, which frees programs after an RCU grace period,
    // has none of ours left anywhere on the host
    await until(() => tracePrograms().length === 0, 5000, 'the kernel to free the programs');
  });

  it('an onAttach that throws: the subscriber gets its error, and nothing stays attached', async () => {
    expect(bpfFds()).toBe(0);
    const error = await new Promise<unknown>((resolve) => {
      trace({
        events: ['execve'],
        onAttach: () => {
          throw new Error('boom in onAttach');
        },
      }).subscribe({ error: resolve });
    });
    expect(error).toMatchObject({ message: 'boom in onAttach' });
    expect(bpfFds()).toBe(0);
  });

  it('a process that unsubscribes exits by itself', async () => {
    const script = `
      import { trace } from ${JSON.stringify(CORE)};
      import { spawnSync } from 'node:child_process';
      const sub = trace({ events: ['sched_process_exec'] }).subscribe((e) => {
        if (e.processName === 'true') { console.log('got', e.eventName); sub.unsubscribe(); }
      });
      setTimeout(() => spawnSync('/bin/true'), 100);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code, signal] = await once(child, 'exit');
    clearTimeout(timer);
    expect(signal).toBeNull(); // not killed by the timer: it exited on its own
    expect(code).toBe(0);
    expect(out).toBe('got sched_process_exec\n');
  });

  it.each([
    ['BPF ring buffer', false],
    ['perf buffer', true],
  ])('a slow subscriber bounds memory and the kernel counts every record it could not keep (%s)', async (_, perfBuffer) => {
    // A small ring and small batches; the JavaScript thread is blocked
    // (spawnSync) while dd makes 40,000 syscalls, so the ring overflows.
    const session = TraceSession.start({ events: ['read', 'write'], ringBufferBytes: 64 * 1024, batchEvents: 256, perfBuffer });
    let stats: TraceStats;
    let ddSeen = 0;
    let ddPid = 0;
    try {
      const rssBefore = process.memoryUsage().rss;
      const dd = spawnSync('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=20000'], { stdio: 'ignore' });
      expect(dd.status).toBe(0);
      ddPid = dd.pid!;
      // drain what was kept
      const reading = (async () => {
        for (let b; (b = await session.next()) !== null; ) ddSeen += b.filter((e) => e.hostProcessId === ddPid).length;
      })();
      await until(() => session.stats().received > 0, 5000, 'the first batch');
      await new Promise((r) => setTimeout(r, 300));
      session.stop();
      await reading;
      stats = session.stats();
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
    } finally {
      session.stop();
    }
    expect(stats.lost).toBeGreaterThan(0);
    // every dd syscall was either delivered or counted lost (lost also
    // counts records of other processes, hence >=)
    expect(ddSeen + stats.lost).toBeGreaterThanOrEqual(40_000);
    expect(ddSeen).toBeLessThan(40_000);
    expect(stats.received).toBe(Object.values(stats.perEvent).reduce((a, b) => a + b, 0));
  });

  it('without privileges: one clear error line, non-zero exit, nothing attached', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, CLI, '-e', 'execve', '-d', '2s'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^tracee-rs: error: tracee-rs needs privileges to load eBPF programs \(uid 65534 lacks CAP_BPF and CAP_PERFMON\); run it as root, or grant CAP_BPF/,
    );

    // the same through the API: an error with a code, not a crash
    const script = `
      import { trace } from ${JSON.stringify(CORE)};
      trace({ events: ['openat'] }).subscribe({ error: (e) => { console.log(e.code); process.exitCode = 3; } });
    `;
    const api = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(api.stdout.trim()).toBe('EPRIVILEGES');
    expect(api.status).toBe(3);
  });

  it('kernel-function events: attached with fentry where it runs, else with kprobes, else one error naming why; nothing left loaded', async () => {
    expect(bpfFds()).toBe(0);
    const lsm = ['security_inode_unlink', 'security_socket_connect', 'cap_capable'];
    // what this kernel must give, found without tracee-rs
    const can = hookSupport(lsm);
    const outcome = await new Promise<{ info?: { programs: string[] }; err?: Error & { code?: string } }>((resolve) => {
      const sub = trace({ events: lsm, onAttach: (info) => resolve({ info }) }).subscribe({ error: (err) => resolve({ err }) });
      setTimeout(() => sub.unsubscribe(), 2000);
    });
    if (can.fentry || can.kprobe) {
      const method = can.fentry ? 'fentry' : 'kprobe';
      expect(outcome.err, JSON.stringify(can.detail)).toBeUndefined();
      expect(outcome.info!.programs.filter((p) => /^(fentry|kprobe)\//.test(p)).sort()).toEqual(lsm.map((e) => `${method}/${e}`).sort());
      await until(() => bpfFds() === 0, 5000, 'the trace to end');
    } else {
      // neither attaches (this machine: fentry refused with EPERM, no kprobe PMU)
      expect(outcome.err?.code, JSON.stringify(outcome.info)).toBe('EUNAVAILABLE');
      expect(outcome.err!.message).toMatch(/^none of the selected events can be traced here: security_inode_unlink,security_socket_connect,cap_capable: .*fentry.*; .*no kprobes/);
      expect(outcome.err!.message.split('\n')).toHaveLength(1);
    }
    expect(bpfFds()).toBe(0);
  });
});
