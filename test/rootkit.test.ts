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
import { TraceSession, type TraceeEvent } from '@tracee/core';
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
      expect(s.info.programs).toEqual(['BPF_PROG_TEST_RUN tracee_rootkit_check']);
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

  it('with other events selected: they run, and the checks are said unavailable on one line', () => {
    const r = withZeroKallsyms(['--events', 'hooked_syscall,getppid', '--duration', '500ms']);
    expect(r.status).toBe(0);
    const warning = r.stderr.split('\n').filter((l) => l.includes('warning'));
    expect(warning).toEqual([expect.stringMatching(/^tracee-rs: warning: hooked_syscall unavailable on this kernel: \/proc\/kallsyms shows every address as 0/)]);
    expect(r.stderr).toMatch(/attached to \d+ hooks for 1 events \(getppid\)/);
  });
});
