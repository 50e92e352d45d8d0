// The generated decoder: valid records of every data item kind, written as
// the kernel side writes them (from the layout the generated schema gives),
// decode to exact values; whatever bytes arrive, a batch decodes or is
// rejected as corrupt, nothing else is thrown. tracee-core's JSON writer
// (the CLI's output) writes every batch exactly as traceeJson writes the
// events decoded here, and rejects what is rejected here. And the value
// decoders against what strace prints.
import { describe, expect, it } from 'vitest';
import { CONSTANTS, CorruptBatchError, decodeBatch, EVENTS, FIXED_SIZE, HEADER_OFFSETS, RECORD_LAYOUT, type EventName, type TraceeEvent } from './generated/schema.js';
import { loadBinding } from './binding.js';
import { decodeValue, errnoName } from './decode.js';
import { traceeJson } from './tracee-json.js';
import { rng } from './testing/prng.js';
import { sockaddrIn, sockaddrIn6, sockaddrLl, sockaddrNl, sockaddrUn, sockaddrUnAbstract } from './testing/sockaddr-bytes.js';

const L = RECORD_LAYOUT;
type Field = { readonly offset: number; readonly size: number };
type HeaderField = keyof typeof L.header;
/** Bytes of each of the record's args: they fill the space up to the data section. */
const ARG_SIZE = (L.dataOffset - L.argsOffset) / L.argCount;

/**
 * Writes \`value\` into field \`f\` of the struct at byte \`at\`, as wide as the
 * schema says, little-endian as the kernels we run on (x86_64, arm64) write
 * it; negative numbers in two's complement; a string NUL-padded.
 */
function put(buf: Buffer, at: number, f: Field, value: number | bigint | string): void {
  const o = at + f.offset;
  if (typeof value === 'string') {
    buf.fill(0, o, o + f.size);
    buf.write(value, o, f.size, 'latin1');
    return;
  }
  switch (f.size) {
    case 1: buf.writeUInt8(Number(value), o); break;
    case 2: buf.writeUInt16LE(Number(value), o); break;
    case 4: buf.writeUInt32LE(Number(BigInt.asUintN(32, BigInt(value))), o); break;
    case 8: buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)), o); break;
    default: throw new Error(`no ${f.size}-byte field`);
  }
}

/** One data item: the argument it belongs to, its kind (enum tracee_arg_kind), its bytes. */
interface Item {
  arg: number;
  kind: keyof typeof L.argKinds;
  bytes: ArrayLike<number>;
}

/** The index of argument \`name\` of \`event\` in the catalog. */
function argIndex(event: EventName, name: string): number {
  const i = EVENTS.find((e) => e.name === event)!.args.findIndex((a) => a.name === name);
  if (i < 0) throw new Error(`${event} has no argument ${name}`);
  return i;
}

/** An item of \`event\`'s argument \`name\`; a string's bytes as UTF-8, an 8-byte value (ARG_VALUE, ARG_UNREADABLE) from a bigint. */
function item(event: EventName, name: string, kind: Item['kind'], value: string | bigint | ArrayLike<number>): Item {
  let bytes: ArrayLike<number>;
  if (typeof value === 'string') bytes = Buffer.from(value);
  else if (typeof value === 'bigint') {
    bytes = Buffer.alloc(8);
    (bytes as Buffer).writeBigUInt64LE(value);
  } else bytes = value;
  return { arg: argIndex(event, name), kind, bytes };
}

/**
 * A record of \`event\` (a name, or an id the catalog may not know) as the
 * kernel side writes it: header fields (by their camelCase names; the size
 * is the record's), the record's args (u64s), flags, and data items in order.
 */
