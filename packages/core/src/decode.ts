// How values are shown to people: errno names, open/mmap/clone flags,
// signals, socket families and types, capabilities, like strace prints them.
// The names come from the kernel and libc headers through the generated
// CONSTANTS; which argument uses which decoder is bpf/events.tbl's.
import { CONSTANTS, eventById, type ArgValue, type Decoder, type TraceeEvent } from './generated/schema.js';

type Table = readonly (readonly [string, number])[];

/** value -> first name, as the header lists them (aliases come later). */
function byValue(table: Table): Map<number, string> {
  const m = new Map<number, string>();
  for (const [name, value] of table) if (!m.has(value)) m.set(value, name);
  return m;
}

const ERRNO = byValue(CONSTANTS.errno);
const SIGNALS = byValue(CONSTANTS.signal);
const FAMILIES = byValue(CONSTANTS.socket_family);
const CAPABILITIES = byValue(CONSTANTS.capability);
const PTRACE_REQUESTS = byValue(CONSTANTS.ptrace_request);
const MEM_PROT_ALERTS = byValue(CONSTANTS.mem_prot_alert);
const FILE_TYPES = byValue(CONSTANTS.file_type);
const OPEN_ACCESS = byValue(CONSTANTS.open_access);
const MAP_TYPES = byValue(CONSTANTS.map_type);
const AT_FDCWD = CONSTANTS.at_fdcwd[0][1];
// the masks that split a value into a kind and flags, from the same headers
const O_ACCMODE = CONSTANTS.o_accmode[0][1];
const MAP_TYPE = CONSTANTS.map_type_mask[0][1];
const CSIGNAL = CONSTANTS.csignal[0][1];
/**
 * The socket type's bits of socket()'s type argument, the rest being flags
 * (SOCK_NONBLOCK, SOCK_CLOEXEC): the kernel's SOCK_TYPE_MASK
 * (include/linux/net.h), which no header user space installs has.
 */
const SOCK_TYPE_MASK = 0xf;
const SOCKET_KINDS = byValue(CONSTANTS.socket_type.filter(([, v]) => (v & ~SOCK_TYPE_MASK) === 0));
const SOCKET_FLAGS = CONSTANTS.socket_type.filter(([, v]) => (v & ~SOCK_TYPE_MASK) !== 0);

/**
 * Names the bits of `value` from `table`, widest first (O_SYNC before
 * O_DSYNC), what is left in hex: `O_CREAT|O_CLOEXEC`.
 */
function bits(value: number, table: Table): string[] {
  const big = BigInt.asUintN(64, BigInt(value));
  let rest = big;
  const names: string[] = [];
  const sorted = [...table].filter(([, v]) => v > 0).sort((a, b) => popcount(b[1]) - popcount(a[1]));
  for (const [name, v] of sorted) {
    const mask = BigInt(v);
    if ((rest & mask) === mask && (big & mask) === mask) {
      names.push(name);
      rest &= ~mask;
    }
  }
  if (rest !== 0n) names.push('0x' + rest.toString(16));
  return names;
}

function popcount(v: number): number {
  let n = 0;
  for (let b = BigInt(v); b > 0n; b >>= 1n) n += Number(b & 1n);
  return n;
}

const join = (parts: string[], empty: string) => (parts.length ? parts.join('|') : empty);

/** An event's argument value by name, undefined if it has none of that name. */
export function argOf(e: TraceeEvent, name: string): ArgValue | undefined {
  // a loop, not find(): the rules ask for arguments of every event they judge
  for (const a of e.args) if (a.name === name) return a.value;
  return undefined;
}

/** One argument's value as a person reads it, by decoder. */
export function decodeValue(decoder: Decoder | undefined, value: ArgValue): string {
  if (Array.isArray(value)) return JSON.stringify(value);
  if (typeof value === 'object') return formatStruct(value);
  if (typeof value === 'string' || decoder === undefined) return typeof value === 'string' ? value : String(value);
  switch (decoder) {
    case 'fd':
      // the kernel declares most fds unsigned int; -1 is what callers pass
      return String(value | 0);
    case 'dirfd':
      return value === AT_FDCWD ? 'AT_FDCWD' : String(value | 0);
    case 'open_flags':
      return [OPEN_ACCESS.get(value & O_ACCMODE) ?? String(value & O_ACCMODE), ...bits(value & ~O_ACCMODE, CONSTANTS.open_flags)].join('|');
    case 'mode':
      return '0' + (value >>> 0).toString(8).padStart(3, '0');
    case 'prot':
      return join(bits(value, CONSTANTS.prot), 'PROT_NONE');
    case 'map_flags':
      return [MAP_TYPES.get(value & MAP_TYPE) ?? '0x' + (value & MAP_TYPE).toString(16), ...bits(value & ~MAP_TYPE, CONSTANTS.map_flags)].join('|');
    case 'clone_flags': {
      // the low byte is the signal sent to the parent at exit
      const sig = value & CSIGNAL;
      const flags = bits(Number(BigInt.asUintN(64, BigInt(value)) & ~BigInt(CSIGNAL)), CONSTANTS.clone_flags);
      return join([...flags, ...(sig ? [SIGNALS.get(sig) ?? String(sig)] : [])], '0');
    }
    case 'signal':
      return SIGNALS.get(value) ?? String(value);
    case 'socket_family':
      return FAMILIES.get(value) ?? String(value);
    case 'socket_type': {
      const kind = value & SOCK_TYPE_MASK;
      const flags = bits(value & ~SOCK_TYPE_MASK, SOCKET_FLAGS);
      return [...(kind ? [SOCKET_KINDS.get(kind) ?? String(kind)] : []), ...flags].join('|') || '0';
    }
    case 'capability':
      return CAPABILITIES.get(value) ?? String(value);
    case 'ptrace_request':
      return PTRACE_REQUESTS.get(value) ?? String(value);
    case 'mem_prot_alert':
      return MEM_PROT_ALERTS.get(value) ?? String(value);
    case 'file_type':
      // an inode's type bits (S_IFMT), as Tracee parses stdin_type: S_IFCHR
      return FILE_TYPES.get(value) ?? String(value);
  }
}

/** A sockaddr, timespec or msghdr on one line, as strace shows structs: \`{sa_family=AF_INET, sin_port=80, sin_addr=127.0.0.1}\`. */
export function formatStruct(value: object): string {
  return '{' + Object.entries(value).map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? formatStruct(v) : v}`).join(', ') + '}';
}

/** The errno name of a (positive) error number, e.g. 2 -> ENOENT. */
export function errnoName(errno: number): string | undefined {
  return ERRNO.get(errno);
}

/** A syscall's return value as strace shows a failure: `-2 ENOENT`; others as they are. */
export function formatReturn(e: TraceeEvent): string {
  if (e.atEntry) return '-';
  const def = eventById(e.eventId);
  if (def?.syscall && e.returnValue < 0 && e.returnValue >= -4095) {
    const name = errnoName(-e.returnValue);
    if (name) return `${e.returnValue} ${name}`;
  }
  return String(e.returnValue);
}

/** The arguments with a decoder shown decoded; the others as they are. */
export function decodedArgs(e: TraceeEvent): { name: string; type: string; value: ArgValue }[] {
  const defs = eventById(e.eventId)?.args;
  return e.args.map((a, i) => {
    const decoder = defs?.[i]?.decode;
    return { name: a.name, type: a.type, value: decoder ? decodeValue(decoder, a.value) : a.value };
  });
}
