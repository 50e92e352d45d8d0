#!/usr/bin/env node
// The proof on other kernels: boots each of Debian's packaged kernels under
// qemu with a small initramfs built here (busybox-static, the guest binary
// crates/tracee-core/examples/qemu_guest/ and its shared libraries), hides
// the kernel's BTF inside the guest, and reads what the tracer reported on
// the serial console. Prints one table; exits 1 if any kernel fails.
//
//   node test/qemu/matrix.mjs [--json] [--kernels DIR] [--guest BIN]
//
// Kernels: DIR/kernels.tsv and DIR/<release>/vmlinuz, as
// `btfhub/fetch-debian.sh --images DIR` leaves them (scripts/test.sh runs it).
// Software emulation (TCG) by default: a guest takes ~4 s here, and on this
// project's machines /dev/kvm exists but a nested KVM guest hangs before
// its first console line. TRACEE_QEMU_ACCEL=kvm uses KVM (where /dev/kvm
// opens); TRACEE_QEMU_CONSOLE=1 copies each guest's console to stderr.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDocSection } from '../docs-section.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const KERNELS = arg('--kernels', '/var/cache/tracee-rs/qemu-kernels');
const GUEST = arg('--guest', join(ROOT, 'target/x86_64-unknown-linux-gnu/release/examples/qemu_guest'));
/** A guest that has not powered off by then has failed. */
const GUEST_TIMEOUT_MS = Number(process.env.TRACEE_QEMU_TIMEOUT_MS ?? 240_000);
const PREFIX = 'tracee-guest: ';

const log = (m) => process.stderr.write(`qemu: ${m}\n`);

