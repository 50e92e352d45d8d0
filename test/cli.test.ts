// The tracee-rs command as a script would use it: start, wait for the
// attached line, run a workload, stop, read the summary.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, until } from './helpers.js';

function startCli(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  return { child, out };
}

/** The CLI with stdout on /dev/full (every write: ENOSPC) while files are opened, until it exits. */
async function toFullDisk(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args, '-d', '3s'], { stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await until(() => stderr.includes('attached'), 10_000, 'the attached line');
  spawnSync('python3', ['-c', 'for _ in range(100): open("/dev/null").close()']);
  const [code] = await once(child, 'exit');
  return { code, stderr };
}

describe('tracee-rs CLI', () => {
  it('prints the attached line, JSON lines, and a summary on SIGTERM', async () => {
    const { child, out } = startCli(['--events', 'execve,sched_process_exec', '--output', 'json']);
    await until(() => out.stderr.includes('attached'), 10_000, 'the attached line');
    expect(out.stderr).toMatch(
      /^tracee-rs: attached to 6 hooks for 2 events \(execve,sched_process_exec\); syscalls: 2 per-syscall tracepoints; BTF: kernel \(\/sys\/kernel\/btf\/vmlinux\) \[case 3\]; via BPF ring buffer\n$/,
    );
    const t = spawnSync('/bin/true');
    await until(() => out.stdout.includes('"processName":"true"'), 10_000, 'the workload in the output');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);

    const events = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const exec = events.find((e) => e.eventName === 'sched_process_exec' && e.hostProcessId === t.pid);
    expect(exec).toMatchObject({ processName: 'true', eventId: '1003', hostParentProcessId: process.pid, syscall: '', containerId: '' });
    // Tracee's arguments in Tracee's order (those past the sixth only when captured: no env here), then ours
    expect(exec.args.slice(0, 2)).toEqual([
      { name: 'cmdpath', type: 'const char *', value: '/bin/true' },
      { name: 'pathname', type: 'const char *', value: realpathSync('/bin/true') },
    ]);
    expect(exec.args.map((a: { name: string }) => a.name)).toEqual([
      'cmdpath', 'pathname', 'dev', 'inode', 'ctime', 'inode_mode', 'interpreter_pathname', 'interpreter_dev', 'interpreter_inode', 'interpreter_ctime',
      'argv', 'interp', 'stdin_type', 'stdin_path', 'invoked_from_kernel', 'old_pid',
    ]);
    expect(exec.argsNum).toBe(16);
    // Tracee's fields, in Tracee's order
    expect(Object.keys(exec)).toEqual([
      'timestamp', 'threadStartTime', 'processorId', 'processId', 'cgroupId', 'threadId', 'parentProcessId',
      'hostProcessId', 'hostThreadId', 'hostParentProcessId', 'userId', 'mountNamespace', 'pidNamespace',
      'processName', 'hostName', 'containerId', 'container', 'kubernetes', 'eventId', 'eventName', 'matchedPolicies', 'argsNum', 'returnValue', 'syscall', 'args',
    ]);
    // on the host: Tracee's empty container and kubernetes objects
    expect([exec.container, exec.kubernetes]).toEqual([{}, {}]);
    const execve = events.find((e) => e.eventName === 'execve' && e.hostProcessId === t.pid);
    expect(execve).toMatchObject({ syscall: 'execve', eventId: '59', returnValue: 0 });
    // timestamps in ns since the epoch, written exactly (beyond 2^53)
    const line = out.stdout.split('\n').find((l) => l.includes('"sched_process_exec"') && l.includes(`"hostProcessId":${t.pid},`))!;
    const ns = BigInt(/^\{"timestamp":(\d+),/.exec(line)![1]);
    const now = BigInt(Date.now()) * 1_000_000n;
    expect(ns > now - 60_000_000_000n && ns <= now).toBe(true);
    const summary = /tracee-rs: (\d+) events seen, (\d+) lost, (\d+) printed\n$/.exec(out.stderr);
    expect(summary).not.toBeNull();
    expect(Number(summary![1])).toBe(events.length);
    expect(Number(summary![2])).toBe(0);
    expect(Number(summary![3])).toBe(events.length);
  });

  it('JSON into a reader that goes away (| head) stops the trace cleanly; a write error is one line and exit 1', async () => {
    // a stream of openat events (the CLI's own and python's) while head takes 3 lines and exits
    const head = spawn('bash', ['-c', `"$0" "$1" -e openat -o json | head -n 3; echo "cli exit \${PIPESTATUS[0]}" >&2`, process.execPath, CLI], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    head.stdout.on('data', (d) => (out.stdout += d));
    head.stderr.on('data', (d) => (out.stderr += d));
    await until(() => out.stderr.includes('attached'), 10_000, 'the attached line');
    const opener = spawn('python3', ['-c', 'import time\nfor i in range(200000):\n    open("/dev/null").close()\n    time.sleep(0.0001)']);
    await until(() => out.stderr.includes('cli exit'), 15_000, 'the CLI to exit after head did');
    opener.kill();
    expect(out.stdout.trim().split('\n').map((l) => JSON.parse(l).eventName)).toEqual(['openat', 'openat', 'openat']);
    expect(out.stderr).toMatch(/tracee-rs: \d+ events seen, 0 lost, \d+ printed\ncli exit 0\n$/);

    const full = await toFullDisk(['-e', 'openat', '-o', 'json']);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/tracee-rs: \d+ events seen, 0 lost, 0 printed\ntracee-rs: error: writing events to stdout failed: No space left on device \(os error 28\)\n$/);
  });

  it('a reader that takes no more: the first signal stops the trace, the second abandons the output (summary, one line, exit 1); a table to a full disk is one line too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracee-rs-stuck-'));
    const fifo = join(dir, 'out');
    execFileSync('mkfifo', [fifo]);
    // opens the pipe and never reads it
    const reader = spawn('sh', ['-c', 'exec 3<"$0"; sleep 60', fifo], { stdio: 'ignore' });
    const stdout = openSync(fifo, 'w');
    const child = spawn(process.execPath, [CLI, '-e', 'openat', '-o', 'json'], { stdio: ['ignore', stdout, 'pipe'] });
    closeSync(stdout);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    try {
      await until(() => stderr.includes('attached'), 10_000, 'the attached line');
      // far more than the pipe holds (1 MiB)
      spawnSync('python3', ['-c', 'for _ in range(20000): open("/dev/null").close()']);
      child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 1000));
      expect(child.exitCode).toBeNull();
      child.kill('SIGINT');
      const [code] = await once(child, 'exit');
      expect(code).toBe(1);
      // the poll thread waited on a full queue: its last batch was read from the kernel, counted, and never taken
      expect(stderr).toMatch(/tracee-rs: \d+ events seen, [1-9]\d* of them read from the kernel but not taken when the trace stopped, 0 lost, \d+ printed\ntracee-rs: error: stopped with output still pending: the reader of stdout took no more \(what it took is counted as printed\)\n$/);
    } finally {
      child.kill('SIGKILL');
      reader.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }

    const full = await toFullDisk(['-e', 'openat', '-o', 'table']);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/tracee-rs: \d+ events seen, 0 lost, 0 printed\ntracee-rs: error: writing events to stdout failed: ENOSPC: no space left on device, write\n$/);
  });

  it('decodes arguments and errors: JSON with --parse-arguments, and the table', async () => {
    const missing = `/tmp/tracee-rs-missing-${process.pid}`;
    const workload = ['-c', `import os\ntry: os.open(${JSON.stringify(missing)}, os.O_RDONLY | os.O_CLOEXEC)\nexcept OSError: pass`];
    for (const output of ['json', 'table'] as const) {
      const { child, out } = startCli(['--events', 'openat', '--output', output, '--parse-arguments']);
      await until(() => out.stderr.includes('attached'), 10_000, 'the attached line');
      spawnSync('python3', workload);
      await until(() => out.stdout.includes(missing), 10_000, 'the workload in the output');
      child.kill('SIGTERM');
      await once(child, 'exit');
      const line = out.stdout.split('\n').find((l) => l.includes(missing))!;
      if (output === 'json') {
        expect(JSON.parse(line)).toMatchObject({
          returnValue: -2,
          args: [
            { name: 'dirfd', value: 'AT_FDCWD' },
            { name: 'pathname', value: missing },
            { name: 'flags', value: 'O_RDONLY|O_CLOEXEC' },
            { name: 'mode', value: '0000' },
          ],
        });
      } else {
        expect(line).toMatch(/ -2 ENOENT +openat +dirfd: AT_FDCWD, pathname: "[^"]+", flags: O_RDONLY\|O_CLOEXEC, mode: 0000$/);
      }
    }
  });

  it('stops by itself after --duration, with an aligned table', async () => {
    const started = Date.now();
    const { child, out } = startCli(['-e', 'sched_process_exec', '-o', 'table', '-d', '1500ms']);
    await until(() => out.stderr.includes('attached'), 10_000, 'the attached line');
    // stdin /dev/null (Node's 'pipe' would be a socket pair)
    const t = spawnSync('/bin/true', { stdio: ['ignore', 'pipe', 'pipe'] });
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+UID\s+COMM\s+PID\s+TID\s+RET\s+EVENT\s+ARGS$/);
    const row = lines.find((l) => l.includes(` ${t.pid} `));
    expect(row).toBeDefined();
    // columns line up with the header
    expect(row!.indexOf('sched_process_exec')).toBe(lines[0].indexOf('EVENT'));
    expect(row).toContain('cmdpath: "/bin/true", pathname: "/usr/bin/true"');
    // file types by name, as Tracee parses stdin_type
    expect(row).toMatch(/ stdin_type: S_IFCHR, stdin_path: "\/dev\/null"/);
  });
});
