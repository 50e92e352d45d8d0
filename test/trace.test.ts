// The spine, end to end on the real kernel: kernel → Rust → napi → RxJS.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventById, trace, TraceSession, traceeJson, type TraceeEvent } from '@tracee/core';
import { arg, cgroup2Mount, hookSupport, nsId, until } from './helpers.js';

/** The method the loader must hook kernel function `fn` with here (fentry first), or undefined where neither attaches. */
function hookOf(fn: string): 'fentry' | 'kprobe' | undefined {
  const can = hookSupport([fn]);
  return can.fentry ? 'fentry' : can.kprobe ? 'kprobe' : undefined;
}

/** Subscribes, runs `work`, collects until `done`, unsubscribes. */
async function traceWhile(
  events: string[],
  work: () => Promise<number>,
  done: (seen: TraceeEvent[], pid: number) => boolean,
  options: { execEnv?: boolean } = {},
): Promise<{ seen: TraceeEvent[]; pid: number }> {
  const seen: TraceeEvent[] = [];
  let failure: unknown;
  let attached = false;
  const sub = trace({
    events,
    ...options,
    onAttach: (info, stats) => {
      attached = true;
      // a running trace explains its BTF in its stats too
      expect(stats()).toMatchObject({ btf: info.btf, decisionCase: info.decisionCase, transport: 'BPF ring buffer' });
    },
  }).subscribe({
    next: (e) => seen.push(e),
    error: (e) => (failure = e),
  });
  try {
    expect(failure).toBeUndefined();
    expect(attached).toBe(true);
    const pid = await work();
    await until(() => failure !== undefined || done(seen, pid), 10_000, 'the workload events');
    expect(failure).toBeUndefined();
    return { seen, pid };
  } finally {
    sub.unsubscribe();
  }
}

async function run(cmd: string, args: string[]): Promise<number> {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
  return child.pid!;
}