function record(event: EventName | number, spec: { header?: Partial<Record<HeaderField, number | bigint | string>>; args?: (number | bigint)[]; flags?: (keyof typeof L.recordFlags)[]; items?: Item[] } = {}): Buffer {
  const items = (spec.items ?? []).map(({ arg, kind, bytes }) => {
    const b = Buffer.alloc(L.itemSize + bytes.length);
    put(b, 0, L.item.arg, arg);
    put(b, 0, L.item.kind, L.argKinds[kind]);
    put(b, 0, L.item.len, bytes.length);
    b.set(Array.from(bytes), L.itemSize);
    return b;
  });
  const buf = Buffer.concat([Buffer.alloc(L.dataOffset), ...items]);
  put(buf, 0, L.header.eventId, typeof event === 'number' ? event : EVENTS.find((e) => e.name === event)!.id);
  put(buf, 0, L.header.matchedPolicies, 1);
  for (const [name, value] of Object.entries(spec.header ?? {})) put(buf, 0, L.header[name as HeaderField], value);
  put(buf, 0, L.header.size, buf.length);
  put(buf, 0, L.header.flags, (spec.flags ?? []).reduce((bits, f) => bits | L.recordFlags[f], 0));
  (spec.args ?? []).forEach((v, i) => put(buf, L.argsOffset, { offset: i * ARG_SIZE, size: ARG_SIZE }, v));
  return buf;
}

/** The events of a batch; and tracee-core's JSON lines of it are traceeJson's of them. */
function decodeAll(...records: Buffer[]): TraceeEvent[] {
  const out: TraceeEvent[] = [];
  const batch = Buffer.concat(records);
  expect(decodeBatch(batch, (e) => out.push(e))).toBe(records.length);
  expectSameJson(batch, out);
  return out;
}

/** The native JSON writer's lines of `batch` are traceeJson's of its decoded `events`, byte for byte, with and without parsed arguments. */
function expectSameJson(batch: Buffer, events: TraceeEvent[], policies: readonly string[] = ['']): void {
  for (const parseArguments of [false, true]) {
    expect(loadBinding().jsonLines(batch, [...policies], parseArguments)).toBe(events.map((e) => traceeJson(e, { parseArguments }) + '\n').join(''));
  }
}

/** An event's arguments as [name, value] pairs, in order. */
const pairs = (e: TraceeEvent) => e.args.map((a) => [a.name, a.value]);

/** An address family's number, from the schema's constants (the kernel's headers). */
const af = (name: string) => CONSTANTS.socket_family.find(([n]) => n === name)![1];

/** A struct __kernel_timespec (include/uapi/linux/time_types.h): two s64, seconds then nanoseconds. */
function timespec(sec: bigint, nsec: bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigInt64LE(sec, 0);
  b.writeBigInt64LE(nsec, 8);
  return b;
}

/** A struct msghdr_item as the kernel side writes it, then msg_name's bytes. */
function msghdr(fields: Record<keyof typeof L.msghdr, number | bigint>, name: number[] = []): Buffer {
  const b = Buffer.alloc(L.msghdrSize + name.length);
  for (const [f, v] of Object.entries(fields)) put(b, 0, L.msghdr[f as keyof typeof L.msghdr], v);
  b.set(name, L.msghdrSize);
  return b;
}

