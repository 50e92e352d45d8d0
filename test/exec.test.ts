// Every exec seen whole, on the real kernel: execve and execveat however
// they are called (a dirfd, AT_EMPTY_PATH on a file and on a memfd, from a
// thread other than the leader), successful or failed, with what they were
// given, even when those strings sit in pages the program never touched;
// and sched_process_exec in Tracee's shape, naming the file that runs.
// Each case is a small program (test/fixtures/c/exec-cases.c), run under
// both ways of hooking syscalls.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trace, traceeJson, type TraceeEvent } from '@tracee/core';
import { arg, buildExecCases, until } from './helpers.js';

const DIR = `/tmp/trc-exec-${process.pid}`;
/** exec-cases' script case: its path is a literal of the program's */
const SCRIPT = '/tmp/tracee-rs-untouched.sh';
let EXEC = '';
const TRUE = realpathSync('/bin/true');
const LD_SO = realpathSync('/lib64/ld-linux-x86-64.so.2');
/** The kernel's s_dev of a file (MKDEV: major << 20 | minor), as the events carry it. */
function kdev(path: string): number {
  const dev = statSync(path).dev;
  return (Math.floor(dev / 256) % 4096) * 2 ** 20 + (dev & 0xff) + ((dev >> 12) & 0xfff00);
}
const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const EFAULT = 14;
const EBADF = 9;

/** Runs exec-cases in `mode`; its pid and what it printed (addresses). */
async function run(mode: string): Promise<{ pid: number; out: string }> {
  const child = spawn(EXEC, [mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await once(child, 'close');
  return { pid: child.pid!, out: out.trim() };
}

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  EXEC = buildExecCases(DIR);
  // a script with an interpreter argument: its handler puts three elements before the script's own
  writeFileSync(SCRIPT, '#!/bin/sh -e\nexit 0\n');
  chmodSync(SCRIPT, 0o755);
});
afterAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  rmSync(SCRIPT, { force: true });
});

