// The text of a captured `struct sockaddr`, field by field as Tracee names
// them, each value as strace 6.1 and glibc print it. A leaf module: it imports
// nothing of the project, because the generated schema imports it.

/** A struct sockaddr as Tracee shows one (sa_family and, by family, Tracee's keys), with strace's notation where Tracee has none. */
export type Sockaddr = { sa_family: string } & Record<string, string>;

/**
 * sizeof(struct sockaddr_un): 2 + UNIX_PATH_MAX (108), include/uapi/linux/un.h.
 * The kernel refuses a longer addrlen (EINVAL) and strace prints no further
 * (print_sockaddr_data_un caps at it), so neither do we.
 */
const SOCKADDR_UN_SIZE = 110;

/**
 * Decodes the `len` bytes at `buf[at..]` of a struct sockaddr, exactly as the kernel was handed them
 * (len = the addrlen the program passed, or the kernel returned, capped at 128 = sizeof(struct sockaddr_storage)).
 * `familyName(n)` gives the header name of an address family number (AF_INET...), undefined if unknown;
 * the families are told apart by that name.
 *
 * Every value is a string. Multi-byte fields are read in the byte order the
 * uapi headers give them: ports, sin6_flowinfo and sll_protocol in network
 * order (big-endian); everything else in host order (little-endian on
 * x86_64/arm64). By family:
 * - fewer than 2 bytes (no room for a family): `{ sa_family: '', sa_data }`,
 *   sa_data the bytes there are in lowercase hex;
 * - AF_INET (linux/in.h, >= 8 bytes): `sin_port` (decimal), `sin_addr` (dotted quad);
 * - AF_INET6 (linux/in6.h, >= 24 bytes): `sin6_port`, `sin6_flowinfo` (decimal),
 *   `sin6_addr` (as glibc's inet_ntop prints it), `sin6_scopeid` (decimal;
 *   none when addrlen < 28: the kernel then reads no scope id, and strace
 *   shows none);
 * - AF_UNIX (linux/un.h): no `sun_path` when addrlen is 2 (an unnamed socket);
 *   an abstract name (first byte NUL) as `@` + the addrlen's bytes quoted as
 *   strace quotes them (`\0`, `\t`, `\"`, `\377`...), NULs included; else a
 *   path: the bytes up to the first NUL, as UTF-8;
 * - AF_NETLINK (linux/netlink.h, >= 12 bytes): `nl_pid` (decimal), `nl_groups`
 *   (8 lowercase hex digits);
 * - AF_PACKET (linux/if_packet.h, >= 20 bytes): `sll_protocol`, `sll_ifindex`,
 *   `sll_hatype`, `sll_pkttype`, `sll_halen` (decimal), `sll_addr` (the first
 *   min(halen, 8) bytes as `aa:bb:...`);
 * - any other family, or one of these with too few bytes: `{ sa_family, sa_data }`,
 *   sa_data the bytes after the family in lowercase hex (possibly empty).
 *
 * `sa_family` is familyName's name, else the number in decimal. Never throws:
 * bytes past the end of `buf` are treated as absent.
 */
