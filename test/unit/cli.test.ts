// The tracee-rs command's argument errors and help, which need no kernel.
// (The command tracing: test/cli.test.ts.)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '@tracee/core';
import { CLI } from '../helpers.js';

const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('tracee-rs CLI', () => {
  it('rejects bad input with one line and a non-zero exit', () => {
    const cases: [string[], RegExp][] = [
      [['-e', 'opnat'], /^tracee-rs: error: unknown event 'opnat'; did you mean openat/],
      [['-d', 'soon'], /^tracee-rs: error: invalid duration 'soon': use e\.g\. 10s/],
    ];
    for (const [args, expected] of cases) {
      const r = run(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(expected);
    }
  });

  it('--ring-buffer-mb: the size the kernel takes is checked where the tracer sizes the ring, with the value and the sizes that work', () => {
    const limits = 'a power of two times the page size (4096 bytes), at most 2147483648 bytes (2048 MiB)';
    for (const [mb, given, fix] of [
      ['3', '3145728 bytes (3 MiB)', '2097152 bytes (2 MiB) or 4194304 bytes (4 MiB)'],
      ['0', '0 bytes', '4096 bytes (4 KiB)'],
      ['4096', '4294967296 bytes (4096 MiB)', '2147483648 bytes (2048 MiB)'],
    ]) {
      // with --rules too, which traces as well
      for (const extra of [[], ['--rules']]) {
        const r = run('--ring-buffer-mb', mb, ...extra, '-d', '1s');
        expect([r.status, r.stderr, r.stdout], `${mb} ${extra.join(' ')}`).toEqual([
          1,
          `tracee-rs: error: ringBufferBytes (--ring-buffer-mb): ${given} is not a size a BPF ring buffer takes: ${limits}; use ${fix}\n`,
          '',
        ]);
      }
    }
  });

  it('an unknown option is named once, as typed, with the nearest known one', () => {
    const cases: [string[], string][] = [
      [['--bogus-flag'], 'unknown option --bogus-flag (see tracee-rs --help)'],
      [['--evnts', 'openat'], 'unknown option --evnts; did you mean --events? (see tracee-rs --help)'],
      [['--ring-bufer-mb=4'], 'unknown option --ring-bufer-mb; did you mean --ring-buffer-mb? (see tracee-rs --help)'],
      [['-x'], 'unknown option -x (see tracee-rs --help)'],
      [['--outptu', 'json', '--bogusFlag', '--outptu', 'table'], 'unknown options --outptu (did you mean --output?), --bogusFlag (see tracee-rs --help)'],
      [['list', 'events', '--jsn'], 'unknown option --jsn; did you mean --json? (see tracee-rs --help)'],
      [['doctr'], "unknown command 'doctr'; did you mean doctor? (see tracee-rs --help)"],
    ];
    for (const [args, expected] of cases) {
      const r = run(...args);
      expect([r.status, r.stderr, r.stdout], args.join(' ')).toEqual([1, `tracee-rs: error: ${expected}\n`, '']);
    }
    // known spellings still pass: a negation, camelCase, an alias
    const ok = run('list', 'events', '--no-json', '--tag', 'fs');
    expect([ok.status, ok.stderr]).toEqual([0, '']);
  });

  it('--help lists every option with examples', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const opt of ['--events', '--output', '--duration', '--ring-buffer-mb', '--perf-buffer', 'btf', '--help', 'Examples:']) {
      expect(r.stdout).toContain(opt);
    }
  });

  it('--help into a pipe: 80 columns, wrapped between words', () => {
    for (const args of [['--help'], ['list', '--help'], ['policy', 'validate', '--help']]) {
      const r = run(...args);
      expect(r.status).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines.filter((l) => l.length > 80), args.join(' ')).toEqual([]);
    }
    // each text whole once the layout's line breaks and indents are taken out
    const flat = run('--help').stdout.replace(/\s+/g, ' ');
    for (const text of [
      'Trace this Linux host with eBPF and print every selected event (needs root).',
      'preflight: privileges, lockdown, kernel BTF, the embedded match, ring buffer, BPF LSM, kprobes, tracefs; exit 0 if tracing can start',
      'in JSON, arguments as people read them (O_RDONLY|O_CLOEXEC, AT_FDCWD, SIGCHLD) instead of raw numbers',
      "execve's envp as its strings, not an address (Tracee's --output option:exec-env)",
    ]) {
      expect(flat).toContain(text);
    }
  });

  it('list rules: every cell filled, "-" where Tracee gives nothing (TRC-1013 has no technique id)', () => {
    const r = run('list', 'rules');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(BUILTIN_RULES.length);
    const k8s = lines.find((l) => l.startsWith('TRC-1013 '));
    expect(k8s).toMatch(/^TRC-1013 +k8s_api_connection +low +- Cloud Service Discovery +security_socket_connect,/);
    for (const line of lines) {
      // id, event name, severity, technique id, technique (words), events
      expect(line, line).toMatch(/^TRC-\d+ +[a-z0-9_]+ +(info|low|medium|high|critical) +(T\d{4}(\.\d{3})?|-) +\S.*\S +[a-z0-9_,]+$/);
    }
  });
});

describe('tracee-rs doctor without privileges', () => {
  // as nobody: with setpriv where this process may change its ids (root with
  // CAP_SETUID and CAP_SETGID: bits 7 and 6 of CapEff), as itself otherwise
  // (any other user, or root with its capabilities dropped: unprivileged too)
  const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`);
  const mayChangeIds = ((capEff >> 6n) & 3n) === 3n;
  const asNobody = mayChangeIds ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath] : [process.execPath];

  it('blames the missing privileges, not the kernel, for the probes the kernel refused', () => {
    const r = spawnSync(asNobody[0], [...asNobody.slice(1), CLI, 'doctor', '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(1);
    const checks = JSON.parse(r.stdout) as { name: string; status: string; detail: string; fix?: string }[];
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    const fix = 'run it as root, or grant CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN on kernels before 5.8; also CAP_SYS_RESOURCE before 5.11, for the locked-memory limit)';
    const lacks = 'this process lacks the privileges to probe (see privileges), which says nothing of the kernel';
    expect(byName.privileges).toMatchObject({ status: 'fail', fix });
    expect(byName['ring buffer']).toEqual({ name: 'ring buffer', status: 'warn', detail: `unknown: creating a BPF ring buffer was refused (Operation not permitted (os error 1)): ${lacks}`, fix });
    expect(byName['raw tracepoints']).toEqual({
      name: 'raw tracepoints',
      status: 'warn',
      detail: `unknown: a two-instruction raw tracepoint program was refused (Operation not permitted (os error 1)): ${lacks}`,
      fix,
    });
    // asked only where the kernel has BTF
    expect(byName.fentry).toEqual(
      existsSync('/sys/kernel/btf/vmlinux')
        ? { name: 'fentry', status: 'warn', detail: `unknown: a two-instruction fentry program is refused: Operation not permitted (os error 1): ${lacks}`, fix }
        : undefined,
    );
    // no check blames the kernel's version for what the privileges decide
    expect(checks.filter((c) => /Linux \d/.test(`${c.detail} ${c.fix ?? ''}`))).toEqual([]);
  });
});
