// strace as the oracle: real programs run once under `strace -f`, and that
// one execution is traced by tracee-rs at the same time (every syscall),
// so both see the same threads, fds, addresses and return values and any
// difference is a difference of the tracers, not of two runs (ASLR, pids
// and fd numbers would differ between runs). Per thread, the sequences of
// syscall names must be equal, and for the common syscalls the decoded
// arguments and return values too, with the exceptions listed below.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONSTANTS, decodedArgs, decodeValue, TraceSession, type Timespec, type TraceeEvent } from '@tracee/core';

const tmp = mkdtempSync(join(tmpdir(), 'tracee-rs-strace-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// What tracee-rs does not (yet) capture, or strace shows differently; each
// is skipped in the comparison of arguments (argPairs), never in that of names:
//   envp is kept an address by default (large, rarely wanted; argv is captured)
//   execve: envp
//   read's buffer holds data, captured as length only (by design)
//   read: the buffer
//   write: the buffer
//   struct clone_args is captured as its address
//   clone3: the struct
//   sendto's and recvfrom's buffers hold data: kept as an address (strace shows the data)
//   sendto: the buffer
//   recvfrom: the buffer; the addrlen pointer where the address does not determine its length (see addrlenPair)
//   the in/out addrlen (strace's [in => out]): we keep the pointer as an
//   address, and have the length only as the captured address's own bytes
//   accept: the addrlen pointer where the address does not determine its length (see addrlenPair)
//   accept4: the addrlen pointer where the address does not determine its length (see addrlenPair)
//   getsockname: the addrlen pointer where the address does not determine its length (see addrlenPair)
//   getpeername: the addrlen pointer where the address does not determine its length (see addrlenPair)

const errno = new Map<string, number>(CONSTANTS.errno.map(([n, v]) => [n, v]));

interface Call {
  name: string;
  args: string[];
  /** The return value as a number (errors as -errno), undefined for `?`. */
  ret?: number;
}

/** Splits strace's argument text at top-level commas (strings, [], {}, () and comments kept whole). */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      cur += text.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const j = text.indexOf('*/', i);
      i = j < 0 ? text.length : j + 1;
      continue;
    }
    if ('[{('.includes(c)) depth++;
    if (']})'.includes(c)) depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** strace's `"..."` (C escapes) to the string; `"..."...` (cut) keeps the prefix. */
function unquote(s: string): string {
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(s);
  if (!m) return s;
  return m[1].replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return { n: '\n', t: '\t', r: '\r', v: '\v', f: '\f' }[e] ?? e;
  });
}