/** What the guest runs as PID 1. The kernel command line says which Debian release it is. */
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# the archive has no /dev/console, so init started without one
exec </dev/console >/dev/console 2>&1
mount -t tmpfs tmpfs /tmp
mount -t bpf bpf /sys/fs/bpf
# the workload's sockets are on loopback
ip link set lo up
say() { echo "${PREFIX}$1"; }
say "{\\"uptime\\": $(cut -d' ' -f1 /proc/uptime)}"
for p in $(cat /proc/cmdline); do
  case $p in tracee.version_id=*) version=\${p#*=} ;; esac
done
printf 'ID=debian\\nVERSION_ID="%s"\\n' "$version" > /etc/os-release
# first with the kernel's own BTF (case 3), then without it
/tracee-guest --kernel-btf
# the kernel's BTF, hidden: an empty file over it
if [ -e /sys/kernel/btf/vmlinux ]; then
  : > /tmp/no-btf
  mount --bind /tmp/no-btf /sys/kernel/btf/vmlinux
  hidden=$([ -s /sys/kernel/btf/vmlinux ] && echo false || echo true)
else
  hidden=true
fi
say "{\\"btfHidden\\": $hidden}"
/tracee-guest
say '{"done": true}'
poweroff -f
`;

/** The shared libraries `bin` needs, as ldd resolves them on this host. */
function libraries(bin) {
  return execFileSync('ldd', [bin], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /(\/\S+)\s+\(0x/.exec(l)?.[1])
    .filter(Boolean);
}

/** Builds the initramfs (gzip'd newc cpio) into `dir`; returns its path. */
export function buildInitramfs(dir) {
  const root = join(dir, 'root');
  for (const d of ['bin', 'sbin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'usr/bin', 'usr/sbin']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  copyFileSync(GUEST, join(root, 'tracee-guest'));
  chmodSync(join(root, 'tracee-guest'), 0o755);
  for (const lib of libraries(GUEST)) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib));
  }
  writeFileSync(join(root, 'init'), INIT, { mode: 0o755 });
  const image = join(dir, 'initramfs.cpio.gz');
  execFileSync('sh', ['-c', `cd "${root}" && find . | cpio -o -H newc --quiet | gzip -1 > "${image}"`]);
  return image;
}

function accel() {
  if (process.env.TRACEE_QEMU_ACCEL !== 'kvm') return 'tcg';
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
    return 'kvm';
  } catch (e) {
    log(`TRACEE_QEMU_ACCEL=kvm, but /dev/kvm cannot be opened (${e.code}): software emulation`);
    return 'tcg';
  }
}

/** Boots one kernel; resolves with what its guest said, and the timings. */
function boot(kernel, initramfs, how) {
  return new Promise((resolve) => {
    const argv = [
      '-kernel', join(KERNELS, kernel.release, 'vmlinuz'),
      '-initrd', initramfs,
      '-append', `console=ttyS0 quiet loglevel=1 panic=-1 tracee.version_id=${kernel.version}`,
      '-accel', how,
      '-cpu', how === 'kvm' ? 'host' : 'max',
      '-m', '1024', '-smp', '2',
      '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio',
    ];
    const t0 = Date.now();
    const qemu = spawn('qemu-system-x86_64', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const said = [];
    let console_ = '';
    let bootMs;
    const timer = setTimeout(() => qemu.kill('SIGKILL'), GUEST_TIMEOUT_MS);
    qemu.stdout.on('data', (d) => {
      if (process.env.TRACEE_QEMU_CONSOLE) process.stderr.write(d);
      console_ += d;
      const lines = console_.split(/\r?\n/);
      console_ = lines.pop();
      for (const line of lines) {
        const at = line.indexOf(PREFIX);
        if (at < 0) continue;
        try {
          const msg = JSON.parse(line.slice(at + PREFIX.length));
          if (bootMs === undefined && 'uptime' in msg) bootMs = Date.now() - t0;
          said.push(msg);
        } catch {
          said.push({ unparsed: line });
        }
      }
    });
    let stderr = '';
    qemu.stderr.on('data', (d) => (stderr += d));
    qemu.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ said, bootMs, totalMs: Date.now() - t0, exit: signal ? `killed (${signal}) after ${GUEST_TIMEOUT_MS / 1000} s` : code, stderr: stderr.trim() });
    });
  });
}

/** What a kernel must show: embedded → case 4, both hook kinds attached, every event right; not embedded → the case-5 error. */
export function verdict(kernel, run) {
  const problems = [];
  const start = run.said.find((m) => 'uptime' in m);
  const hidden = run.said.filter((m) => m.phase === 'hidden-btf');
  const decision = hidden.find((m) => !('hooks' in m) && ('case' in m || 'error' in m));
  const traces = hidden.filter((m) => 'hooks' in m);
  // with its own BTF, every kernel traces (case 3), embedded or not
  const own = run.said.filter((m) => m.phase === 'kernel-btf');
  const ownTrace = own.find((m) => 'hooks' in m);
  if (own.find((m) => !('hooks' in m))?.case !== 3) problems.push(`with kernel BTF: decision ${JSON.stringify(own[0])} is not case 3`);
  // its scoped trace is reloadable (every scope test kept for the verifier) and reloads
  if (ownTrace?.attached && !ownTrace.reloaded) problems.push(`with kernel BTF: the reloadable trace did not reload (${JSON.stringify(ownTrace.failures)})`);
  if (!ownTrace?.attached || ownTrace.error || ownTrace.seen !== ownTrace.expected || ownTrace.failures?.length) {
    problems.push(`with kernel BTF: ${JSON.stringify(ownTrace?.error ?? ownTrace?.failures ?? ownTrace)}`);
  }
  // the rootkit checks' reader (with the kernel's own BTF): the table kallsyms names, every entry its syscall's function
  const rootkit = own.find((m) => 'rootkit' in m)?.rootkit;
  if (!/^kallsyms: \d+ entries/.test(rootkit?.table?.how ?? '') || rootkit.table.bad.length || rootkit.table.entries < 300) problems.push(`rootkit reader: ${JSON.stringify(rootkit?.table)}`);
  if (!rootkit?.proc?.iterate_shared?.includes('proc_root_readdir') || rootkit.proc.iterate !== 0) problems.push(`rootkit reader: /proc: ${JSON.stringify(rootkit?.proc)}`);
  if (!start) problems.push(`the guest never started (${run.exit}; ${run.stderr.split('\n').pop() ?? ''})`);
  else if (!run.said.some((m) => m.btfHidden === true)) problems.push('the kernel BTF was not hidden');
  if (!run.said.some((m) => m.done)) problems.push(`the guest did not finish (${run.exit})`);
  if (kernel.embedded) {
    if (decision?.case !== 4) problems.push(`decision ${JSON.stringify(decision)} is not case 4`);
    if (traces.length !== 2) problems.push(`${traces.length} of 2 traces reported`);
    for (const t of traces) {
      if (!t.attached) problems.push(`${t.hooks}: not attached: ${t.error?.message}`);
      else if (t.error) problems.push(`${t.hooks}: ${t.error.message}`);
      else {
        if (t.seen !== t.expected) problems.push(`${t.hooks}: ${t.seen} of ${t.expected} events (saw ${t.events.join(', ')})`);
        for (const f of t.failures) problems.push(`${t.hooks}: ${f}`);
        if (t.case !== 4) problems.push(`${t.hooks}: traced with case ${t.case}`);
      }
    }
  } else {
    if (decision?.error?.code !== 'ENOBTF') problems.push(`expected the case-5 error, got ${JSON.stringify(decision)}`);
    if (traces.length) problems.push('it traced without a BTF');
  }
  return { decision, traces, ownTrace, problems };
}

export async function runMatrix() {
  const kernels = readFileSync(join(KERNELS, 'kernels.tsv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .map(([release, version, embedded]) => ({ release, version, embedded: embedded === 'yes', key: `debian/${version}/x86_64/${release}` }));
  const dir = mkdtempSync(join(tmpdir(), 'tracee-qemu-'));
  try {
    const initramfs = buildInitramfs(dir);
    const how = accel();
    log(`${kernels.length} kernels, ${how === 'kvm' ? 'KVM' : 'software emulation (TCG)'}, initramfs ${(readFileSync(initramfs).length / 1e6).toFixed(1)} MB`);
    const rows = [];
    for (const kernel of kernels) {
      log(`booting ${kernel.key}`);
      const run = await boot(kernel, initramfs, how);
      rows.push({ kernel, accel: how, ...run, ...verdict(kernel, run) });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(rows) {
  const header = ['kernel', 'embedded', 'own BTF: case, events', 'hidden: decision', 'attach (auto/raw hooks)', 'events seen/expected', 'boot s', 'total s', 'result'];
  const body = rows.map((r) => [
    r.kernel.key,
    r.kernel.embedded ? 'yes' : 'no',
    r.ownTrace ? `case ${r.ownTrace.case}, ${r.ownTrace.seen}/${r.ownTrace.expected}` : '-',
    r.decision?.case ? `case ${r.decision.case}` : r.decision?.error ? `${r.decision.error.code} (case 5)` : '-',
    r.traces.length ? r.traces.map((t) => (t.attached && !t.error ? `ok ${t.attachMs} ms` : 'FAILED')).join(' / ') : '-',
    r.traces.length ? r.traces.map((t) => `${t.seen ?? 0}/${t.expected ?? 4}`).join(' / ') : '-',
    r.bootMs === undefined ? '-' : (r.bootMs / 1000).toFixed(1),
    (r.totalMs / 1000).toFixed(1),
    r.problems.length ? 'FAIL' : 'ok',
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => row[i].length)));
  const line = (row) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await runMatrix();
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
  else {
    const report = [table(rows), ...rows.flatMap((r) => r.problems.map((p) => `${r.kernel.key}: ${p}`))];
    const caseFive = rows.find((r) => !r.kernel.embedded)?.decision?.error?.message;
    if (caseFive) report.push(`\nnot embedded, as the guest said it: tracee-rs: error: ${caseFive}`);
    console.log(report.join('\n'));
    // the measured table in docs/kernels.md is this run's, not pasted
    const stamp = `${new Date().toISOString().slice(0, 10)}, host ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`;
    writeDocSection(fileURLToPath(new URL('../../docs/kernels.md', import.meta.url)), 'qemu-matrix', 'npm run test:kernels', `${stamp}:\n\n\`\`\`\n${report.join('\n')}\n\`\`\``);
  }
  process.exitCode = rows.every((r) => r.problems.length === 0) ? 0 : 1;
}
