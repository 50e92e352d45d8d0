// How values are shown to people: errno names, open/mmap/clone flags,
// signals, socket families and types, capabilities, like strace prints them.
// The decoders are tracee-core's (crates/tracee-core/src/decoders.rs, which
// the JSON writer uses too), from the kernel and libc headers' names; which
// argument uses which decoder is bpf/events.tbl's.
import { loadBinding } from './binding.js';
import { CONSTANTS, eventById, type ArgValue, type Decoder, type TraceeEvent } from './generated/schema.js';

/** errno value -> its first name, as the header lists them (aliases come later). */
const ERRNO = new Map<number, string>();
for (const [name, value] of CONSTANTS.errno) if (!ERRNO.has(value)) ERRNO.set(value, name);

/** An event's argument value by name, undefined if it has none of that name. */
export function argOf(e: TraceeEvent, name: string): ArgValue | undefined {
  // a loop, not find(): the rules ask for arguments of every event they judge
  for (const a of e.args) if (a.name === name) return a.value;
  return undefined;
}

/**
 * One argument's value as a person reads it, by decoder: an integer by
 * tracee-core's decoders (`open_flags` 524288: `O_RDONLY|O_CLOEXEC`;
 * unknown decoder: the number); a string as it is; an array as JSON; a
 * struct as {@link formatStruct} writes it.
 */
export function decodeValue(decoder: Decoder | undefined, value: ArgValue): string {
  if (Array.isArray(value)) return JSON.stringify(value);
  if (typeof value === 'object') return formatStruct(value);
  if (typeof value === 'string' || typeof value === 'boolean' || decoder === undefined) return typeof value === 'string' ? value : String(value);
  return loadBinding().decodeValue(decoder, value) ?? String(value);
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
  return e.args.map((a) => {
    // by name: past the record's six, only the arguments captured are in e.args (no interpreter for a static program)
    const decoder = defs?.find((d) => d.name === a.name)?.decode;
    return { name: a.name, type: a.type, value: decoder ? decodeValue(decoder, a.value) : a.value };
  });
}
