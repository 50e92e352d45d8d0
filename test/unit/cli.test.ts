// The tracee-rs command's argument errors and help, which need no kernel.
// (The command tracing: test/cli.test.ts.)
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers.js';

describe('tracee-rs CLI', () => {
  it('rejects bad input with one line and a non-zero exit', () => {
    const cases: [string[], RegExp][] = [
      [['-e', 'opnat'], /^tracee-rs: error: unknown event 'opnat'; did you mean openat/],
      [['-d', 'soon'], /^tracee-rs: error: invalid duration 'soon': use e\.g\. 10s/],
      [['--ring-buffer-mb', '3'], /^tracee-rs: error: --ring-buffer-mb must be a power of two/],
    ];
    for (const [args, expected] of cases) {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(expected);
    }
    const bad = spawnSync(process.execPath, [CLI, '--no-such-flag'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
  });

  it('--help lists every option with examples', () => {
    const r = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const opt of ['--events', '--output', '--duration', '--ring-buffer-mb', '--perf-buffer', 'btf', '--help', 'Examples:']) {
      expect(r.stdout).toContain(opt);
    }
  });
});
