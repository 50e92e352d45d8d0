// Embedded minimized BTF and Tracee's load decision, on the real kernel,
// with the kernel's own BTF hidden in a private mount namespace.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { btfExtract, btfInfo, btfList, btfReport } from '@tracee/core';
import { moveMember, renameMember } from './btf-edit.js';
import { CLI, tracePrograms, until } from './helpers.js';
import { expectWorkload, FIXTURE, HIDE, inPrivateMounts, parseRun } from './workload.js';

// The btfhub inputs the build used (scripts/setup.sh exports them).
const INPUT_DIRS = (process.env.TRACEE_BTFHUB_ARCHIVE ?? new URL('../../shared/btfhub-archive', import.meta.url).pathname).split(':').filter(Boolean);
const ARCHIVE = INPUT_DIRS.find((d) => d.includes('btfhub-archive')) ?? INPUT_DIRS[0];
const tmp = mkdtempSync(join(tmpdir(), 'tracee-rs-btf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const hostKey = () => btfInfo().kernelKey;

/** None of our programs stays loaded. Earlier tests' processes have exited, but
 * the kernel frees their programs after an RCU grace period: wait for it. */
const noProgramsLeft = () => until(() => tracePrograms().length === 0, 5000, 'no tracee programs loaded');

describe('embedded minimized BTF', () => {
  it('minimizes every btfhub-archive input, embeds this arch\'s and this host, and reports sizes', () => {
    const report = btfReport();
    console.log(report);
    const keys = btfList().map((k) => k.key);
    expect(keys).toContain(hostKey());
    const inputs = execFileSync('find', [...INPUT_DIRS, '-name', '*.btf.tar.xz'], { encoding: 'utf8' }).trim().split('\n');
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) {
      const [arch, version, id] = input.split('/').reverse().slice(1, 4);
      const release = input.split('/').pop()!.replace(/\.btf\.tar\.xz$/, '');
      const line = report.split('\n').find((l) => l.includes(release));
      expect(line, `${input} in the report`).toBeDefined();
      expect(line).toMatch(/\s\d+\s+\d+\s+btfhub-archive /); // full and minimized sizes
      expect(line).toContain(`${id}/${version}/`);
      const next = report.split('\n')[report.split('\n').indexOf(line!) + 1];
      expect(next, `${input}: nothing the object needs is missing`).not.toMatch(/^\s+lacks /);
      if (['x86_64', 'amd64'].includes(arch)) expect(keys).toContain(`${id}/${version}/x86_64/${release}`);
    }
    expect(report).toMatch(/x86_64: archive \(embedded\): \d+ B zstd-19/);
    if (inputs.some((f) => /\/(arm64|aarch64)\//.test(f))) {
      expect(report).toMatch(/arm64: archive \(built, not embedded in this target\): \d+ B zstd-19/);
    }
    expect(report).toMatch(/stored as Tracee does/);
  });

  it('extracts one minimized BTF that bpftool reads', () => {
    const out = join(tmp, 'host.btf');
    const r = spawnSync(process.execPath, [CLI, 'btf', 'extract', hostKey(), '-o', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out).equals(btfExtract(hostKey()))).toBe(true);
    const dump = execFileSync('bpftool', ['btf', 'dump', 'file', out], { encoding: 'utf8' });
    expect(dump).toContain("STRUCT 'task_struct'");
    expect(readFileSync(out).length).toBeLessThan(8192); // minimized: kilobytes, not megabytes

    const bad = spawnSync(process.execPath, [CLI, 'btf', 'extract', 'nonesuch/1/x86_64/0.0', '-o', out], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^tracee-rs: error: nonesuch\/1\/x86_64\/0\.0 is not embedded \(closest: /);
  });

  for (const [how, hide] of Object.entries(HIDE)) {
    it(`with kernel BTF hidden (${how}): case 4, and the end-to-end events are right`, () => {
      const info = JSON.parse(inPrivateMounts(hide, [process.execPath, CLI, 'btf', 'info', '--json']).stdout);
      expect(info).toMatchObject({ kernelBtfUsable: false, embeddedMatch: true, decisionCase: 4, object: 'embedded' });
      expect(info.btfSource).toBe(`embedded minimized (${hostKey()})`);

      const run = parseRun(inPrivateMounts(hide, [process.execPath, FIXTURE]));
      expect(run.info.decisionCase).toBe(4);
      expect(run.info.btf).toBe(`embedded minimized (${hostKey()})`);
      expectWorkload(run);
    });
  }

  it('with kernel BTF hidden and this kernel not embedded: the case-5 error, exit 1, nothing attached', async () => {
    const osRelease = join(tmp, 'os-release');
    writeFileSync(osRelease, 'ID=nonesuch\nVERSION_ID=1\n');
    const setup = `${HIDE['/dev/null over /sys/kernel/btf/vmlinux']} && mount --bind ${osRelease} /etc/os-release`;
    const r = inPrivateMounts(setup, [process.execPath, CLI, '-e', 'execve', '-d', '5s']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tracee-rs: error: no BTF for this kernel: the kernel exposes none \(.*\) and nonesuch\/1\/x86_64\/\S+ is not embedded \(closest embedded: .*\); set TRACEE_BTF_FILE .*pahole/);
    expect(lines[0]).toContain(hostKey()); // among the closest

    const info = inPrivateMounts(setup, [process.execPath, CLI, 'btf', 'info']);
    expect(info.status).toBe(1);
    expect(info.stdout).toMatch(/case\s+none: tracing cannot start/);
    await noProgramsLeft();
  });

  it('TRACEE_BTF_FILE that is empty, corrupt, for another kernel or missing: a clear error naming the file', async () => {
    const empty = join(tmp, 'empty.btf');
    const corrupt = join(tmp, 'corrupt.btf');
    writeFileSync(empty, '');
    writeFileSync(corrupt, Buffer.from('this is not BTF, just bytes in a file'.repeat(20)));
    // an arm64 kernel's BTF: no x86 pt_regs in it
    const arm64 = execFileSync('find', [ARCHIVE, '-path', '*/arm64/*', '-o', '-path', '*/aarch64/*', '-name', '*.btf.tar.xz'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .find((f) => f.endsWith('.btf.tar.xz'))!;
    execFileSync('tar', ['-xJf', arm64, '-C', tmp]);
    const other = join(tmp, readdirSync(tmp).find((f) => f.endsWith('.btf'))!);
    const cases: [string, RegExp][] = [
      [empty, /0 bytes, too short to be BTF/],
      [corrupt, /not BTF \(bad magic\)/],
      [other, /it does not describe this kernel: struct pt_regs\.\w+ is not in it/],
      [join(tmp, 'missing.btf'), /No such file or directory/],
    ];
    for (const [file, why] of cases) {
      const r = spawnSync(process.execPath, [CLI, '-e', 'execve', '-d', '5s'], { encoding: 'utf8', env: { ...process.env, TRACEE_BTF_FILE: file } });
      expect(r.status, file).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^tracee-rs: error: TRACEE_BTF_FILE=${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
      expect(lines[0]).toMatch(why);
    }
    await noProgramsLeft();
  });

  it('offsets come from the BTF handed to libbpf: a moved field changes what is read', () => {
    const good = join(tmp, 'good.btf');
    const moved = join(tmp, 'moved.btf');
    const host = btfExtract(hostKey());
    writeFileSync(good, host);
    // ns_common.inum is how mount and pid namespace ids are read
    writeFileSync(moved, moveMember(host, 'ns_common', 'inum', 32));
    const env = (f: string) => ({ ...process.env, TRACEE_BTF_FILE: f });
    const ok = parseRun(spawnSync(process.execPath, [FIXTURE], { encoding: 'utf8', env: env(good) }));
    expect(ok.info.btf).toBe(`TRACEE_BTF_FILE (${good})`);
    expectWorkload(ok);
    const off = parseRun(spawnSync(process.execPath, [FIXTURE], { encoding: 'utf8', env: env(moved) }));
    expect(off.events.length).toBeGreaterThan(0);
    for (const e of off.events) {
      expect(e.mountNamespace).not.toBe(off.self.mountNamespace);
      // in the initial pid namespace its id is a kernel constant, not read
      expect(e.pidNamespace).toBe(off.self.pidNamespace);
      expect(e.hostParentProcessId).toBe(off.self.pid); // fields not moved read right
    }
  });

  it('a field renamed in this kernel disables only the events that read it, with the reason', async () => {
    const renamed = join(tmp, 'renamed.btf');
    // as if a kernel renamed linux_binprm.file: only sched_process_exec reads it
    // (execve, reported at sched_process_exec too, reads the name it was given)
    writeFileSync(renamed, renameMember(btfExtract(hostKey()), 'linux_binprm', 'file', 'tgid'));
    const r = spawnSync(process.execPath, [CLI, '-e', 'execve,sched_process_exec', '-o', 'json', '-d', '1500ms'], {
      encoding: 'utf8',
      env: { ...process.env, TRACEE_BTF_FILE: renamed },
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(
      /^tracee-rs: warning: sched_process_exec unavailable on this kernel: tracee_sched_process_exec: struct linux_binprm\.file is not in this kernel's BTF \(TRACEE_BTF_FILE /,
    );
    expect(lines[1]).toMatch(/^tracee-rs: attached to 5 hooks for 1 events \(execve\); syscalls: 2 per-syscall tracepoints;/);
    // the rejected attempt left nothing behind
    await noProgramsLeft();
  });

  it('the end-to-end events are right with the perf-buffer path forced (kernels before 5.8), with kernel and embedded BTF', () => {
    const env = { ...process.env, TRACE_WORKLOAD_PERF_BUFFER: '1' };
    const withKernelBtf = parseRun(spawnSync(process.execPath, [FIXTURE], { encoding: 'utf8', env }));
    expect(withKernelBtf.info).toMatchObject({ decisionCase: 3, transport: 'perf buffer (forced)' });
    expectWorkload(withKernelBtf);
    // what a 4.x kernel without BTF looks like: embedded BTF and a perf buffer
    const oldKernel = parseRun(inPrivateMounts(HIDE['tmpfs over /sys/kernel/btf'], [process.execPath, FIXTURE], env));
    expect(oldKernel.info).toMatchObject({ decisionCase: 4, transport: 'perf buffer (forced)' });
    expectWorkload(oldKernel);
  });

  it('the legacy programs (kernels before 5.2: no global data) load without .rodata and get the events right', () => {
    const env = { ...process.env, TRACE_WORKLOAD_LEGACY: '1' };
    // as on RHEL 8's 4.18: no kernel BTF, so the embedded minimized one, and legacy programs
    const run = parseRun(inPrivateMounts(HIDE['tmpfs over /sys/kernel/btf'], [process.execPath, FIXTURE], env));
    expect(run.info).toMatchObject({ decisionCase: 4, transport: 'perf buffer, legacy programs (forced)' });
    expect(run.maps.some((m) => m.endsWith('.rodata') || m.endsWith('.bss'))).toBe(false);
    expect(run.maps).not.toContain('events'); // no ring buffer
    expect(run.maps).toContain('legacy_settings');
    expectWorkload(run);
    // and the usual programs do use .rodata, the set the legacy one replaces
    const modern = parseRun(spawnSync(process.execPath, [FIXTURE], { encoding: 'utf8' }));
    expect(modern.maps.some((m) => m.endsWith('.rodata'))).toBe(true);
    expect(modern.maps).not.toContain('legacy_settings');
  });

  it('mem_prot_alert without kernel BTF (no bpf_find_vma): no entry hook, alert 4 from the regions seen made W+X, so a whole one only', () => {
    const fixture = new URL('./fixtures/mem-prot-alerts.mjs', import.meta.url).pathname;
    const r = inPrivateMounts(HIDE['tmpfs over /sys/kernel/btf'], [process.execPath, fixture, 'jit', 'jit-pkey', 'jit-subrange', 'rw-to-rx']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.btf).toMatch(/^embedded minimized/);
    expect(out.programs.filter((p: string) => p.includes('sys_enter'))).toEqual([]);
    // the sub-range is what the entry hook adds (test/trace.test.ts)
    expect(out.alerts).toEqual({ jit: [1, 4], 'jit-pkey': [1, 4], 'jit-subrange': [1], 'rw-to-rx': [] });
  });

  it('TRACEE_BPF_FILE without any BTF: case 2, a non-CO-RE object is needed', () => {
    const obj = join(tmp, 'not-used.bpf.o');
    writeFileSync(obj, 'x');
    const r = inPrivateMounts(HIDE['tmpfs over /sys/kernel/btf'], [process.execPath, CLI, '-e', 'execve'], { ...process.env, TRACEE_BPF_FILE: obj });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tracee-rs: error: TRACEE_BPF_FILE=\S+ is a CO-RE object, but this kernel has no BTF .* use a non-CO-RE object built for this kernel/);
    const bad = spawnSync(process.execPath, [CLI, '-e', 'execve'], { encoding: 'utf8', env: { ...process.env, TRACEE_BPF_FILE: obj } });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^tracee-rs: error: TRACEE_BPF_FILE=\S+: libbpf cannot open it/);
  });
});