describe('decodeBatch on valid records: every kind of data item, exact values', () => {
  it('the header: every context field, the event and its policies, integer arguments by kind, a string', () => {
    const [e] = decodeAll(
      record('openat', {
        header: {
          timestamp: 123_456_789_012_345, threadStartTime: 98_765_432_109, cgroupId: 0x1_0000_0042, returnValue: -2, syscall: 257,
          hostProcessId: 4242, hostThreadId: 4243, hostParentProcessId: 1, processId: 42, threadId: 43, parentProcessId: 0,
          userId: 1000, groupId: 1001, mountNamespace: 4026531841, pidNamespace: 4026531836, processorId: 1, processName: 'cat',
        },
        args: [-100, 0x7ffd_0000_1000n, 0o2000000, 0o644],
        items: [item('openat', 'pathname', 'STR', '/etc/passwd')],
      }),
    );
    expect(e).toEqual({
      timestamp: 123_456_789_012_345, threadStartTime: 98_765_432_109, cgroupId: 0x1_0000_0042, returnValue: -2, syscall: 257,
      hostProcessId: 4242, hostThreadId: 4243, hostParentProcessId: 1, processId: 42, threadId: 43, parentProcessId: 0,
      userId: 1000, groupId: 1001, mountNamespace: 4026531841, pidNamespace: 4026531836, processorId: 1, processName: 'cat', containerId: '', container: {}, kubernetes: {},
      eventId: 257, eventName: 'openat', matchedPolicies: [''], argsNum: 4,
      args: [
        { name: 'dirfd', type: 'int', value: -100 },
        { name: 'pathname', type: 'const char *', value: '/etc/passwd' },
        { name: 'flags', type: 'int', value: 0o2000000 },
        { name: 'mode', type: 'umode_t', value: 0o644 },
      ],
      truncated: false, atEntry: false, argsUnknown: false, unreadable: [],
    });
  });

  it('strings: a user string and a kernel string, as UTF-8; one cut at its limit flags the event truncated', () => {
    const [user, kernel, cut] = decodeAll(
      record('openat', { args: [3, 0x1000, 0, 0], items: [item('openat', 'pathname', 'STR', 'données/é.txt')] }),
      record('security_file_open', { args: [0, 0o100001, 0x80_0001, 77], items: [item('security_file_open', 'pathname', 'KSTR', '/tmp/ünï')] }),
      record('openat', { args: [-100, 0x1000, 0, 0], flags: ['TRUNCATED'], items: [item('openat', 'pathname', 'STR', '/' + 'a'.repeat(4094))] }),
    );
    expect(pairs(user)).toEqual([['dirfd', 3], ['pathname', 'données/é.txt'], ['flags', 0], ['mode', 0]]);
    expect(user.truncated).toBe(false);
    expect(pairs(kernel)).toEqual([['pathname', '/tmp/ünï'], ['flags', 0o100001], ['dev', 0x80_0001], ['inode', 77]]);
    expect(pairs(cut)[1]).toEqual(['pathname', '/' + 'a'.repeat(4094)]);
    expect(cut.truncated).toBe(true);
  });

  it("string arrays: argv element by element; envp its address, or (exec-env) its strings; an empty argv is []", () => {
    const [plain, env, empty] = decodeAll(
      record('execve', {
        args: [0x5555_0000_1000n, 0x7ffd_0000_2000n, 0x7ffd_0000_3000n],
        items: [item('execve', 'pathname', 'STR', '/bin/ls'), ...['ls', '-la', '/etc'].map((a) => item('execve', 'argv', 'STR_ARRAY', a))],
      }),
      record('execve', {
        args: [0x5555_0000_1000n, 0x7ffd_0000_2000n, 0x7ffd_0000_3000n],
        items: [item('execve', 'pathname', 'STR', '/bin/env'), item('execve', 'argv', 'STR_ARRAY', 'env'), ...['A=1', 'PATH=/bin:/usr/bin'].map((v) => item('execve', 'envp', 'STR_ARRAY', v))],
      }),
      record('execve', { args: [0x5555_0000_1000n, 0x7ffd_0000_2000n, 0], items: [item('execve', 'pathname', 'STR', '/bin/true')] }),
    );
    expect(pairs(plain)).toEqual([['pathname', '/bin/ls'], ['argv', ['ls', '-la', '/etc']], ['envp', '0x7ffd00003000']]);
    expect(pairs(env)).toEqual([['pathname', '/bin/env'], ['argv', ['env']], ['envp', ['A=1', 'PATH=/bin:/usr/bin']]]);
    expect(pairs(empty)).toEqual([['pathname', '/bin/true'], ['argv', []], ['envp', '0x0']]);
  });

  it('sockaddrs of every family the decoder names, any other as its bytes, one per argument; an address not captured is its pointer', () => {
    const cases: [number[], Record<string, string>][] = [
      [sockaddrIn(af('AF_INET'), 443, [10, 0, 0, 1]), { sa_family: 'AF_INET', sin_port: '443', sin_addr: '10.0.0.1' }],
      [sockaddrIn6(af('AF_INET6'), 'fe800000000000000000000000000001', 8080, 0x12345, 2), { sa_family: 'AF_INET6', sin6_port: '8080', sin6_flowinfo: '74565', sin6_addr: 'fe80::1', sin6_scopeid: '2' }],
      [sockaddrIn6(af('AF_INET6'), '00000000000000000000ffff7f000001', 53), { sa_family: 'AF_INET6', sin6_port: '53', sin6_flowinfo: '0', sin6_addr: '::ffff:127.0.0.1', sin6_scopeid: '0' }],
      [sockaddrUn(af('AF_UNIX'), '/run/docker.sock'), { sa_family: 'AF_UNIX', sun_path: '/run/docker.sock' }],
      [sockaddrUnAbstract(af('AF_UNIX'), 'ab\0c\t'), { sa_family: 'AF_UNIX', sun_path: String.raw`@ab\0c\t` }],
      [sockaddrUn(af('AF_UNIX'), '').slice(0, 2), { sa_family: 'AF_UNIX' }],
      [sockaddrNl(af('AF_NETLINK'), 4242, 0x1f), { sa_family: 'AF_NETLINK', nl_pid: '4242', nl_groups: '0000001f' }],
      [sockaddrLl(af('AF_PACKET'), 0x0003, 1, 772, 0, 6, [0, 0, 0, 0, 0, 0]), { sa_family: 'AF_PACKET', sll_protocol: '3', sll_ifindex: '1', sll_hatype: '772', sll_pkttype: '0', sll_halen: '6', sll_addr: '00:00:00:00:00:00' }],
      [[0, 0, 1, 2, 0xab], { sa_family: 'AF_UNSPEC', sa_data: '0102ab' }],
      [[af('AF_VSOCK'), 0, 0, 0, 0xd2, 0x04, 0, 0], { sa_family: 'AF_VSOCK', sa_data: '0000d2040000' }],
    ];
    const events = decodeAll(
      ...cases.map(([bytes]) => record('connect', { args: [3, 0x7ffd_0000_4000n, bytes.length], items: [item('connect', 'addr', 'SOCKADDR', bytes)] })),
      // a failed connect to a bad address: nothing captured
      record('connect', { header: { returnValue: -14 }, args: [3, 0x10, 16] }),
      // socket_dup: two addresses, each of its own argument
      record('socket_dup', {
        args: [3, 0],
        items: [item('socket_dup', 'remote_addr', 'SOCKADDR', sockaddrIn(af('AF_INET'), 4444, [127, 0, 0, 1])), item('socket_dup', 'local_addr', 'SOCKADDR', sockaddrIn(af('AF_INET'), 40000, [127, 0, 0, 2]))],
      }),
    );
    expect(events.slice(0, cases.length).map((e) => pairs(e))).toEqual(cases.map(([bytes, addr]) => [['sockfd', 3], ['addr', addr], ['addrlen', bytes.length]]));
    expect(pairs(events[cases.length])).toEqual([['sockfd', 3], ['addr', '0x10'], ['addrlen', 16]]);
    expect(pairs(events[cases.length + 1])).toEqual([
      ['oldfd', 3], ['newfd', 0],
      ['remote_addr', { sa_family: 'AF_INET', sin_port: '4444', sin_addr: '127.0.0.1' }],
      ['local_addr', { sa_family: 'AF_INET', sin_port: '40000', sin_addr: '127.0.0.2' }],
    ]);
  });

  it('timespecs: seconds and nanoseconds, signed; one not captured (NULL) is its address', () => {
    const [sleep, clock] = decodeAll(
      record('nanosleep', { args: [0x7ffd_0000_5000n, 0], items: [item('nanosleep', 'rqtp', 'TIMESPEC', timespec(1n, 500_000_000n))] }),
      record('clock_nanosleep', {
        header: { returnValue: -4 },
        args: [1, 1, 0x7ffd_0000_5000n, 0x7ffd_0000_5010n],
        items: [item('clock_nanosleep', 'rqtp', 'TIMESPEC', timespec(1_700_000_000n, 0n)), item('clock_nanosleep', 'rmtp', 'TIMESPEC', timespec(-1n, 999_999_999n))],
      }),
    );
    expect(pairs(sleep)).toEqual([['rqtp', { tv_sec: 1, tv_nsec: 500_000_000 }], ['rmtp', '0x0']]);
    expect(pairs(clock)).toEqual([['which_clock', 1], ['flags', 1], ['rqtp', { tv_sec: 1_700_000_000, tv_nsec: 0 }], ['rmtp', { tv_sec: -1, tv_nsec: 999_999_999 }]]);
  });

  it("bytes: a buffer's first bytes as numbers (write's, magic_write's); none captured: its address", () => {
    const elf = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const [write, none, magic] = decodeAll(
      record('write', { args: [1, 0x5555_0000_abcdn, 4096], items: [item('write', 'buf', 'BYTES', elf)] }),
      record('write', { args: [1, 0x5555_0000_abcdn, 0] }),
      record('magic_write', { args: [0, 0, 0x80_0001, 12], items: [item('magic_write', 'pathname', 'KSTR', '/tmp/x'), item('magic_write', 'bytes', 'BYTES', [104, 105])] }),
    );
    expect(pairs(write)).toEqual([['fd', 1], ['buf', elf], ['count', 4096]]);
    expect(pairs(none)).toEqual([['fd', 1], ['buf', '0x55550000abcd'], ['count', 0]]);
    expect(pairs(magic)).toEqual([['pathname', '/tmp/x'], ['bytes', [104, 105]], ['dev', 0x80_0001], ['inode', 12]]);
  });

  it("msghdr: its fields, msg_name decoded where the call succeeded, else msg_name's pointer; not captured: the struct's address", () => {
    const [sent, failed, bad] = decodeAll(
      record('sendmsg', {
        args: [5, 0x7ffd_0000_6000n, 0x40],
        items: [item('sendmsg', 'msg', 'MSGHDR', msghdr({ msg_name: 0x7ffd_0000_7000n, msg_iovlen: 2, msg_controllen: 0x1_0000_0000, msg_namelen: 16, msg_flags: 0 }, sockaddrIn(af('AF_INET'), 53, [127, 0, 0, 53])))],
      }),
      record('recvmsg', {
        header: { returnValue: -11 },
        args: [5, 0x7ffd_0000_6000n, 0x40],
        items: [item('recvmsg', 'msg', 'MSGHDR', msghdr({ msg_name: 0x7ffd_0000_7000n, msg_iovlen: 1, msg_controllen: 0, msg_namelen: 128, msg_flags: 0x40 }))],
      }),
      record('sendmsg', { header: { returnValue: -14 }, args: [5, 0x20, 0] }),
    );
    expect(pairs(sent)).toEqual([
      ['fd', 5],
      ['msg', { msg_name: { sa_family: 'AF_INET', sin_port: '53', sin_addr: '127.0.0.53' }, msg_namelen: 16, msg_iovlen: 2, msg_controllen: 0x1_0000_0000, msg_flags: 0 }],
      ['flags', 0x40],
    ]);
    expect(pairs(failed)).toEqual([['fd', 5], ['msg', { msg_name: '0x7ffd00007000', msg_namelen: 128, msg_iovlen: 1, msg_controllen: 0, msg_flags: 0x40 }], ['flags', 0x40]]);
    expect(pairs(bad)).toEqual([['fd', 5], ['msg', '0x20'], ['flags', 0]]);
  });

  it('unreadable user memory: the value is its address, an array element keeps its place, and the event names each', () => {
    const args = [0x5555_0000_1000n, 0x7ffd_0000_2000n, 0];
    const [parts, whole] = decodeAll(
      record('execve', {
        args,
        flags: ['UNREADABLE'],
        items: [
          item('execve', 'pathname', 'UNREADABLE', args[0] as bigint),
          item('execve', 'argv', 'STR_ARRAY', 'sh'),
          item('execve', 'argv', 'UNREADABLE', 0x7ffd_0000_2f10n),
          item('execve', 'argv', 'STR_ARRAY', '-c'),
        ],
      }),
      // the array itself could not be read: its address, the record's own arg
      record('execve', { args, flags: ['UNREADABLE'], items: [item('execve', 'pathname', 'STR', '/bin/sh'), item('execve', 'argv', 'UNREADABLE', args[1] as bigint)] }),
    );
    expect(pairs(parts)).toEqual([['pathname', '0x555500001000'], ['argv', ['sh', '0x7ffd00002f10', '-c']], ['envp', '0x0']]);
    expect(parts.unreadable).toEqual(['pathname', 'argv[1]']);
    expect(pairs(whole)).toEqual([['pathname', '/bin/sh'], ['argv', '0x7ffd00002000'], ['envp', '0x0']]);
    expect(whole.unreadable).toEqual(['argv']);
  });

  it("values past the record's six arguments (sched_process_exec): those captured only, in the catalog's order, each of its kind", () => {
    const exec = (interpreter: boolean) =>
      record('sched_process_exec', {
        args: [0, 0, 0x80_0001, 131_075, 1_700_000_000_000_000_000n, 0o100755],
        items: [
          item('sched_process_exec', 'cmdpath', 'STR', './ls'),
          item('sched_process_exec', 'pathname', 'KSTR', '/usr/bin/ls'),
          ...(interpreter
            ? [
                item('sched_process_exec', 'interpreter_pathname', 'KSTR', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'),
                item('sched_process_exec', 'interpreter_dev', 'VALUE', 0x80_0001n),
                item('sched_process_exec', 'interpreter_inode', 'VALUE', 0x100_0000_0005n),
                item('sched_process_exec', 'interpreter_ctime', 'VALUE', 1_600_000_000_000_000_000n),
              ]
            : []),
          ...['ls', '-l'].map((a) => item('sched_process_exec', 'argv', 'STR_ARRAY', a)),
          item('sched_process_exec', 'interp', 'KSTR', './ls'),
          item('sched_process_exec', 'stdin_type', 'VALUE', 0o20000n),
          item('sched_process_exec', 'stdin_path', 'KSTR', '/dev/pts/0'),
          item('sched_process_exec', 'invoked_from_kernel', 'VALUE', 0n),
          item('sched_process_exec', 'old_pid', 'VALUE', 4244n),
        ],
      });
    const [dynamic, statik] = decodeAll(exec(true), exec(false));
    const first = [['cmdpath', './ls'], ['pathname', '/usr/bin/ls'], ['dev', 0x80_0001], ['inode', 131_075], ['ctime', 1.7e18], ['inode_mode', 0o100755]];
    const last = [['argv', ['ls', '-l']], ['interp', './ls'], ['stdin_type', 0o20000], ['stdin_path', '/dev/pts/0'], ['invoked_from_kernel', 0], ['old_pid', 4244]];
    expect(pairs(dynamic)).toEqual([
      ...first,
      ['interpreter_pathname', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'], ['interpreter_dev', 0x80_0001], ['interpreter_inode', 0x100_0000_0005], ['interpreter_ctime', 1.6e18],
      ...last,
    ]);
    expect(dynamic.argsNum).toBe(16);
    // a static program: no interpreter fields, as in Tracee's JSON; no env without exec-env
    expect(pairs(statik)).toEqual([...first, ...last]);
    expect(statik.argsNum).toBe(12);
  });

  it('hooked symbols: (SymbolName, ModuleOwner) pairs from one string array; hooked_syscall as kernel strings', () => {
    const [fops, syscall] = decodeAll(
      record('hooked_proc_fops', { items: ['iterate_shared', 'phide', 'iterate', 'hidden'].map((s) => item('hooked_proc_fops', 'hooked_fops_pointers', 'STR_ARRAY', s)) }),
      record('hooked_syscall', {
        items: [
          item('hooked_syscall', 'syscall', 'KSTR', 'kill'),
          item('hooked_syscall', 'address', 'KSTR', 'ffffffffc0000010'),
          item('hooked_syscall', 'function', 'KSTR', 'hooked_kill'),
          item('hooked_syscall', 'owner', 'KSTR', 'rootkit'),
        ],
      }),
    );
    expect(pairs(fops)).toEqual([['hooked_fops_pointers', [{ SymbolName: 'iterate_shared', ModuleOwner: 'phide' }, { SymbolName: 'iterate', ModuleOwner: 'hidden' }]]]);
    expect(pairs(syscall)).toEqual([['syscall', 'kill'], ['address', 'ffffffffc0000010'], ['function', 'hooked_kill'], ['owner', 'rootkit']]);
  });

  it('flags: reported at entry; arguments unknown (the registers were not found: args read as 0)', () => {
    const [exit, unknown] = decodeAll(record('exit_group', { flags: ['AT_ENTRY'], args: [3] }), record('openat', { flags: ['ARGS_UNKNOWN'], header: { returnValue: 3 } }));
    expect([exit.atEntry, exit.argsUnknown, exit.returnValue, pairs(exit)]).toEqual([true, false, 0, [['status', 3]]]);
    expect([unknown.atEntry, unknown.argsUnknown, unknown.returnValue, pairs(unknown)]).toEqual([false, true, 3, [['dirfd', 0], ['pathname', ''], ['flags', 0], ['mode', 0]]]);
  });

  it('process names record by record, in runs and not (each made once per run), within a batch and across batches', () => {
    const names = ['cat', 'cat', 'bash', 'cat', 'fifteen-chars-x', 'fifteen-chars-y', 'fifteen-chars-y', '', 'a', 'a'];
    const records = names.map((processName) => record('getpid', { header: { processName } }));
    expect(decodeAll(...records).map((e) => e.processName)).toEqual(names);
    // the next batch starts where this one ended (a run across two batches), and after another name
    expect(decodeAll(records[9], records[0]).map((e) => e.processName)).toEqual(['a', 'cat']);
    // bytes after the NUL differ, the name does not
    const stale = record('getpid', { header: { processName: 'cat' } });
    stale[L.header.processName.offset + 10] = 0x7a;
    expect(decodeAll(records[0], stale, records[2]).map((e) => e.processName)).toEqual(['cat', 'cat', 'bash']);
  });

  it('an event id the catalog does not know: unknown_<id>, no arguments, its data items skipped', () => {
    const [e, next] = decodeAll(record(1999, { args: [1, 2], items: [{ arg: 0, kind: 'STR', bytes: Buffer.from('x') }] }), record('getpid'));
    expect([e.eventId, e.eventName, e.argsNum, e.args]).toEqual([1999, 'unknown_1999', 0, []]);
    expect(next.eventName).toBe('getpid');
  });
});


describe('decodeBatch on hostile input', () => {
  it('random bytes, and random records with random data items (truncated strings, oversize arrays, short sockaddrs), never throw anything but CorruptBatchError', () => {
    const rand = rng(7);
    const execve = EVENTS.find((e) => e.name === 'execve')!.id;
    const connect = EVENTS.find((e) => e.name === 'connect')!.id;
    let decoded = 0;
    let rejected = 0;
    for (let n = 0; n < 20_000; n++) {
      const size = n % 2 ? Math.floor(rand() * 600) : FIXED_SIZE + Math.floor(rand() * 400);
      const buf = Buffer.alloc(size);
      for (let i = 0; i < size; i++) buf[i] = Math.floor(rand() * 256);
      if (n % 2 === 0) {
        // a plausible header: a known event, the declared size mostly right
        const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        const id = [execve, connect, 257, 0, 9999][n % 5];
        dv.setUint32(HEADER_OFFSETS.eventId, id, true);
        dv.setUint16(HEADER_OFFSETS.size, rand() < 0.8 ? size : Math.floor(rand() * 65536), true);
      }
      if (n % 2 === 0) {
        // 64-bit header values a JavaScript number holds exactly (the native writer writes any exactly)
        for (const field of ['timestamp', 'threadStartTime', 'cgroupId', 'returnValue'] as const) buf.writeUInt16LE(0, HEADER_OFFSETS[field] + 6);
        for (let i = 0; i < L.argCount && L.argsOffset + 8 * i + 8 <= size; i++) buf.writeUInt16LE(0, L.argsOffset + 8 * i + 6);
      }
      const events: TraceeEvent[] = [];
      try {
        decodeBatch(buf, (e) => events.push(e));
        decoded++;
      } catch (e) {
        expect(e).toBeInstanceOf(CorruptBatchError);
        rejected++;
        // rejected by the native writer too, with its code
        expect(() => loadBinding().jsonLines(buf, [''])).toThrow(expect.objectContaining({ code: 'ECORRUPT' }));
        continue;
      }
      expectSameJson(buf, events);
    }
    // both ways were taken: plausible records decoded, garbage rejected
    expect(decoded).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });
});

describe('value decoders', () => {
  it('show values as strace does', () => {
    expect(decodeValue('open_flags', 0o2000000)).toBe('O_RDONLY|O_CLOEXEC');
    expect(decodeValue('open_flags', 0o101 | 0o1000)).toBe('O_WRONLY|O_CREAT|O_TRUNC');
    expect(decodeValue('dirfd', -100)).toBe('AT_FDCWD');
    expect(decodeValue('fd', 4294967295)).toBe('-1');
    expect(decodeValue('mode', 0o644)).toBe('0644');
    expect(decodeValue('prot', 0)).toBe('PROT_NONE');
    expect(decodeValue('prot', 5)).toBe('PROT_READ|PROT_EXEC');
    expect(decodeValue('map_flags', 0x22)).toBe('MAP_PRIVATE|MAP_ANONYMOUS');
    expect(decodeValue('clone_flags', 0x1200011)).toBe('CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD');
    expect(decodeValue('signal', 9)).toBe('SIGKILL');
    expect(decodeValue('socket_family', 10)).toBe('AF_INET6');
    expect(decodeValue('socket_type', 0x80001)).toBe('SOCK_STREAM|SOCK_CLOEXEC');
    expect(decodeValue('capability', 21)).toBe('CAP_SYS_ADMIN');
    expect(errnoName(2)).toBe('ENOENT');
    expect(errnoName(13)).toBe('EACCES');
  });
});

describe('matchedPolicies', () => {
  it('names the policies of every bit set, across both 32-bit halves, in policy order', () => {
    const names = Array.from({ length: 64 }, (_, i) => `p${i}`);
    const buf = Buffer.alloc(2 * FIXED_SIZE);
    const dv = new DataView(buf.buffer);
    for (const [o, bits] of [[0, (1n << 0n) | (1n << 31n) | (1n << 33n) | (1n << 63n)], [FIXED_SIZE, 0n]] as const) {
      dv.setUint16(o + HEADER_OFFSETS.size, FIXED_SIZE, true);
      dv.setUint32(o + HEADER_OFFSETS.eventId, 257, true);
      dv.setBigUint64(o + HEADER_OFFSETS.matchedPolicies, bits, true);
    }
    const events: TraceeEvent[] = [];
    decodeBatch(buf, (e) => events.push(e), names);
    expect(events.map((e) => e.matchedPolicies)).toEqual([['p0', 'p31', 'p33', 'p63'], []]);
    expectSameJson(buf, events, names);
    // runs and returns: the same bits again, others, the first again; the high half alone differing
    const sets = [1n, 1n, 2n, 1n, 1n << 32n, 1n << 32n, 0n, (1n << 32n) | 1n, 1n, 0n, 3n];
    const runs = Buffer.concat(sets.map((bits) => {
      const r = Buffer.from(buf.subarray(FIXED_SIZE));
      new DataView(r.buffer, r.byteOffset).setBigUint64(HEADER_OFFSETS.matchedPolicies, bits, true);
      return r;
    }));
    const named: TraceeEvent[] = [];
    decodeBatch(runs, (e) => named.push(e), names);
    expect(named.map((e) => e.matchedPolicies)).toEqual([['p0'], ['p0'], ['p1'], ['p0'], ['p32'], ['p32'], [], ['p0', 'p32'], ['p0'], [], ['p0', 'p1']]);
    expectSameJson(runs, named, names);
    // the unnamed policy of events/scope, by default
    const one = Buffer.from(buf.subarray(0, FIXED_SIZE));
    new DataView(one.buffer, one.byteOffset).setBigUint64(HEADER_OFFSETS.matchedPolicies, 1n, true);
    decodeBatch(one, (e) => expect(e.matchedPolicies).toEqual(['']));
  });
});