describe('trace()', () => {
  it('yields exactly the syscalls of a child that opens, writes 5 bytes and execs', async () => {
    const path = join(tmpdir(), `tracee-rs-test-${process.pid}-${Date.now()}`);
    const { seen, pid } = await traceWhile(
      ['openat', 'write', 'execve', 'sched_process_exec'],
      () => run('/bin/sh', ['-c', 'printf hello > "$1"; exec /bin/true', 'sh', path]),
      (seen, pid) => seen.some((e) => e.hostProcessId === pid && e.eventName === 'execve' && arg(e, 'pathname') === '/bin/true'),
    );
    expect(readFileSync(path, 'utf8')).toBe('hello');
    rmSync(path);
    const mine = seen.filter((e) => e.hostProcessId === pid);

    // the child was execve'd into /bin/sh by node's spawn, then into /bin/true
    const execs = mine.filter((e) => e.eventName === 'execve');
    expect(execs.map((e) => [arg(e, 'pathname'), e.returnValue])).toEqual([['/bin/sh', 0], ['/bin/true', 0]]);
    expect(execs[1].processName).toBe('true');
    // sched_process_exec: the name given, and the file that runs (links resolved)
    const schedExecs = mine.filter((e) => e.eventName === 'sched_process_exec');
    expect(schedExecs.map((e) => [arg(e, 'cmdpath'), arg(e, 'pathname')])).toEqual([
      ['/bin/sh', realpathSync('/bin/sh')],
      ['/bin/true', realpathSync('/bin/true')],
    ]);

    const opens = mine.filter((e) => e.eventName === 'openat' && arg(e, 'pathname') === path);
    expect(opens).toHaveLength(1);
    const [open] = opens;
    expect(arg(open, 'flags')).toBe(0o1 | 0o100 | 0o1000); // O_WRONLY|O_CREAT|O_TRUNC, as sh opens for '>'
    expect(arg(open, 'dirfd')).toBe(-100); // AT_FDCWD
    expect(open.returnValue).toBeGreaterThanOrEqual(0);
    expect(open.processName).toBe('sh');

    // Before its exec the child runs libuv's spawn code (comm "node"), which
    // writes one byte to a pipe of its parent; the workload is what sh does.
    const writes = mine.filter((e) => e.eventName === 'write' && e.processName === 'sh');
    expect(writes).toHaveLength(1);
    expect(arg(writes[0], 'fd')).toBe(1); // sh dup2'ed the file onto stdout
    expect(arg(writes[0], 'count')).toBe(5);
    expect(writes[0].returnValue).toBe(5);

    for (const e of mine) {
      expect(e.hostThreadId).toBe(pid);
      expect(e.hostParentProcessId).toBe(process.pid);
      expect(e.processId).toBe(pid); // same pid namespace as the host here
      expect(e.parentProcessId).toBe(process.pid);
      expect(e.userId).toBe(process.getuid!());
      expect(e.groupId).toBe(process.getgid!());
      expect(e.mountNamespace).toBe(nsId('mnt'));
      expect(e.pidNamespace).toBe(nsId('pid'));
      expect(e.timestamp).toBeGreaterThan(0);
      expect(e.truncated).toBe(false);
    }
    // the child's cgroup v2 (ours: "0::<path>" in /proc/self/cgroup, on a v2
    // or a hybrid host): the id is the inode of the cgroup's directory
    const cgroup = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))![1];
    for (const e of mine) expect(e.cgroupId).toBe(statSync(join(cgroup2Mount(), cgroup)).ino);
    // this process is excluded in the kernel
    expect(seen.some((e) => e.hostProcessId === process.pid)).toBe(false);
    // a thread's events arrive in the order its syscalls completed (each is
    // written at its exit, stamped with its entry: not timestamp order): the
    // open of the file, then the write into it, then the exec of /bin/true
    const at = (e: TraceeEvent | undefined) => mine.indexOf(e!);
    const order = [at(open), at(writes[0]), at(execs[1])];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('reports fork and exec with the right parent and child pids', async () => {
    const { seen, pid: shPid } = await traceWhile(
      ['sched_process_fork', 'sched_process_exec', 'sched_process_exit'],
      // ':' keeps sh from exec'ing its last command in place: it must fork
      () => run('/bin/sh', ['-c', '/bin/true; :']),
      (seen, sh) => seen.some((e) => e.eventName === 'sched_process_exit' && e.hostProcessId === sh),
    );
    const forks = seen.filter((e) => e.eventName === 'sched_process_fork' && e.hostProcessId === shPid);
    expect(forks).toHaveLength(1);
    const child = arg(forks[0], 'child_pid') as number;
    expect(arg(forks[0], 'child_tid')).toBe(child);
    expect(child).not.toBe(shPid);

    const exec = seen.find((e) => e.eventName === 'sched_process_exec' && e.hostProcessId === child)!;
    expect(exec).toBeDefined();
    expect([arg(exec, 'cmdpath'), arg(exec, 'pathname')]).toEqual(['/bin/true', realpathSync('/bin/true')]);
    expect(exec.hostParentProcessId).toBe(shPid);
    expect(exec.processName).toBe('true');

    const exits = seen.filter((e) => e.eventName === 'sched_process_exit' && [child, shPid].includes(e.hostProcessId));
    expect(exits.map((e) => [e.hostProcessId, arg(e, 'exit_code'), arg(e, 'process_group_exit')])).toEqual([
      // a bool, as Tracee writes it
      [child, 0, true],
      [shPid, 0, true],
    ]);
  });

  it('reports pids as seen in the task\'s own pid namespace, beside the host pids', async () => {
    // sh is pid 1 of a new pid namespace; the /bin/true it forks is pid 2
    const { seen } = await traceWhile(
      ['sched_process_exec'],
      () => run('unshare', ['--pid', '--fork', '/bin/sh', '-c', '/bin/true; :']),
      (seen) => seen.some((e) => e.processName === 'true' && e.processId === 2),
    );
    const exec = seen.find((e) => e.processName === 'true' && e.processId === 2)!;
    expect(exec).toMatchObject({ processId: 2, threadId: 2, parentProcessId: 1 });
    expect(exec.hostProcessId).not.toBe(2);
    expect(exec.hostParentProcessId).not.toBe(1);
    expect(exec.pidNamespace).not.toBe(nsId('pid'));
    expect(exec.mountNamespace).toBe(nsId('mnt'));
  });

  it('captures argv, up to 32 elements, and marks a longer one truncated', async () => {
    const short = ['one', 'two words', ''];
    const long = Array.from({ length: 40 }, (_, i) => `arg${i}`);
    const execOf = (seen: TraceeEvent[], pid: number) => seen.find((e) => e.eventName === 'execve' && e.hostProcessId === pid);
    for (const args of [short, long]) {
      const { seen, pid } = await traceWhile(['execve'], () => run('/bin/true', args), (s, p) => execOf(s, p) !== undefined);
      const e = execOf(seen, pid)!;
      const argv = arg(e, 'argv');
      expect(argv).toEqual(['/bin/true', ...args].slice(0, 32));
      expect(e.truncated).toBe(args === long);
      // envp stays an address unless asked for
      expect(arg(e, 'envp')).toMatch(/^0x[0-9a-f]+$/);
    }
    // asked for (Tracee's option:exec-env): the strings, as given
    const env = ['A=1', 'LD_PRELOAD=', 'B=two words'];
    const { seen, pid } = await traceWhile(['execve'], () => run('/usr/bin/env', ['-i', ...env, '/bin/true']), (s, p) => s.some((e) => e.hostProcessId === p && arg(e, 'pathname') === '/bin/true'), { execEnv: true });
    expect(arg(seen.find((e) => e.hostProcessId === pid && arg(e, 'pathname') === '/bin/true')!, 'envp')).toEqual(env);
  });

  it('security_file_open: the file opened, its absolute path from the kernel, through fentry where it runs, else kprobes, else (here) the open syscalls\' exit', async () => {
    const dir = join(tmpdir(), `trc-sfo-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(dir);
    const name = `trc-sfo-${process.pid}-file`;
    writeFileSync(join(dir, name), 'x');
    let info: { disabled: { events: string[]; reason: string }[]; programs: string[]; syscallHooks: string } | undefined;
    const seen: TraceeEvent[] = [];
    const sub = trace({ events: ['security_file_open', `openat.data.pathname=*trc-sfo-${process.pid}*`], onAttach: (i) => (info = i) }).subscribe((e) => seen.push(e));
    try {
      // a relative path: the event still has the whole one
      const pid = spawn('cat', [name], { cwd: dir, stdio: 'ignore' }).pid!;
      await until(() => seen.some((e) => e.eventName === 'openat' && e.hostProcessId === pid), 10_000, 'the openat');
      expect(info!.disabled).toEqual([]);
      // the hook this kernel must give, found without tracee-rs
      const hook = hookOf('security_file_open');
      expect(info!.programs.filter((p) => /^(fentry|kprobe)\//.test(p))).toEqual(hook ? [`${hook}/security_file_open`] : []);
      if (!hook) {
        // neither fentry nor kprobes on this kernel: from the open syscalls, and said why
        expect(info!.syscallHooks).toMatch(/security_file_open from the exit of open, openat, openat2, creat \(.*fentry.*; .*kprobe/);
        expect(info!.programs).toContain('tracepoint/syscalls/sys_exit_openat');
      }
      await until(() => seen.some((e) => e.eventName === 'security_file_open' && e.hostProcessId === pid), 10_000, 'security_file_open');
      const e = seen.find((x) => x.eventName === 'security_file_open' && x.hostProcessId === pid && arg(x, 'pathname') === join(dir, name))!;
      expect(arg(e, 'inode')).toBe(statSync(join(dir, name)).ino);
      expect((arg(e, 'flags') as number) & 3).toBe(0); // O_RDONLY
      expect(e.syscall).toBe(257);
    } finally {
      sub.unsubscribe();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('security_inode_rename: both names absolute, through fentry where it runs, else kprobes, else (here) made at the rename syscalls\' exit from the directory the kernel used', async () => {
    const dir = join(realpathSync(tmpdir()), `trc-sir-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    const { mkdirSync, writeFileSync, symlinkSync } = await import('node:fs');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    for (const f of ['a', 'c', 'sub/e', 'sub/g']) writeFileSync(join(dir, f), 'x');
    symlinkSync(join(dir, 'sub'), join(dir, 'link'));
    // rename (relative, absolute, ".." as given), renameat (dirfds), renameat2
    // (RENAME_NOREPLACE, by its number: x86_64's 316), one from a cwd reached by a symlink
    const script = `
import ctypes, os, sys
d = sys.argv[1]
os.chdir(d)
os.rename("a", "b")
os.rename(d + "/b", d + "/sub/b")
sub = os.open(d + "/sub", os.O_RDONLY)
os.rename("c", "../c2", src_dir_fd=os.open(d, os.O_RDONLY), dst_dir_fd=sub)
libc = ctypes.CDLL(None, use_errno=True)
assert libc.syscall(316, sub, b"e", -100, b"sub/../f", 1) == 0
os.chdir(d + "/link")
os.rename("g", "h")
`;
    let info: { programs: string[]; syscallHooks: string } | undefined;
    const seen: TraceeEvent[] = [];
    const sub = trace({ events: ['security_inode_rename'], onAttach: (i) => (info = i) }).subscribe((e) => seen.push(e));
    try {
      const pid = await run('python3', ['-c', script, dir]);
      const mine = () => seen.filter((e) => e.hostProcessId === pid);
      await until(() => mine().length === 5, 10_000, 'five renames');
      // the hook this kernel must give, found without tracee-rs
      const hook = hookOf('security_inode_rename');
      expect(info!.programs.filter((p) => /^(fentry|kprobe)\//.test(p))).toEqual(hook ? [`${hook}/security_inode_rename`] : []);
      if (!hook) {
        expect(info!.syscallHooks).toMatch(/security_inode_rename from the exit of rename, renameat, renameat2 \(.*fentry.*; .*kprobe/);
        // the directory walked, then the name as given: "." and ".." are kept
        expect(mine().map((e) => [e.syscall, arg(e, 'old_path'), arg(e, 'new_path'), e.truncated])).toEqual([
          [82, `${dir}/a`, `${dir}/b`, false],
          [82, `${dir}/b`, `${dir}/sub/b`, false],
          [264, `${dir}/c`, `${dir}/sub/../c2`, false],
          [316, `${dir}/sub/e`, `${dir}/sub/../f`, false],
          [82, `${dir}/sub/g`, `${dir}/sub/h`, false],
        ]);
      }
      // the kernel's filter on the derived event's path (a process of its own: the first trace's events are in)
      const only: TraceeEvent[] = [];
      const sub2 = trace({ events: [`security_inode_rename.data.new_path=${dir}/sub/h`] }).subscribe((e) => only.push(e));
      try {
        const pid2 = await run('python3', ['-c', script.replace('os.chdir(d)', 'os.chdir(d); [os.rename(*p) for p in (("sub/b", "a"), ("c2", "c"), ("f", "sub/e"), ("sub/h", "sub/g"))]'), dir]);
        await until(() => only.some((e) => e.hostProcessId === pid2), 10_000, 'the filtered rename');
        await new Promise((r) => setTimeout(r, 200));
        expect(only.filter((e) => e.hostProcessId === pid2).map((e) => arg(e, 'new_path'))).toEqual([`${dir}/sub/h`]);
      } finally {
        sub2.unsubscribe();
      }
    } finally {
      sub.unsubscribe();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('magic_write and mem_prot_alert (derived in the kernel): absolute paths across mounts, a memfd by name, a path of more than 32 components cut and flagged', async () => {
    const dir = join(tmpdir(), `trc-derived-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    const deep = join(dir, ...Array.from({ length: 40 }, (_, i) => `d${i}`));
    // where the filesystem holding it is mounted
    const top = spawnSync('findmnt', ['-n', '-o', 'TARGET', '-T', tmpdir()], { encoding: 'utf8' }).stdout.trim();
    // in a private mount namespace: a tmpfs on `mnt` (the path crosses it),
    // files written at offset 0 and later, a file mapped W+X, a memfd
    const script = `
import mmap, os, sys
d, deep = sys.argv[1], sys.argv[2]
os.makedirs(d + "/mnt"); os.makedirs(deep)
os.system("mount -t tmpfs none " + d + "/mnt")
def write(path, *chunks):
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
    for c in chunks: os.write(fd, c)
    os.close(fd)
write(d + "/mnt/first", b"first bytes")
write(d + "/mnt/later", b"", b"")  # nothing written: no event
fd = os.open(d + "/mnt/later", os.O_WRONLY); os.lseek(fd, 10, 0); os.write(fd, b"at 10"); os.close(fd)
write(deep + "/f", b"deep")
fd = os.memfd_create("trc-mem", 0); os.write(fd, b"in memory")
f = open(d + "/mnt/first", "r+b")
m = mmap.mmap(f.fileno(), 11, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
m.close(); f.close()
`;
    const seen: TraceeEvent[] = [];
    const sub = trace({ events: ['magic_write', 'mem_prot_alert'] }).subscribe((e) => seen.push(e));
    try {
      const pid = await run('unshare', ['-m', '--propagation', 'private', 'python3', '-c', script, dir, deep]);
      await until(() => seen.some((e) => e.hostProcessId === pid && e.eventName === 'mem_prot_alert'), 10_000, 'the W+X mapping');
      const mine = seen.filter((e) => e.hostProcessId === pid);
      const writes = mine.filter((e) => e.eventName === 'magic_write').map((e) => [arg(e, 'pathname'), Buffer.from(arg(e, 'bytes') as number[]).toString(), e.truncated]);
      expect(writes).toEqual([
        [`${dir}/mnt/first`, 'first bytes', false],
        // past 32 components: the file and the last 23 of 40 directories, and
        // above them, "…" for the rest of the filesystem and where it is mounted
        [`${top === '/' ? '' : top}/…/${Array.from({ length: 23 }, (_, i) => `d${i + 17}`).join('/')}/f`, 'deep', true],
        ['memfd:trc-mem', 'in memory', false],
      ]);
      const alert = mine.find((e) => e.eventName === 'mem_prot_alert')!;
      expect([arg(alert, 'alert'), arg(alert, 'pathname'), arg(alert, 'len'), arg(alert, 'prot')]).toEqual([1, `${dir}/mnt/first`, 11, 7]);
    } finally {
      sub.unsubscribe();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['per-syscall', ['tracepoint/syscalls/sys_enter_mprotect', 'tracepoint/syscalls/sys_enter_pkey_mprotect']],
    ['raw', ['raw_tracepoint/sys_enter']],
  ])('mem_prot_alert 4 (W+X to X) from the mapping\'s flags before the mprotect (%s hooks): a page of it, pkey_mprotect, moved by mremap, made W+X before the trace; not W to X, nor W+X to W', async (syscallHooks, entries) => {
    // one process: an rwx mapping made before the trace starts, the rest after
    const script = `
import ctypes, mmap, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.syscall.restype = ctypes.c_long
P = 4096
R, W, X = mmap.PROT_READ, mmap.PROT_WRITE, mmap.PROT_EXEC
anon = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
early = libc.mmap(None, P, R | W | X, anon, -1, 0)
print(early, flush=True); sys.stdin.readline()
assert libc.mprotect(early, P, R | X) == 0
a = libc.mmap(None, 3 * P, R | W | X, anon, -1, 0)
assert libc.mprotect(a + P, P, R | X) == 0                                                  # a page of it
assert libc.syscall(329, ctypes.c_void_p(a + 2 * P), ctypes.c_size_t(P), R | X, -1) == 0    # SYS_pkey_mprotect
to = libc.mmap(None, P, 0, anon, -1, 0)
assert libc.syscall(25, ctypes.c_void_p(a), ctypes.c_size_t(P), ctypes.c_size_t(P), 3, ctypes.c_void_p(to)) == to  # SYS_mremap, MAYMOVE|FIXED
assert libc.mprotect(to, P, R | X) == 0
b = libc.mmap(None, P, R | W, anon, -1, 0)
assert libc.mprotect(b, P, R | X) == 0                                                      # W to X: never W+X
c = libc.mmap(None, P, R | W | X, anon, -1, 0)
assert libc.mprotect(c, P, R | W) == 0                                                      # W+X to W
print(a, to, b, c, flush=True)
`;
    const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await until(() => out.includes('\n'), 10_000, 'the early mapping');
    const seen: TraceeEvent[] = [];
    let programs: string[] = [];
    const sub = trace({ events: ['mem_prot_alert'], syscallHooks: syscallHooks as 'per-syscall' | 'raw', onAttach: (info) => (programs = info.programs) }).subscribe((e) => seen.push(e));
    try {
      // attached when subscribe returns; the mprotects' entries too (bpf_find_vma runs here)
      expect(programs).toEqual(expect.arrayContaining(entries));
      // addresses as the event shows a pointer
      const hex = (n: string) => `0x${BigInt(n).toString(16)}`;
      const early = hex(out.split('\n')[0]);
      child.stdin!.write('\n');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      const [a, to, , c] = out.split('\n')[1].split(' ');
      const page = (n: number) => hex(String(BigInt(a) + BigInt(n * 4096)));
      // the last alert the process makes (c's mmap, one page: c may be where
      // a's first page was before mremap moved it, and a's mmap was three):
      // the ones before it are then delivered too
      await until(
        () => seen.some((e) => e.hostProcessId === child.pid && arg(e, 'addr') === hex(c) && arg(e, 'alert') === 1 && arg(e, 'len') === 4096),
        10_000,
        'the last W+X mapping',
      );
      const mine = seen.filter((e) => e.hostProcessId === child.pid);
      // all of them: none for b (W to X) nor c's mprotect (W+X to W)
      expect(mine.map((e) => [eventById(e.syscall)?.name, arg(e, 'alert'), arg(e, 'addr'), arg(e, 'len'), arg(e, 'prot')])).toEqual([
        ['mprotect', 4, early, 4096, 5],
        ['mmap', 1, page(0), 3 * 4096, 7],
        ['mprotect', 4, page(1), 4096, 5],
        ['pkey_mprotect', 4, page(2), 4096, 5],
        ['mprotect', 4, hex(to), 4096, 5],
        ['mmap', 1, hex(c), 4096, 7],
      ]);
    } finally {
      sub.unsubscribe();
      child.kill();
    }
  });

  it('fails with a clear error for an unknown event, before attaching anything', async () => {
    const err = await new Promise<Error & { code?: string }>((resolve) =>
      trace({ events: ['opnat'] }).subscribe({ error: resolve }),
    );
    expect(err.code).toBe('EUNKNOWNEVENT');
    expect(err.message).toMatch(/unknown event 'opnat'; did you mean openat/);
  });

  it('TraceSession.nextWithJson: each event with its line of Tracee\'s JSON, the text traceeJson makes of it; refused where signatures run', async () => {
    const signed = TraceSession.start({ events: ['anti_debugging'] });
    try {
      expect(signed.hasSignatures).toBe(true);
      await expect(signed.nextWithJson()).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/read the events with next\(\)/) });
    } finally {
      signed.stop();
    }
    const session = TraceSession.start({ events: ['openat', 'getppid'] });
    try {
      const marker = join(tmpdir(), `tracee-rs-nextwithjson-${process.pid}`);
      spawnSync('python3', ['-c', `import os\nfor _ in range(50): os.getppid(); os.close(os.open(${JSON.stringify(marker)}, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))`]);
      rmSync(marker, { force: true });
      const got: TraceeEvent[] = [];
      const lines: string[] = [];
      const opens = () => got.filter((e) => e.eventName === 'openat' && arg(e, 'pathname') === marker).length;
      while (opens() < 50) {
        const batch = await session.nextWithJson({ parseArguments: true });
        expect(batch).not.toBeNull();
        expect(batch!.lines.length).toBe(batch!.events.length);
        got.push(...batch!.events);
        lines.push(...batch!.lines);
      }
      expect(got.filter((e) => e.eventName === 'getppid').length).toBeGreaterThanOrEqual(50);
      // parsed arguments: the flags by name
      expect(lines.some((l) => l.includes('O_RDONLY|O_CREAT|O_CLOEXEC'))).toBe(true);
      got.forEach((e, i) => expect(lines[i]).toBe(traceeJson(e, { parseArguments: true })));
      session.stop();
      // drained, then null as next()'s
      while ((await session.nextWithJson()) !== null);
    } finally {
      session.stop();
    }
  });

  it('TraceSession.writeJson: one reader per trace, a file descriptor that is a whole number; the events written, then the trace stopped', async () => {
    const session = TraceSession.start({ events: ['getppid'] });
    const file = join(tmpdir(), `tracee-rs-writejson-${process.pid}.json`);
    const fd = openSync(file, 'w');
    try {
      await expect(session.writeJson(1.5)).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/fd must be an open file descriptor/) });
      const writing = session.writeJson(fd);
      await expect(session.writeJson(fd)).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/cannot run beside writeJson\(\)/) });
      await expect(session.next()).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/each batch is taken once/) });
      spawnSync('python3', ['-c', 'import os\nfor _ in range(100): os.getppid()']);
      await until(() => session.written >= 100, 10_000, 'the getppid events written');
      session.stop();
      const { written, readerGone } = await writing;
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(readerGone).toBe(false);
      expect(lines.length).toBe(written);
      expect(lines.every((l) => JSON.parse(l).eventName === 'getppid')).toBe(true);
    } finally {
      session.stop();
      closeSync(fd);
      rmSync(file, { force: true });
    }
  });
});