/** `strace -f -o FILE` output, per thread id, unfinished/resumed pairs joined. */
function parseStrace(text: string): Map<number, Call[]> {
  const threads = new Map<number, Call[]>();
  const pending = new Map<number, string>();
  for (const raw of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(raw);
    if (!m) continue;
    const tid = Number(m[1]);
    let line = m[2];
    if (line.startsWith('---') || line.startsWith('+++')) continue;
    if (line.endsWith('<unfinished ...>')) {
      pending.set(tid, line.slice(0, -'<unfinished ...>'.length));
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (resumed) {
      line = (pending.get(tid) ?? '') + resumed[1];
      pending.delete(tid);
    }
    const call = /^(\w+)\((.*)\)\s+= (.*)$/.exec(line);
    if (!call) throw new Error(`unparsed strace line: ${raw}`);
    const [, name, args, result] = call;
    let ret: number | undefined;
    const err = /^-1 (E[A-Z0-9]+)/.exec(result);
    if (err) ret = -(errno.get(err[1]) ?? NaN);
    else if (/^0x[0-9a-f]+/.test(result)) ret = Number(BigInt(/^0x[0-9a-f]+/.exec(result)![0]));
    else if (/^-?\d+/.test(result)) ret = Number(/^-?\d+/.exec(result)![0]);
    if (!threads.has(tid)) threads.set(tid, []);
    threads.get(tid)!.push({ name, args: splitArgs(args), ret });
  }
  return threads;
}

/** A set of `A|B|C` names, order aside. */
const flagSet = (s: string) => [...new Set(s.split('|'))].sort().join('|');
/** A number as either side prints it (decimal, 0x… hex, strace's NULL), in decimal. */
function num(v: unknown): string {
  const s = String(v);
  if (s === 'NULL') return '0';
  if (/^0x[0-9a-f]+$/i.test(s)) return BigInt(s).toString();
  if (/^-0x[0-9a-f]+$/i.test(s)) return (-BigInt(s.slice(1))).toString();
  return s;
}

/** strace's quoted bytes (`"\0\1ab"`) as lowercase hex, as our decoder prints sa_data. */
const quotedHex = (q: string) => Buffer.from(unquote(q), 'latin1').toString('hex');

/** An interface's index, as strace's `if_nametoindex("lo")` stands for it. */
const ifIndex = (name: string) => readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim();

/**
 * strace's struct sockaddr, every field it prints, as one normalized text:
 * - not a struct (NULL, or an address strace did not decode: a failed call's,
 *   an out-address of length 0): `ptr N`;
 * - AF_UNIX: `AF_UNIX` alone (unnamed), `AF_UNIX path=P` (P unquoted, its
 *   bytes as UTF-8 like our decoder), or `AF_UNIX abstract=@T` (T the text
 *   inside strace's `@"..."`, kept quoted: our decoder quotes as strace does);
 * - AF_INET: `AF_INET port addr`;
 * - AF_INET6: `AF_INET6 port flowinfo addr scope` (scope as a number: strace
 *   prints `sin6_scope_id=if_nametoindex("lo")` for an interface's index);
 * - AF_NETLINK: `AF_NETLINK pid groups`, groups as a number (strace prints
 *   printf's `%#08x`: `00000000`, but `0x000011`; we print 8 hex digits);
 * - anything else strace shows as `sa_data="..."` (AF_UNSPEC, a family it
 *   does not know, or one with too few bytes): `FAMILY sa_data=HEX`.
 * A form not listed stays as printed, so that it differs (and shows).
 */
function straceSockaddr(s: string): string {
  if (!s.startsWith('{')) return `ptr ${num(s)}`;
  const family = /sa_family=(\w+)/.exec(s)?.[1];
  const field = (re: RegExp) => re.exec(s)?.[1];
  const data = field(/sa_data=("(?:[^"\\]|\\.)*")/);
  if (data !== undefined) return `${family} sa_data=${quotedHex(data)}`;
  switch (family) {
    case 'AF_UNIX': {
      const abstract = field(/sun_path=@"((?:[^"\\]|\\.)*)"/);
      if (abstract !== undefined) return `AF_UNIX abstract=@${abstract}`;
      const path = field(/sun_path=("(?:[^"\\]|\\.)*")/);
      return path === undefined ? 'AF_UNIX' : `AF_UNIX path=${Buffer.from(unquote(path), 'latin1').toString('utf8')}`;
    }
    case 'AF_INET':
      return `AF_INET ${field(/sin_port=htons\((\d+)\)/)} ${field(/sin_addr=inet_addr\("([^"]+)"\)/)}`;
    case 'AF_INET6': {
      const scope = field(/sin6_scope_id=(\d+)/) ?? ifIndex(field(/sin6_scope_id=if_nametoindex\("([^"]+)"\)/) ?? '?');
      return `AF_INET6 ${field(/sin6_port=htons\((\d+)\)/)} ${field(/sin6_flowinfo=htonl\((\d+)\)/)} ${field(/inet_pton\(AF_INET6, "([^"]+)"/)} ${scope}`;
    }
    case 'AF_NETLINK':
      return `AF_NETLINK ${field(/nl_pid=(\d+)/)} ${parseInt(field(/nl_groups=(?:0x)?([0-9a-f]+)/) ?? 'NaN', 16)}`;
    default:
      return s;
  }
}