export function decodeSockaddr(
  buf: Uint8Array,
  at: number,
  len: number,
  familyName: (family: number) => string | undefined,
): Sockaddr {
  const b = buf.subarray(at, at + Math.max(0, len)); // clamped to what buf holds
  const n = b.length;
  const bytes = Buffer.from(b.buffer, b.byteOffset, n);
  if (n < 2) return { sa_family: '', sa_data: bytes.toString('hex') };
  const family = bytes.readUInt16LE(0);
  const sa_family = familyName(family) ?? String(family);
  // by the header's name (familyName: the numbers are the headers', not restated here)
  switch (sa_family) {
    case 'AF_INET':
      if (n < 8) break;
      return { sa_family, sin_port: String(bytes.readUInt16BE(2)), sin_addr: b.subarray(4, 8).join('.') };
    case 'AF_INET6':
      if (n < 24) break;
      return {
        sa_family,
        sin6_port: String(bytes.readUInt16BE(2)),
        sin6_flowinfo: String(bytes.readUInt32BE(4)),
        sin6_addr: inetNtop6(b.subarray(8, 24)),
        // the kernel reads a scope id only from an addrlen of 28; strace shows none before
        ...(n < 28 ? {} : { sin6_scopeid: String(bytes.readUInt32LE(24)) }),
      };
    case 'AF_UNIX': {
      const end = Math.min(n, SOCKADDR_UN_SIZE);
      if (end === 2) return { sa_family };
      if (b[2] === 0) return { sa_family, sun_path: '@' + straceQuote(b.subarray(3, end)) };
      const nul = b.subarray(2, end).indexOf(0);
      return { sa_family, sun_path: bytes.toString('utf8', 2, nul < 0 ? end : 2 + nul) };
    }
    case 'AF_NETLINK':
      if (n < 12) break;
      return {
        sa_family,
        nl_pid: String(bytes.readUInt32LE(4)),
        nl_groups: bytes.readUInt32LE(8).toString(16).padStart(8, '0'),
      };
    case 'AF_PACKET':
      if (n < 20) break;
      return {
        sa_family,
        sll_protocol: String(bytes.readUInt16BE(2)),
        sll_ifindex: String(bytes.readInt32LE(4)),
        sll_hatype: String(bytes.readUInt16LE(8)),
        sll_pkttype: String(b[10]),
        sll_halen: String(b[11]),
        sll_addr: Array.from(b.subarray(12, 12 + Math.min(b[11], 8)), (x) => x.toString(16).padStart(2, '0')).join(':'),
      };
  }
  return { sa_family, sa_data: bytes.toString('hex', 2) };
}

/**
 * The text of 16 bytes of IPv6 address as glibc's inet_ntop(AF_INET6) writes it
 * (resolv/inet_ntop.c, inet_ntop6): lowercase hex words without leading zeros;
 * the first longest run of two or more zero words as `::`; and, when that run
 * is words 0-5, or words 0-4 followed by ffff, the last 4 bytes as a dotted
 * quad (`::1.2.3.4`, `::ffff:1.2.3.4`; `::1` has a run of 7, so stays hex).
 */
function inetNtop6(a: Uint8Array): string {
  const w = Array.from({ length: 8 }, (_, i) => (a[2 * i] << 8) | a[2 * i + 1]);
  let base = -1;
  let len = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > len) [base, len] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  if (len < 2) base = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (base >= 0 && i >= base && i < base + len) {
      if (i === base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && base === 0 && (len === 6 || (len === 5 && w[5] === 0xffff))) return out + a.subarray(12).join('.');
    out += w[i].toString(16);
  }
  return base >= 0 && base + len === 8 ? out + ':' : out;
}

/** strace's letter escapes (src/util.c, string_quote). */
const LETTER_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v' };

/**
 * Bytes as strace's string_quote quotes them by default (no -x), without the
 * surrounding quotes: printable ASCII (0x20-0x7e) as is, `"` and `\` and
 * `\f\n\r\t\v` escaped, any other byte (NUL, controls, 0x7f, >= 0x80) as an
 * octal escape in its shortest form (`\0`, `\33`, `\377`), or in 3 digits when
 * an octal digit 0-7 follows (`\0017`) so the escape cannot swallow it.
 */
function straceQuote(s: Uint8Array): string {
  let out = '';
  s.forEach((c, i) => {
    if (LETTER_ESCAPES[c] !== undefined) out += LETTER_ESCAPES[c];
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else {
      const next = s[i + 1];
      const octalNext = next !== undefined && next >= 0x30 && next <= 0x37;
      out += '\\' + c.toString(8).padStart(octalNext ? 3 : 1, '0');
    }
  });
  return out;
}