describe.each(['per-syscall', 'raw'] as const)('exec, syscalls hooked %s', (syscallHooks) => {
  const seen: TraceeEvent[] = [];
  let failure: unknown;
  let sub: { unsubscribe(): void } | undefined;
  beforeAll(() => {
    sub = trace({ events: ['execve', 'execveat', 'sched_process_exec'], syscallHooks }).subscribe({ next: (e) => seen.push(e), error: (e) => (failure = e) });
  });
  afterAll(() => sub?.unsubscribe());

  /** The events of pid once `done` holds for them (the exec'd program's, after exec-cases' own). */
  async function eventsOf(pid: number, done: (mine: TraceeEvent[]) => boolean): Promise<TraceeEvent[]> {
    const mine = () => seen.filter((e) => e.hostProcessId === pid && !(e.eventName === 'execve' && arg(e, 'pathname') === EXEC) && !(e.eventName === 'sched_process_exec' && arg(e, 'cmdpath') === EXEC));
    await until(() => failure !== undefined || done(mine()), 10_000, `the events of pid ${pid}`);
    expect(failure).toBeUndefined();
    return mine();
  }
  const named = (name: string) => (e: TraceeEvent) => e.eventName === name;
  const pick = (events: TraceeEvent[], name: string) => {
    const found = events.filter(named(name));
    expect(found, `${name} events: ${JSON.stringify(events.map((e) => e.eventName))}`).toHaveLength(1);
    return found[0];
  };
  const args = (e: TraceeEvent) => Object.fromEntries(e.args.map((a) => [a.name, a.value]));
  const both = (events: TraceeEvent[]) => events.some(named('sched_process_exec')) && events.some((e) => e.eventName === 'execve' || e.eventName === 'execveat');

  it('execveat(AT_FDCWD, "/bin/true"): reported, as given, and the file that runs', async () => {
    const { pid } = await run('execveat-fdcwd');
    const events = await eventsOf(pid, both);
    const at = pick(events, 'execveat');
    expect(at.returnValue).toBe(0);
    expect(args(at)).toMatchObject({ dirfd: AT_FDCWD, pathname: '/bin/true', argv: ['true', 'execveat-fdcwd'], flags: 0 });
    expect([at.hostProcessId, at.hostThreadId, at.processName]).toEqual([pid, pid, 'true']);
    // nothing cut, nothing unreadable: JSON says neither
    expect(JSON.parse(traceeJson(at))).not.toHaveProperty('truncated');
    expect(JSON.parse(traceeJson(at))).not.toHaveProperty('unreadable');
    const exec = pick(events, 'sched_process_exec');
    expect(args(exec)).toMatchObject({ cmdpath: '/bin/true', pathname: TRUE, inode: statSync(TRUE).ino, dev: kdev(TRUE), argv: ['true', 'execveat-fdcwd'], interp: '/bin/true', old_pid: pid });
  });

  it('execveat(dirfd, "true"): the relative name as given; sched_process_exec names the kernel\'s /dev/fd/N/true and the real file', async () => {
    const { pid } = await run('execveat-dirfd');
    const events = await eventsOf(pid, both);
    const at = args(pick(events, 'execveat'));
    expect(at).toMatchObject({ pathname: 'true', argv: ['true', 'execveat-dirfd'], flags: 0 });
    expect(at.dirfd).toBeGreaterThanOrEqual(3);
    expect(args(pick(events, 'sched_process_exec'))).toMatchObject({ cmdpath: `/dev/fd/${at.dirfd}/true`, pathname: TRUE });
  });

  it('execveat(fd, "", AT_EMPTY_PATH) of a file, and fexecve (the same call from glibc)', async () => {
    for (const mode of ['execveat-empty-path', 'fexecve']) {
      const { pid } = await run(mode);
      const events = await eventsOf(pid, both);
      const at = args(pick(events, 'execveat'));
      expect(at).toMatchObject({ pathname: '', argv: ['true', mode], flags: AT_EMPTY_PATH });
      expect(args(pick(events, 'sched_process_exec'))).toMatchObject({ cmdpath: `/dev/fd/${at.dirfd}`, pathname: TRUE, inode: statSync(TRUE).ino });
    }
  });

  it('execveat of a memfd: the file that runs is memfd:payload, its interpreter the loader', async () => {
    const { pid } = await run('execveat-memfd');
    const events = await eventsOf(pid, both);
    const at = args(pick(events, 'execveat'));
    expect(at).toMatchObject({ pathname: '', argv: ['true', 'execveat-memfd'], flags: AT_EMPTY_PATH });
    const exec = args(pick(events, 'sched_process_exec'));
    expect(exec).toMatchObject({ cmdpath: `/dev/fd/${at.dirfd}`, pathname: 'memfd:payload', interpreter_pathname: LD_SO, interpreter_inode: statSync(LD_SO).ino, interpreter_dev: kdev(LD_SO) });
    expect(exec.inode_mode).toBe(0o100777); // a memfd is a regular file, mode 0777
  });

  it('a failed execveat (EBADF): reported with its arguments, and no sched_process_exec', async () => {
    const { pid } = await run('execveat-ebadf');
    const events = await eventsOf(pid, (mine) => mine.some(named('execveat')));
    const at = pick(events, 'execveat');
    expect(at.returnValue).toBe(-EBADF);
    expect(args(at)).toMatchObject({ dirfd: -1, pathname: 'true', argv: ['true', 'execveat-ebadf'] });
    expect(events.filter(named('sched_process_exec'))).toEqual([]);
  });

  it('exec from a thread other than the leader: execve reported, pid = tid = the leader; sched_process_exec has the thread as old_pid', async () => {
    const { pid } = await run('thread');
    const events = await eventsOf(pid, both);
    const execve = pick(events, 'execve');
    expect([execve.hostProcessId, execve.hostThreadId, execve.returnValue]).toEqual([pid, pid, 0]);
    expect(args(execve)).toMatchObject({ pathname: '/bin/true', argv: ['true', 'from-thread'] });
    const exec = args(pick(events, 'sched_process_exec'));
    expect(exec.old_pid).not.toBe(pid);
    expect(exec.old_pid).toBeGreaterThan(pid);
  });

  it("execl of literals in pages the program never touched: pathname and argv exact, from the kernel's copy", async () => {
    const { pid } = await run('untouched');
    const events = await eventsOf(pid, both);
    const execve = pick(events, 'execve');
    expect(args(execve)).toMatchObject({ pathname: '/bin/echo', argv: ['echo', 'literal-arg-one', 'literal-arg-two'] });
    expect(execve.unreadable).toEqual([]);
    expect(args(pick(events, 'sched_process_exec'))).toMatchObject({ cmdpath: '/bin/echo', argv: ['echo', 'literal-arg-one', 'literal-arg-two'] });
  });

  it("a #! script: execve as given (argv[0], which the interpreter replaces, unreadable and said so); sched_process_exec runs the interpreter", async () => {
    const { pid, out } = await run('untouched-script');
    const events = await eventsOf(pid, both);
    const execve = pick(events, 'execve');
    // argv[0] was in an untouched page at entry and is nowhere in the new program: its address
    expect(args(execve)).toMatchObject({ pathname: SCRIPT, argv: [`0x${BigInt(out).toString(16)}`, 'literal-arg-one'] });
    expect(execve.unreadable).toEqual(['argv[0]']);
    const sh = realpathSync('/bin/sh');
    expect(args(pick(events, 'sched_process_exec'))).toMatchObject({
      cmdpath: SCRIPT,
      pathname: sh,
      inode: statSync(sh).ino,
      interp: '/bin/sh',
      argv: ['/bin/sh', '-e', SCRIPT, 'literal-arg-one'],
      interpreter_pathname: LD_SO,
    });
  });

  it('an argv array that cannot be read: its address, said so; an empty one: []', async () => {
    const bad = await run('argv-unreadable');
    const [e] = (await eventsOf(bad.pid, (mine) => mine.some(named('execve')))).filter(named('execve'));
    expect([e.returnValue, arg(e, 'argv'), e.unreadable]).toEqual([-EFAULT, '0x8', ['argv']]);
    const empty = await run('argv-empty');
    const events = await eventsOf(empty.pid, both);
    const execve = pick(events, 'execve');
    expect([execve.returnValue, arg(execve, 'argv'), execve.unreadable]).toEqual([0, [], []]);
  });

  it('an argv element longer than the kernel side copies: cut and flagged, in the event and its JSON', async () => {
    const { pid } = await run('long-arg');
    const events = await eventsOf(pid, both);
    const execve = pick(events, 'execve');
    const argv = arg(execve, 'argv') as string[];
    expect(argv[0]).toBe('true');
    expect(argv[1]).toBe('x'.repeat(4095));
    expect(execve.truncated).toBe(true);
    expect(JSON.parse(traceeJson(execve)).truncated).toBe(true);
    // the new program's argv, from its stack: the same
    const exec = pick(events, 'sched_process_exec');
    expect([arg(exec, 'argv'), exec.truncated]).toEqual([argv, true]);
  });

  it("ctime is the file's, in ns, also once the file's ctime was queried (the kernel keeps a flag in its top bit, 6.13+)", async () => {
    const ctimeNs = statSync(TRUE, { bigint: true }).ctimeNs; // queried: the flag set
    const { pid } = await run('execveat-fdcwd');
    const exec = pick(await eventsOf(pid, both), 'sched_process_exec');
    expect(Math.abs((arg(exec, 'ctime') as number) - Number(ctimeNs))).toBeLessThan(1024);
  });

  it('memory the kernel could not read either (EFAULT): its address, and the event says which argument', async () => {
    const { pid, out } = await run('efault');
    const events = await eventsOf(pid, (mine) => mine.filter(named('execve')).length === 2);
    const page = `0x${BigInt(out).toString(16)}`;
    const [first, second] = events.filter(named('execve'));
    expect([first.returnValue, second.returnValue]).toEqual([-EFAULT, -EFAULT]);
    expect(args(first)).toMatchObject({ pathname: '/bin/true', argv: ['true', page] });
    expect(first.unreadable).toEqual(['argv[1]']);
    expect(args(second)).toMatchObject({ pathname: page, argv: ['true', 'efault'] });
    expect(second.unreadable).toEqual(['pathname']);
  });

  it('sched_process_exec of a static program has no interpreter fields, as in Tracee; stdin a pipe, a socket', async () => {
    // a pipe from the shell (pipe(2)), and Node's stdio pipe (a socketpair)
    const sh = spawn('/bin/sh', ['-c', 'echo | /bin/busybox true'], { stdio: 'ignore' });
    await once(sh, 'close');
    const node = spawn('/bin/busybox', ['true'], { stdio: ['pipe', 'ignore', 'ignore'] });
    node.stdin!.end();
    await once(node, 'close');
    const busybox = (ppid: number) => seen.find((e) => e.eventName === 'sched_process_exec' && arg(e, 'cmdpath') === '/bin/busybox' && e.hostParentProcessId === ppid);
    await until(() => failure !== undefined || (busybox(sh.pid!) !== undefined && busybox(process.pid) !== undefined), 10_000, 'the execs of busybox');
    const [fromSh, fromNode] = [busybox(sh.pid!)!, busybox(process.pid)!];
    expect(fromSh.args.map((a) => a.name)).not.toContain('interpreter_pathname');
    expect(args(fromSh)).toMatchObject({ pathname: realpathSync('/bin/busybox'), argv: ['/bin/busybox', 'true'], stdin_type: 0o010000 /* S_IFIFO */, invoked_from_kernel: 0 });
    // named as /proc/<pid>/fd names them
    expect(arg(fromSh, 'stdin_path')).toMatch(/^pipe:\[\d+\]$/);
    expect(arg(fromNode, 'stdin_type')).toBe(0o140000 /* S_IFSOCK */);
    expect(arg(fromNode, 'stdin_path')).toMatch(/^socket:\[\d+\]$/);
  });
});