/** tracee-rs's sockaddr (Tracee's keys, see packages/core/src/sockaddr.ts) in the same form. */
function ourSockaddr(v: unknown): string {
  if (typeof v !== 'object' || v === null) return `ptr ${num(v)}`;
  const sa = v as Record<string, string>;
  if (sa.sa_data !== undefined) return `${sa.sa_family} sa_data=${sa.sa_data}`;
  switch (sa.sa_family) {
    case 'AF_UNIX':
      if (sa.sun_path === undefined) return 'AF_UNIX';
      return sa.sun_path.startsWith('@') ? `AF_UNIX abstract=${sa.sun_path}` : `AF_UNIX path=${sa.sun_path}`;
    case 'AF_INET':
      return `AF_INET ${sa.sin_port} ${sa.sin_addr}`;
    case 'AF_INET6':
      return `AF_INET6 ${sa.sin6_port} ${sa.sin6_flowinfo} ${sa.sin6_addr} ${sa.sin6_scopeid}`;
    case 'AF_NETLINK':
      return `AF_NETLINK ${sa.nl_pid} ${parseInt(sa.nl_groups, 16)}`;
    default:
      return JSON.stringify(sa);
  }
}

/**
 * The in/out addrlen of accept, accept4, getsockname, getpeername and
 * recvfrom, which strace prints as `[16]` or `[128 => 16]` (in => out). We
 * keep that pointer an address (the length is the captured address's own),
 * so: where our decoded address determines its length exactly, we compare
 * the kernel's out value with it (AF_UNIX: 2 unnamed, 3 + the name's bytes
 * abstract; a raw `sa_data` form: 2 + its bytes); elsewhere (AF_UNIX paths,
 * which stop at a NUL; AF_INET, AF_INET6, AF_NETLINK, which read fixed
 * fields), or when the address is not a struct, the pointer is skipped.
 * The in value is never compared (we have none).
 */
function addrlenPair(s: string, addr: unknown): [string, string][] {
  if (typeof addr !== 'object' || addr === null) return [];
  const sa = addr as Record<string, string>;
  let len: number | undefined;
  if (sa.sa_data !== undefined) len = 2 + sa.sa_data.length / 2;
  else if (sa.sa_family === 'AF_UNIX' && sa.sun_path === undefined) len = 2;
  else if (sa.sa_family === 'AF_UNIX' && sa.sun_path.startsWith('@')) len = 3 + unquote(`"${sa.sun_path.slice(1)}"`).length;
  if (len === undefined) return [];
  const out = /^\[(?:\d+ => )?(\d+)\]$/.exec(s)?.[1] ?? s;
  return [[out, String(len)]];
}

/**
 * MSG_* flags (include/linux/socket.h), for strace's names of sendto's and
 * recvfrom's flags: we capture them as the raw number, and compare numbers.
 * A name not here fails the comparison (NaN), so that it shows.
 */
const MSG: Record<string, number> = {
  MSG_OOB: 0x1, MSG_PEEK: 0x2, MSG_DONTROUTE: 0x4, MSG_CTRUNC: 0x8, MSG_PROBE: 0x10, MSG_TRUNC: 0x20,
  MSG_DONTWAIT: 0x40, MSG_EOR: 0x80, MSG_WAITALL: 0x100, MSG_FIN: 0x200, MSG_SYN: 0x400, MSG_CONFIRM: 0x800,
  MSG_RST: 0x1000, MSG_ERRQUEUE: 0x2000, MSG_NOSIGNAL: 0x4000, MSG_MORE: 0x8000, MSG_WAITFORONE: 0x10000,
  MSG_BATCH: 0x40000, MSG_ZEROCOPY: 0x4000000, MSG_FASTOPEN: 0x20000000, MSG_CMSG_CLOEXEC: 0x40000000,
};
const msgFlags = (s: string) => String(s.split('|').reduce((acc, f) => acc + (MSG[f] ?? (/^(0x[0-9a-f]+|\d+)$/.test(f) ? Number(f) : NaN)), 0));

/**
 * For the common syscalls, the arguments to compare: pairs of what strace
 * printed and what tracee-rs decoded, normalized alike.
 */
