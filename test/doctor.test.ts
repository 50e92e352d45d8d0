// `tracee-rs doctor` says what is true on this host: every line checked
// against /proc, /sys and the LSM list, in the situations the tests set up.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, hookSupport } from './helpers.js';

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

const tmp = mkdtempSync(join(tmpdir(), 'tracee-rs-doctor-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs doctor --json in a private mount namespace after `setup`; also returns the files read there. */
function doctorIn(setup: string): { status: number | null; checks: Record<string, Check>; lsm: string; lockdown: string } {
  const script = `${setup}
    cat /sys/kernel/security/lsm 2>/dev/null; echo; echo ---
    cat /sys/kernel/security/lockdown 2>/dev/null; echo ---
    exec "$@"`;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, CLI, 'doctor', '--json'], { encoding: 'utf8' });
  const [lsm, lockdown, json] = r.stdout.split('---\n');
  const checks = Object.fromEntries((JSON.parse(json) as Check[]).map((c) => [c.name, c]));
  return { status: r.status, checks, lsm: lsm.trim(), lockdown: lockdown.trim() };
}

const capEff = () => BigInt('0x' + /^CapEff:\s*(\w+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

describe('tracee-rs doctor', () => {
  it('on this host, with securityfs mounted: every line matches /proc and /sys', () => {
    const { status, checks, lsm, lockdown } = doctorIn('mount -t securityfs securityfs /sys/kernel/security');
    expect(status).toBe(0);
    expect(checks.privileges.status).toBe((capEff() >> 21n) & 1n ? 'ok' : 'fail');

    const btf = existsSync('/sys/kernel/btf/vmlinux') && readFileSync('/sys/kernel/btf/vmlinux').readUInt16LE(0) === 0xeb9f;
    expect(checks['kernel BTF'].status).toBe(btf ? 'ok' : 'warn');
    expect(checks['load decision']).toMatchObject({ status: 'ok' });
    expect(checks['load decision'].detail).toMatch(btf ? /^case 3: / : /^case 4: /);

    expect(checks['BPF LSM'].status).toBe(lsm.split(',').includes('bpf') ? 'ok' : 'warn');
    expect(checks['BPF LSM'].detail).toContain(lsm);
    const mode = /\[(\w+)\]/.exec(lockdown)?.[1] ?? 'none';
    expect(checks.lockdown.status).toBe(mode === 'confidentiality' ? 'fail' : 'ok');
    expect(checks.lockdown.detail).toContain(`lockdown=${mode}`);

    // whether fentry and kprobe programs attach (to the function doctor's own
    // fentry probe uses), found without tracee-rs; the fentry line only with
    // the kernel's BTF, which fentry needs
    const can = hookSupport(['security_file_open']);
    expect(checks.kprobes.status, can.detail.kprobe.security_file_open).toBe(can.kprobe ? 'ok' : 'warn');
    expect(checks.fentry?.status, can.detail.fentry.security_file_open).toBe(btf ? (can.fentry ? 'ok' : 'warn') : undefined);
    const tracefs = existsSync('/sys/kernel/tracing/trace') || existsSync('/sys/kernel/debug/tracing/trace');
    expect(checks.tracefs.status).toBe(tracefs ? 'ok' : 'warn');
    expect(checks['ring buffer'].status).toBe('ok');
    expect(checks['raw tracepoints'].status).toBe('ok');
    for (const c of Object.values(checks)) if (c.status !== 'ok') expect(c.fix, c.name).toBeTruthy();
  });

  it('sees tracefs once it is mounted, and says unknown without securityfs', () => {
    const { checks } = doctorIn('umount /sys/kernel/security 2>/dev/null; mount -t tracefs nodev /sys/kernel/tracing');
    expect(checks.tracefs).toMatchObject({ status: 'ok', detail: 'mounted (/sys/kernel/tracing)' });
    expect(checks['BPF LSM'].detail).toMatch(/^unknown: securityfs is not mounted/);
  });

  it('with kernel BTF hidden: BTF warns, case 4 from the embedded archive, tracing can start', () => {
    const { status, checks } = doctorIn('mount --bind /dev/null /sys/kernel/btf/vmlinux');
    expect(status).toBe(0);
    expect(checks['kernel BTF'].status).toBe('warn');
    expect(checks['load decision'].detail).toMatch(/^case 4: no kernel BTF/);
    expect(checks['embedded BTF'].status).toBe('ok');
  });

  it('with kernel BTF hidden and an unknown kernel: tracing cannot start, exit 1', () => {
    const osRelease = join(tmp, 'os-release');
    writeFileSync(osRelease, 'ID=nonesuch\nVERSION_ID=1\n');
    const { status, checks } = doctorIn(`mount --bind /dev/null /sys/kernel/btf/vmlinux && mount --bind ${osRelease} /etc/os-release`);
    expect(status).toBe(1);
    expect(checks['load decision'].status).toBe('fail');
    expect(checks['load decision'].detail).toMatch(/^no BTF for this kernel/);
    expect(checks['embedded BTF']).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^this kernel \(nonesuch\/1\/x86_64\/.*\) is not embedded$/) });
  });

  it('without privileges: the privileges line fails, exit 1', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'doctor', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const checks = JSON.parse(r.stdout) as Check[];
    expect(checks.find((c) => c.name === 'privileges')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/uid 65534 lacks CAP_BPF and CAP_PERFMON/) });
  });
});
