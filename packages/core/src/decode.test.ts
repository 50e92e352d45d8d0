// Property tests of the generated decoder: whatever bytes arrive, a batch
// decodes or is rejected as corrupt; nothing else is thrown. And the value
// decoders against what strace prints.
import { describe, expect, it } from 'vitest';
import { CorruptBatchError, decodeBatch, EVENTS, FIXED_SIZE, HEADER_OFFSETS } from './generated/schema.js';
import { decodeValue, errnoName } from './decode.js';
import { rng } from './testing/prng.js';


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
      try {
        decodeBatch(buf, () => {});
        decoded++;
      } catch (e) {
        expect(e).toBeInstanceOf(CorruptBatchError);
        rejected++;
      }
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
    const seen: string[][] = [];
    decodeBatch(buf, (e) => seen.push([...e.matchedPolicies]), names);
    expect(seen).toEqual([['p0', 'p31', 'p33', 'p63'], []]);
    // the unnamed policy of events/scope, by default
    const one = Buffer.from(buf.subarray(0, FIXED_SIZE));
    new DataView(one.buffer, one.byteOffset).setBigUint64(HEADER_OFFSETS.matchedPolicies, 1n, true);
    decodeBatch(one, (e) => expect(e.matchedPolicies).toEqual(['']));
  });
});