function argPairs(name: string, s: string[], t: unknown[]): [string, string][] {
  const str = (v: unknown) => String(v);
  switch (name) {
    case 'openat': {
      const pairs: [string, string][] = [
        [s[0], str(t[0])],
        [unquote(s[1]), str(t[1])],
        [flagSet(s[2]), flagSet(str(t[2]))],
      ];
      // strace shows the mode only with O_CREAT or O_TMPFILE
      if (s[3] !== undefined) pairs.push([s[3], str(t[3])]);
      return pairs;
    }
    case 'read':
    case 'write':
      return [[num(s[0]), num(t[0])], [num(s[2]), num(t[2])]];
    case 'close':
      return [[num(s[0]), num(t[0])]];
    case 'execve':
      return [[unquote(s[0]), str(t[0])], [JSON.stringify(splitArgs(s[1].slice(1, -1)).map(unquote)), JSON.stringify(t[1])]];
    case 'connect':
    case 'bind':
      return [[num(s[0]), num(t[0])], [straceSockaddr(s[1]), ourSockaddr(t[1])], [num(s[2]), num(t[2])]];
    case 'accept':
    case 'getsockname':
    case 'getpeername':
      return [[num(s[0]), num(t[0])], [straceSockaddr(s[1]), ourSockaddr(t[1])], ...addrlenPair(s[2], t[1])];
    case 'accept4':
      return [[num(s[0]), num(t[0])], [straceSockaddr(s[1]), ourSockaddr(t[1])], ...addrlenPair(s[2], t[1]), [flagSet(s[3]), flagSet(str(t[3]))]];
    case 'sendto':
      // fd, len, flags (numerically), the address and its length (an int); not the buffer
      return [[num(s[0]), num(t[0])], [num(s[2]), num(t[2])], [msgFlags(s[3]), num(t[3])], [straceSockaddr(s[4]), ourSockaddr(t[4])], [num(s[5]), num(t[5])]];
    case 'recvfrom':
      // fd, len, flags (numerically), the address, and its length where ours determines it; not the buffer
      return [[num(s[0]), num(t[0])], [num(s[2]), num(t[2])], [msgFlags(s[3]), num(t[3])], [straceSockaddr(s[4]), ourSockaddr(t[4])], ...addrlenPair(s[5], t[4])];
    case 'sendmsg':
    case 'recvmsg': {
      // fd, the msghdr's fields (its address, and recvmsg's msg_namelen as
      // the kernel wrote it: strace's `110 => 15`), flags; not msg_iov's buffers
      const fields = splitArgs(s[1].slice(1, -1));
      const field = (k: string) => fields.find((f) => f.startsWith(`${k}=`))?.slice(k.length + 1) ?? `no ${k}`;
      const m = (typeof t[1] === 'object' ? t[1] : {}) as Record<string, unknown>;
      return [
        [num(s[0]), num(t[0])],
        [straceSockaddr(field('msg_name')), ourSockaddr(m.msg_name)],
        [field('msg_namelen').split('=> ').pop()!, String(m.msg_namelen)],
        [field('msg_iovlen'), String(m.msg_iovlen)],
        [field('msg_controllen'), String(m.msg_controllen)],
        [msgFlags(field('msg_flags')), String(m.msg_flags)],
        [msgFlags(s[2]), num(t[2])],
      ];
    }
    case 'rename':
      return [[unquote(s[0]), str(t[0])], [unquote(s[1]), str(t[1])]];
    case 'renameat':
    case 'renameat2':
      return [[s[0], str(t[0])], [unquote(s[1]), str(t[1])], [s[2], str(t[2])], [unquote(s[3]), str(t[3])]];
    case 'unlink':
      return [[unquote(s[0]), str(t[0])]];
    case 'unlinkat':
      return [[s[0], str(t[0])], [unquote(s[1]), str(t[1])]];
    case 'mmap':
      return [
        [num(s[0]), num(t[0])],
        [num(s[1]), num(t[1])],
        [flagSet(s[2]), flagSet(str(t[2]))],
        [flagSet(s[3]), flagSet(str(t[3]))],
        [num(s[4]), num(t[4])],
        [num(s[5]), num(t[5])],
      ];
    case 'mprotect':
      return [[num(s[0]), num(t[0])], [num(s[1]), num(t[1])], [flagSet(s[2]), flagSet(str(t[2]))]];
    case 'clone': {
      // strace names them: child_stack=NULL, flags=..., child_tidptr=...
      const flags = s.find((a) => a.startsWith('flags='))!.slice('flags='.length);
      return [[flagSet(flags), flagSet(str(t[0]))]];
    }
    case 'clone3':
      return [[num(s[1]), num(t[1])]];
    case 'clock_nanosleep':
      // the requested time, a struct timespec both show as {tv_sec=…, tv_nsec=…}
      return [[s[2], typeof t[2] === 'object' ? decodeValue(undefined, t[2] as Timespec) : String(t[2])]];
    default:
      return [];
  }
}
const COMPARED = ['openat', 'read', 'write', 'close', 'execve', 'connect', 'bind', 'accept', 'accept4', 'getsockname', 'getpeername', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat', 'mmap', 'mprotect', 'clone', 'clone3', 'fork', 'vfork', 'clock_nanosleep'];

interface Report {
  threads: number;
  calls: number;
  namesMatched: number;
  compared: number;
  argsMatched: number;
  /** The common syscalls whose arguments were compared. */
  comparedNames: Set<string>;
  mismatches: string[];
}

/** Runs `argv` under strace while tracee-rs traces every syscall; compares per thread. */
async function oracle(argv: string[]): Promise<Report> {
  const out = join(tmp, `strace-${Date.now()}.txt`);
  const session = TraceSession.start({ events: ['syscalls'] });
  const events: TraceeEvent[] = [];
  try {
    const r = spawnSync('strace', ['-f', '-qq', '-v', '-s', '4096', '-o', out, '--', ...argv], { encoding: 'utf8', cwd: tmp });
    expect(r.status, r.stderr).toBe(0);
    const strace = parseStrace(readFileSync(out, 'utf8'));
    const tids = new Set(strace.keys());
    // every thread's last syscall has been reported once the tracer saw its exit
    const exited = () => [...tids].every((tid) => events.some((e) => e.hostThreadId === tid && (e.eventName === 'exit_group' || e.eventName === 'exit')));
    for (let i = 0; i < 200 && !exited(); i++) {
      const batch = await Promise.race([session.next(), new Promise<null>((res) => setTimeout(() => res(null), 50))]);
      for (const e of batch ?? []) if (tids.has(e.hostThreadId)) events.push(e);
    }
    expect(session.stats().lost).toBe(0);
    const root = strace.keys().next().value as number;
    const report: Report = { threads: tids.size, calls: 0, namesMatched: 0, compared: 0, argsMatched: 0, comparedNames: new Set(), mismatches: [] };
    for (const [tid, calls] of strace) {
      let mine = events.filter((e) => e.hostThreadId === tid);
      // the root: strace's own child runs a few syscalls before it execs the program
      if (tid === root) mine = mine.slice(mine.findIndex((e) => e.eventName === 'execve'));
      // a new thread's first event is its own return from clone (0), which
      // strace does not print: it shows the return in the parent only
      else if (mine.length && /^(clone3?|fork|vfork)$/.test(mine[0].eventName) && mine[0].returnValue === 0) mine = mine.slice(1);
      const names = (xs: { name?: string; eventName?: string }[]) => xs.map((x) => x.name ?? x.eventName);
      report.calls += calls.length;
      const a = names(calls);
      const b = names(mine);
      for (let i = 0; i < a.length; i++) if (a[i] === b[i]) report.namesMatched++;
      if (a.join(' ') !== b.join(' ')) report.mismatches.push(`thread ${tid}: strace ${a.join(' ')}\n  tracee-rs ${b.join(' ')}`);
      for (let i = 0; i < Math.min(calls.length, mine.length); i++) {
        const [s, t] = [calls[i], mine[i]];
        if (s.name !== t.eventName || !COMPARED.includes(s.name)) continue;
        const pairs = argPairs(s.name, s.args, decodedArgs(t).map((x) => x.value));
        const retOk = s.ret === undefined || s.ret === t.returnValue;
        report.compared++;
        report.comparedNames.add(s.name);
        if (pairs.every(([x, y]) => x === y) && retOk) report.argsMatched++;
        else {
          const ours = decodedArgs(t).map((x) => (typeof x.value === 'object' && x.value !== null ? JSON.stringify(x.value) : String(x.value)));
          const differ = pairs.filter(([x, y]) => x !== y).map(([x, y]) => `${x} | ${y}`);
          report.mismatches.push(`thread ${tid} ${s.name}: strace (${s.args.join(', ')}) = ${s.ret}; tracee-rs (${ours.join(', ')}) = ${t.returnValue}; differing (strace | ours): ${differ.join('; ')}`);
        }
      }
    }
    return report;
  } finally {
    session.stop();
  }
}

/** The programs, each with the common syscalls it must be seen to make. */
function programs(): [string, string[], string[]][] {
  const dir = join(tmp, 'tree');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'a.txt'), 'alpha\n');
  writeFileSync(join(dir, 'sub', 'b.txt'), 'beta\n'.repeat(1000));
  const py = `
import os, socket, time
time.sleep(0.01)
p = ${JSON.stringify(join(tmp, 'py-file'))}
with open(p, 'w') as f: f.write('x')
os.stat(p)
os.rename(p, p + '.renamed')
os.unlink(p + '.renamed')
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
c = socket.socket(); c.connect(srv.getsockname()); conn, _ = srv.accept(); conn.close(); c.close(); srv.close()
u = ${JSON.stringify(join(tmp, 'py.sock'))}
us = socket.socket(socket.AF_UNIX); us.bind(u); us.listen(1)
uc = socket.socket(socket.AF_UNIX); uc.connect(u); uc.close(); us.close(); os.unlink(u)
`;
  // sockets of every kind of address, all local: each call's address as
  // strace decodes it against ours (connect/bind/sendto: the program's;
  // accept/getsockname/getpeername/recvfrom: what the kernel wrote back)
  const sockets = String.raw`
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
# AF_UNIX abstract: NUL, tab, backslash, quote, \1 before an octal digit, \377
name = b"\0tracee-rs\0abs\t\\\"x\x017\xff"
s = socket.socket(socket.AF_UNIX); s.bind(name); s.listen(1)
c = socket.socket(socket.AF_UNIX); c.connect(name); conn, _ = s.accept()
c.getpeername(); conn.close(); c.close(); s.close()
# AF_UNIX unnamed: autobind (addrlen 2), then the kernel's abstract name
u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); u.bind(b""); u.getsockname(); u.close()
# AF_UNIX path
p = ${JSON.stringify(join(tmp, 'sa.sock'))}
s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(1)
c = socket.socket(socket.AF_UNIX); c.connect(p); conn, _ = s.accept()
s.getsockname(); c.getsockname(); c.getpeername(); conn.getpeername()
conn.close(); c.close(); s.close(); os.unlink(p)
# AF_INET TCP: accept4 (python), accept (libc, a 128-byte buffer), recvfrom on TCP (no address: length 0)
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(2)
c = socket.socket(); c.connect(s.getsockname()); conn, _ = s.accept()
conn.getsockname(); conn.getpeername(); c.getpeername()
c2 = socket.socket(); c2.connect(s.getsockname())
buf = ctypes.create_string_buffer(128); n = ctypes.c_int(128)
fd = libc.accept(s.fileno(), buf, ctypes.byref(n)); os.close(fd)
c.sendall(b"tcp"); conn.recvfrom(64)
c2.close(); conn.close(); c.close(); s.close()
# AF_INET UDP with addresses, and flags
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", 0))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", 0))
a.sendto(b"ping", socket.MSG_DONTWAIT, b.getsockname()); b.recvfrom(64, socket.MSG_PEEK); b.recvfrom(64)
# AF_INET6 UDP on ::1
x = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); x.bind(("::1", 0))
x.sendto(b"pong6", x.getsockname()); x.recvfrom(64); x.close()
# AF_INET6 to an IPv4-mapped address
y = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); y.connect(("::ffff:127.0.0.1", b.getsockname()[1])); y.close()
# AF_INET6 link-local: "%lo" (python passes scope id 0: EINVAL), then scope id and flowinfo given (EADDRNOTAVAIL)
z = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for addr in (("fe80::1%lo", 0), ("fe80::1", 0, 0x12345, socket.if_nametoindex("lo"))):
    try: z.bind(addr)
    except OSError: pass
z.close()
# AF_NETLINK (NETLINK_ROUTE): no groups, then RTMGRP_LINK|RTMGRP_IPV4_IFADDR
for groups in (0, 0x11):
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE); nl.bind((0, groups)); nl.getsockname(); nl.close()
# AF_UNSPEC: disconnect a connected UDP socket (sa_data bytes 1..14, ignored by the kernel)
a.connect(b.getsockname())
libc.connect(a.fileno(), ctypes.create_string_buffer(b"\0\0" + bytes(range(1, 15)), 16), 16)
a.close(); b.close()
# sendmsg and recvmsg: an AF_INET and an abstract AF_UNIX address in the msghdr, and none (connected)
m1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); m1.bind(("127.0.0.1", 0))
m2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
m2.sendmsg([b"x"], [], 0, m1.getsockname()); m1.recvmsg(16)
m2.connect(m1.getsockname()); m2.sendmsg([b"y", b"z"]); m1.recvmsg(16, 0, socket.MSG_DONTWAIT)
mu = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); mu.bind(b"\0tracee-rs-msg")
mv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); mv.bind(b"\0tracee-rs-msg-v")
mv.sendmsg([b"w"], [], 0, b"\0tracee-rs-msg"); mu.recvmsg(16)
for s_ in (m1, m2, mu, mv): s_.close()
# a call that fails writes no address: getpeername of an unconnected socket (ENOTCONN) shows the pointer
n = socket.socket()
try: n.getpeername()
except OSError: pass
n.close()
`;
  return [
    ['ls -la /etc', ['ls', '-la', '/etc'], ['execve', 'openat', 'close', 'mmap', 'mprotect', 'write']],
    ['cat of a file', ['cat', join(dir, 'sub', 'b.txt')], ['openat', 'read', 'write', 'close']],
    ['sh -c with a pipe and a redirect', ['sh', '-c', `echo hello | tr a-z A-Z > ${join(tmp, 'sh-out')}; cat ${join(tmp, 'sh-out')}`], ['clone', 'execve', 'openat', 'write', 'close']],
    ['python3: open, stat, rename, TCP and UNIX connect', ['/usr/bin/python3', '-S', '-c', py], ['openat', 'rename', 'unlink', 'connect', 'bind', 'close', 'clock_nanosleep']],
    ['python3: sockets of every address family (UNIX abstract, unnamed, path; INET; INET6; NETLINK; UNSPEC)', ['/usr/bin/python3', '-S', '-c', sockets], ['bind', 'connect', 'accept', 'accept4', 'getsockname', 'getpeername', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg']],
    ['tar of a small directory', ['tar', '-cf', join(tmp, 'small.tar'), '-C', dir, '.'], ['openat', 'read', 'write', 'close']],
    ['a fork+exec chain', ['sh', '-c', 'sh -c "sh -c /bin/true"; /bin/true'], ['vfork', 'execve']],
  ];
}

describe('strace as the oracle', () => {
  for (const [what, argv, expected] of programs()) {
    it(`${what}: every syscall name per thread, and the common syscalls' arguments and returns`, async () => {
      const r = await oracle(argv);
      const pct = (a: number, b: number) => `${((100 * a) / Math.max(b, 1)).toFixed(1)} %`;
      console.log(`strace oracle, ${what}: ${r.threads} threads, ${r.calls} syscalls, names ${pct(r.namesMatched, r.calls)}, arguments of ${r.compared} common syscalls ${pct(r.argsMatched, r.compared)}`);
      expect(r.mismatches).toEqual([]);
      expect(r.calls).toBeGreaterThan(10);
      expect([...r.comparedNames]).toEqual(expect.arrayContaining(expected));
    }, 60_000);
  }
});
