// The rootkit checks (hooked_syscall, hooked_proc_fops) on this real,
// clean kernel: they run, at start and on their interval, and find
// nothing; where /proc/kallsyms shows no addresses they are unavailable
// with one line naming the cause and the fix. (That the reader sees the
// real table, entry by entry: crates/tracee-core/tests/rootkit.rs.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_RULES, findings, TraceSession, type Finding, type TraceeEvent } from '@tracee/core';
import { CLI, until } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'tracee-rs-rootkit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The CLI in a private mount namespace where /proc/kallsyms shows every address as 0 (what kptr_restrict=2 shows). */
function withZeroKallsyms(args: string[]) {
  const zeros = join(tmp, 'kallsyms');
  writeFileSync(zeros, readFileSync('/proc/kallsyms', 'utf8').replace(/^[0-9a-f]+/gm, (a) => '0'.repeat(a.length)));
  const script = `mount --bind ${zeros} /proc/kallsyms && exec "$@"`;
  return spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, CLI, ...args], { encoding: 'utf8' });
}

describe('rootkit checks', () => {
  it('on this clean kernel: the table is found, the checks run at start and on their interval, and no event comes', async () => {
    const s = TraceSession.start({ events: ['hooked_syscall', 'hooked_proc_fops'], rootkitCheckInterval: 0.05 });
    const events: TraceeEvent[] = [];
    try {
      expect(s.info.disabled).toEqual([]);
      expect(s.info.events.sort()).toEqual(['hooked_proc_fops', 'hooked_syscall']);
      // and the container table's cgroup_mkdir, cgroup_rmdir
      expect(s.info.programs).toEqual(['raw_tracepoint/cgroup_mkdir', 'raw_tracepoint/cgroup_rmdir', 'BPF_PROG_TEST_RUN tracee_rootkit_check']);
      // this kernel's kallsyms has no sys_call_table: it is found in .rodata
      const inKallsyms = / sys_call_table$/m.test(readFileSync('/proc/kallsyms', 'utf8'));
      expect(s.info.rootkitChecks).toMatch(inKallsyms ? /^sys_call_table at 0x[0-9a-f]+ \(kallsyms: \d+ entries/ : /^sys_call_table at 0x[0-9a-f]+ \(found in \.rodata: \d+ entries, \d+ of \d+ as kallsyms names them\)/);
      expect(s.info.rootkitChecks).toContain("/proc's directory operations");
      await until(() => s.stats().rootkitChecks >= 5, 10_000, 'five checks');
      for (;;) {
        const batch = await Promise.race([s.next(), new Promise<null>((r) => setTimeout(() => r(null), 300))]);
        if (batch === null) break;
        events.push(...batch);
      }
    } finally {
      s.stop();
    }
    expect(events).toEqual([]);
    expect(s.stats().received).toBe(0);
  });

  it('where /proc/kallsyms shows no addresses: unavailable, in one line with the cause and the fix', () => {
    const r = withZeroKallsyms(['--events', 'hooked_syscall,hooked_proc_fops', '--duration', '1s']);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tracee-rs: error: none of the selected events can be traced here: hooked_proc_fops,hooked_syscall: \/proc\/kallsyms shows every address as 0 \(kernel\.kptr_restrict, or not root\): run as root with kernel\.kptr_restrict <= 1/);
  });

  it('an interval shorter than the polls between which the checks run: one line, nothing attached', () => {
    const r = spawnSync(process.execPath, [CLI, '--events', 'hooked_syscall', '--rootkit-check-interval', '1ms', '--duration', '1s'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tracee-rs: error: rootkitCheckInterval (--rootkit-check-interval) 0.001 s is shorter than the flush interval (20 ms), between whose polls the checks run; give at least 0.02 (the default is 60 s)\n');
  });

  it("the tests' kernel text can only narrow the kernel's, never hide a hooked entry", () => {
    const r = spawnSync(process.execPath, [CLI, '--events', 'hooked_syscall', '--duration', '1s'], { encoding: 'utf8', env: { ...process.env, TRACEE_RS_TEST_KERNEL_TEXT: '0-ffffffffffffffff' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tracee-rs: error: none of the selected events can be traced here: hooked_syscall: TRACEE_RS_TEST_KERNEL_TEXT=0-ffffffffffffffff: wider than the kernel's text \([0-9a-f]+-[0-9a-f]+\); it may only narrow it\n$/);
  });

  it('the signatures on them, alone: unavailable too, in one line (not a trace of their process tree)', () => {
    const r = withZeroKallsyms(['--events', 'syscall_hooking,proc_fops_hooking', '--duration', '1s']);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tracee-rs: error: none of the selected events can be traced here: syscall_hooking: the signature needs hooked_syscall: \/proc\/kallsyms shows every address as 0 .*; proc_fops_hooking: the signature needs hooked_proc_fops: \/proc\/kallsyms shows every address as 0/);
  });

  it('with other events selected: they run, and the checks are said unavailable on one line', () => {
    const r = withZeroKallsyms(['--events', 'hooked_syscall,getppid', '--duration', '500ms']);
    expect(r.status).toBe(0);
    const warning = r.stderr.split('\n').filter((l) => l.includes('warning'));
    expect(warning).toEqual([expect.stringMatching(/^tracee-rs: warning: hooked_syscall unavailable on this kernel: \/proc\/kallsyms shows every address as 0/)]);
    expect(r.stderr).toMatch(/attached to \d+ hooks for 1 events \(getppid\)/);
  });
});

describe('rootkit checks: the path of a finding, on this clean kernel', () => {
  // With the kernel's text taken as empty (TRACEE_RS_TEST_KERNEL_TEXT, for
  // tests only) every real entry of the table reads as hooked: each goes
  // through the program, the ring, the policies' filters, the decoder and
  // the rule, as a hooked entry would.
  afterAll(() => {
    delete process.env.TRACEE_RS_TEST_KERNEL_TEXT;
  });

  it("hooked_syscall: Tracee's arguments, filtered by data.syscall, once per entry", async () => {
    process.env.TRACEE_RS_TEST_KERNEL_TEXT = '0-0';
    const s = TraceSession.start({ events: ['hooked_syscall.data.syscall=kill'], rootkitCheckInterval: 0.05 });
    const events: TraceeEvent[] = [];
    try {
      await until(() => s.stats().rootkitChecks >= 3, 10_000, 'three checks');
      for (;;) {
        const batch = await Promise.race([s.next(), new Promise<null>((r) => setTimeout(() => r(null), 300))]);
        if (batch === null) break;
        events.push(...batch);
      }
    } finally {
      s.stop();
      delete process.env.TRACEE_RS_TEST_KERNEL_TEXT;
    }
    // once, though checked three times; the other entries filtered out
    expect(events).toHaveLength(1);
    const [e] = events;
    expect(e.eventName).toBe('hooked_syscall');
    expect(e.eventId).toBe(2021);
    expect(e.processId).toBe(0);
    expect(e.processName).toBe('');
    // hex without 0x, as Tracee writes it
    const address = /^([0-9a-f]+) T __x64_sys_kill$/m.exec(readFileSync('/proc/kallsyms', 'utf8'))![1].replace(/^0+/, '');
    expect(e.args).toEqual([
      { name: 'syscall', type: 'const char *', value: 'kill' },
      { name: 'address', type: 'const char *', value: address },
      { name: 'function', type: 'const char *', value: '__x64_sys_kill' },
      { name: 'owner', type: 'const char *', value: 'system' },
    ]);
    expect(s.stats().filtered).toBeGreaterThan(300);
  });

  it('TRC-1030 live: a finding per hooked entry, with the event that triggered it', async () => {
    process.env.TRACEE_RS_TEST_KERNEL_TEXT = '0-0';
    const found: Finding[] = [];
    const sub = findings(BUILTIN_RULES.filter((r) => r.id === 'TRC-1030')).subscribe((f) => found.push(f));
    try {
      await until(() => found.length >= 300, 10_000, '300 findings');
    } finally {
      sub.unsubscribe();
      delete process.env.TRACEE_RS_TEST_KERNEL_TEXT;
    }
    expect(new Set(found.map((f) => f.rule.id))).toEqual(new Set(['TRC-1030']));
    const kill = found.filter((f) => f.event.args[0].value === 'kill');
    expect(kill).toHaveLength(1);
    expect(kill[0].event.args[2].value).toBe('__x64_sys_kill');
  });
});
