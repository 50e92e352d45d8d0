// Unit tests of decodeSockaddr: pure bytes in, strings out; no kernel, no root.
// The IPv6 and AF_UNIX abstract-name vectors are what glibc and strace printed
// on Debian 12 (glibc 2.36, strace 6.1); how each table was produced is above it.
import { describe, expect, it } from 'vitest';
import { decodeSockaddr } from './sockaddr.js';
import { rng } from './testing/prng.js';
import { be16, le16, le32, sockaddrIn6, sockaddrLl, sockaddrUnAbstract } from './testing/sockaddr-bytes.js';

/** The families of include/linux/socket.h these tests name (the schema's CONSTANTS.socket_family gives all). */
const NAMES = new Map([
  [0, 'AF_UNSPEC'],
  [1, 'AF_UNIX'],
  [2, 'AF_INET'],
  [10, 'AF_INET6'],
  [16, 'AF_NETLINK'],
  [17, 'AF_PACKET'],
]);
const familyName = (n: number) => NAMES.get(n);

/** Decodes all of `bytes` (or its first `len`). */
const decode = (bytes: number[] | Uint8Array, len = bytes.length) => decodeSockaddr(Uint8Array.from(bytes), 0, len, familyName);

const abstract = (name: string) => sockaddrUnAbstract(1, name);
const in6 = (addrHex: string, port = 0, flowinfo = 0, scope = 0) => sockaddrIn6(10, addrHex, port, flowinfo, scope);


describe('decodeSockaddr: family and raw form', () => {
  it('fewer than 2 bytes hold no family: sa_family is empty and sa_data has the bytes there are', () => {
    expect(decode([])).toEqual({ sa_family: '', sa_data: '' });
    expect(decode([0x0a])).toEqual({ sa_family: '', sa_data: '0a' });
    expect(decode([1, 0, 0], 1)).toEqual({ sa_family: '', sa_data: '01' });
  });

  it('reads sa_family as a little-endian u16 and names it, else gives its number', () => {
    expect(decode([0x0a, 0x00])).toEqual({ sa_family: 'AF_INET6', sa_data: '' });
    expect(decode([0x00, 0x0a, 0xff])).toEqual({ sa_family: '2560', sa_data: 'ff' });
    expect(decode([...le16(45), 1, 2, 3])).toEqual({ sa_family: '45', sa_data: '010203' });
  });

  it('AF_UNSPEC and unknown families: the bytes after the family in lowercase hex', () => {
    // strace: bind(3, {sa_family=AF_UNSPEC, sa_data="\1\2\253"}, 5)
    expect(decode([0, 0, 1, 2, 0xab])).toEqual({ sa_family: 'AF_UNSPEC', sa_data: '0102ab' });
    expect(decode([0, 0])).toEqual({ sa_family: 'AF_UNSPEC', sa_data: '' });
  });

  it('a known family with too few bytes falls back to the raw form', () => {
    expect(decode([2, 0, 0, 80, 127, 0, 0])).toEqual({ sa_family: 'AF_INET', sa_data: '0050' + '7f0000' });
    expect(decode(in6('00'.repeat(16)), 23)).toEqual({ sa_family: 'AF_INET6', sa_data: '00'.repeat(21) });
    expect(decode([...le16(16), 0, 0, ...le32(1), 0, 0, 0])).toEqual({ sa_family: 'AF_NETLINK', sa_data: '0000' + '01000000' + '000000' });
    expect(decode([...le16(17), ...new Array(17).fill(0xee)])).toEqual({ sa_family: 'AF_PACKET', sa_data: 'ee'.repeat(17) });
  });

  it('reads only len bytes at `at`, and never past the end of buf', () => {
    const buf = Uint8Array.from([0xaa, 0xbb, 2, 0, 0x1f, 0x90, 192, 168, 1, 2, 0xcc]);
    expect(decodeSockaddr(buf, 2, 8, familyName)).toEqual({ sa_family: 'AF_INET', sin_port: '8080', sin_addr: '192.168.1.2' });
    expect(decodeSockaddr(buf, 2, 16, familyName)).toEqual({ sa_family: 'AF_INET', sin_port: '8080', sin_addr: '192.168.1.2' });
    expect(decodeSockaddr(buf, 4, 128, familyName)).toEqual({ sa_family: '36895', sa_data: 'c0a80102cc' });
    expect(decodeSockaddr(buf, 10, 16, familyName)).toEqual({ sa_family: '', sa_data: 'cc' });
    expect(decodeSockaddr(buf, 20, 16, familyName)).toEqual({ sa_family: '', sa_data: '' });
  });
});

describe('decodeSockaddr: AF_INET', () => {
  it('port in network order, address as a dotted quad', () => {
    // strace: bind(3, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("10.0.0.1")}, 16)
    const sin = [...le16(2), ...be16(443), 10, 0, 0, 1, ...new Array(8).fill(0)];
    expect(decode(sin)).toEqual({ sa_family: 'AF_INET', sin_port: '443', sin_addr: '10.0.0.1' });
    expect(decode(sin, 8)).toEqual({ sa_family: 'AF_INET', sin_port: '443', sin_addr: '10.0.0.1' });
    expect(decode([...le16(2), 0xff, 0xff, 255, 255, 255, 255])).toEqual({ sa_family: 'AF_INET', sin_port: '65535', sin_addr: '255.255.255.255' });
  });
});

describe('decodeSockaddr: AF_INET6', () => {
  it('port and flowinfo in network order, scope id in host order', () => {
    // strace: bind(3, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(74565),
    //   inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=7}, 28)
    const sin6 = in6('00000000000000000000000000000001', 8080, 0x12345, 7);
    expect(decode(sin6)).toEqual({ sa_family: 'AF_INET6', sin6_port: '8080', sin6_flowinfo: '74565', sin6_addr: '::1', sin6_scopeid: '7' });
    expect(decode(in6('fe800000000000000000000000000001', 1, 0xffffffff, 0xfffffffe))).toEqual({
      sa_family: 'AF_INET6',
      sin6_port: '1',
      sin6_flowinfo: '4294967295',
      sin6_addr: 'fe80::1',
      sin6_scopeid: '4294967294',
    });
  });

  it('an addrlen of 24 (SIN6_LEN_RFC2133) to 27 carries no scope id: none shown, as strace', () => {
    // strace: bind(3, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(74565),
    //   inet_pton(AF_INET6, "::1", &sin6_addr)}, 24)
    const sin6 = in6('00000000000000000000000000000001', 8080, 0x12345, 7);
    for (const len of [24, 27]) {
      expect(decode(sin6, len)).toEqual({ sa_family: 'AF_INET6', sin6_port: '8080', sin6_flowinfo: '74565', sin6_addr: '::1' });
    }
  });

  // [16 address bytes in hex, glibc's inet_ntop(AF_INET6) of them]. Produced with
  // glibc 2.36 (Debian 12) by this C program, run as `./ntop6 $(cat addresses)`:
  //   #include <arpa/inet.h>
  //   #include <stdio.h>
  //   int main(int argc, char **argv) {
  //     for (int i = 1; i < argc; i++) {
  //       unsigned char a[16]; char out[INET6_ADDRSTRLEN];
  //       for (int j = 0; j < 16; j++) sscanf(argv[i] + 2 * j, "%2hhx", &a[j]);
  //       printf("%s %s\n", argv[i], inet_ntop(AF_INET6, a, out, sizeof out));
  //     }
  //   }
  // and checked against python3 -c 'import socket; print(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(HEX)))'.
  const GLIBC_NTOP6: [string, string][] = [
  ['00000000000000000000000000000000', '::'],
  ['00000000000000000000000000000001', '::1'],
  ['00000000000000000000000000000002', '::2'],
  ['000000000000000000000000000000ff', '::ff'],
  ['00000000000000000000000000000101', '::101'],
  ['0000000000000000000000000000ffff', '::ffff'],
  ['00000000000000000000000000010000', '::0.1.0.0'],
  ['00000000000000000000000001000000', '::1.0.0.0'],
  ['00000000000000000000000001020304', '::1.2.3.4'],
  ['000000000000000000000000c0a80001', '::192.168.0.1'],
  ['00000000000000000000000000ffffff', '::0.255.255.255'],
  ['00000000000000000000ffff00000000', '::ffff:0.0.0.0'],
  ['00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
  ['00000000000000000000ffff7f000001', '::ffff:127.0.0.1'],
  ['00000000000000000000ffffffffffff', '::ffff:255.255.255.255'],
  ['00000000000000000000fffe01020304', '::fffe:102:304'],
  ['00000000000000000000000101020304', '::1:102:304'],
  ['0000000000000000ffff000001020304', '::ffff:0:102:304'],
  ['00000000000000000001000001020304', '::1:0:102:304'],
  ['000000000000000000000001ffff0000', '::1:ffff:0'],
  ['0000000000000000000000ffff010203', '::ff:ff01:203'],
  ['00000000000000000000ffff00000001', '::ffff:0.0.0.1'],
  ['20010db8000000000000000000000001', '2001:db8::1'],
  ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
  ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
  ['20010db8000100000001000000000001', '2001:db8:1:0:1::1'],
  ['20010db800000000000100000000ffff', '2001:db8::1:0:0:ffff'],
  ['20010db8000000000000000000000000', '2001:db8::'],
  ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'],
  ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
  ['20010db8000100010001000100010000', '2001:db8:1:1:1:1:1:0'],
  ['00010000000000010000000000010001', '1::1:0:0:1:1'],
  ['00010000000000010000000000000001', '1:0:0:1::1'],
  ['00000000000000010000000000000001', '::1:0:0:0:1'],
  ['00010000000000000001000000000001', '1::1:0:0:1'],
  ['fe800000000000000202b3fffe1e8329', 'fe80::202:b3ff:fe1e:8329'],
  ['ff020000000000000000000000000001', 'ff02::1'],
  ['ffffffffffffffffffffffffffffffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['00010000000000000000000000000000', '1::'],
  ['00000001000000000000000000000000', '0:1::'],
  ['00000000000100000000000000000000', '0:0:1::'],
  ['000100000000000100000000000000ff', '1:0:0:1::ff'],
  ['0001000000010000000000000000ffff', '1:0:1::ffff'],
  ['0abc00000def0000000000000000ffff', 'abc:0:def::ffff'],
  ['abcd00ef0000000000000000000a000b', 'abcd:ef::a:b'],
  ];

  it.each(GLIBC_NTOP6)('sin6_addr %s is %s, as glibc inet_ntop prints it', (hex, text) => {
    expect(decode(in6(hex)).sin6_addr).toBe(text);
  });
});

describe('decodeSockaddr: AF_UNIX', () => {
  it('an addrlen of 2 (an unnamed socket) has no sun_path', () => {
    // strace: bind(4, {sa_family=AF_UNIX}, 2)
    expect(decode(le16(1))).toEqual({ sa_family: 'AF_UNIX' });
    expect(decode([...le16(1), 0x2f, 0x61], 2)).toEqual({ sa_family: 'AF_UNIX' });
  });

  it('a path: the bytes up to the first NUL, as UTF-8', () => {
    // strace: bind(3, {sa_family=AF_UNIX, sun_path="/tmp/a"}, 11) (bytes "/tmp/a\0zz")
    expect(decode([...le16(1), ...Buffer.from('/tmp/a\0zz', 'latin1')])).toEqual({ sa_family: 'AF_UNIX', sun_path: '/tmp/a' });
    expect(decode([...le16(1), ...Buffer.from('/run/docker.sock')])).toEqual({ sa_family: 'AF_UNIX', sun_path: '/run/docker.sock' });
    expect(decode([...le16(1), ...Buffer.from('/tmp/é\n', 'utf8'), 0, 0])).toEqual({ sa_family: 'AF_UNIX', sun_path: '/tmp/é\n' });
    expect(decode([...le16(1), ...Buffer.from('/var/run/x')], 6)).toEqual({ sa_family: 'AF_UNIX', sun_path: '/var' });
  });

  it('an abstract name runs to addrlen, NULs included; an empty one is "@"', () => {
    // strace: bind(3, {sa_family=AF_UNIX, sun_path=@""}, 3)
    expect(decode(abstract(''))).toEqual({ sa_family: 'AF_UNIX', sun_path: '@' });
    expect(decode(abstract('name\0\0'), 2 + 5)).toEqual({ sa_family: 'AF_UNIX', sun_path: '@name' });
    expect(decode(abstract('ab\0cd'))).toEqual({ sa_family: 'AF_UNIX', sun_path: String.raw`@ab\0cd` });
  });

  it('reads no further than sizeof(struct sockaddr_un) = 110 bytes, as the kernel and strace', () => {
    // strace: bind(3, {sa_family=AF_UNIX, sun_path=@"y...y" (107 y)}, 128) = -1 EINVAL
    expect(decode(abstract('y'.repeat(125)))).toEqual({ sa_family: 'AF_UNIX', sun_path: '@' + 'y'.repeat(107) });
    expect(decode([...le16(1), ...Buffer.from('/' + 'p'.repeat(126))])).toEqual({ sa_family: 'AF_UNIX', sun_path: '/' + 'p'.repeat(107) });
  });

  // [the abstract name's bytes (latin1), what strace 6.1 prints in sun_path=@"..."].
  // Produced on Debian 12 with `strace -o out -e trace=bind,connect python3 prog.py` of:
  //   import socket
  //   NAMES = [
  //       b"name", b"ab\0cd", b"\0", b"\0\0\0", b"trailing\0\0", b"\0" + b"123",
  //       b"a\tb\nc\vd\fe\rf", b'back\\slash"quote\'', b"\x01", b"\x017x", b"\x018", b"\x0107",
  //       b"\x1b[0m", b"\x1b", b"\x07\x08", b"\x7f", b"\x7f0", b"\n0", b"\x80\xff", b"\xc3\xa9t\xc3\xa9",
  //       b"\xff7", b"\x009", b"sp ace?%#", b"x" * 107,
  //   ]
  //   for n in NAMES:
  //       s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  //       s.bind(b"\0" + n)
  //       s.close()
  //   c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  //   try: c.connect(b"\0no\0such\tpeer\x01")
  //   except OSError: pass
  // e.g. `bind(3, {sa_family=AF_UNIX, sun_path=@"\0017x"}, 6) = 0`: an escape is
  // 3 digits only before an octal digit 0-7 (`\18`, `\09` stay short).
  const STRACE_ABSTRACT: [string, string][] = [
  ['name', String.raw`name`],
  ['ab\x00cd', String.raw`ab\0cd`],
  ['\x00', String.raw`\0`],
  ['\x00\x00\x00', String.raw`\0\0\0`],
  ['trailing\x00\x00', String.raw`trailing\0\0`],
  ['\x00123', String.raw`\000123`],
  ['a\x09b\x0ac\x0bd\x0ce\x0df', String.raw`a\tb\nc\vd\fe\rf`],
  ['back\\slash"quote\'', String.raw`back\\slash\"quote'`],
  ['\x01', String.raw`\1`],
  ['\x017x', String.raw`\0017x`],
  ['\x018', String.raw`\18`],
  ['\x0107', String.raw`\00107`],
  ['\x1b[0m', String.raw`\33[0m`],
  ['\x1b', String.raw`\33`],
  ['\x07\x08', String.raw`\7\10`],
  ['\x7f', String.raw`\177`],
  ['\x7f0', String.raw`\1770`],
  ['\x0a0', String.raw`\n0`],
  ['\x80\xff', String.raw`\200\377`],
  ['\xc3\xa9t\xc3\xa9', String.raw`\303\251t\303\251`],
  ['\xff7', String.raw`\3777`],
  ['\x009', String.raw`\09`],
  ['sp ace?%#', String.raw`sp ace?%#`],
  ['x'.repeat(107), 'x'.repeat(107)],
  ['no\x00such\x09peer\x01', String.raw`no\0such\tpeer\1`],
  ];

  it.each(STRACE_ABSTRACT)('abstract name %j is @%s, quoted as strace quotes it', (name, text) => {
    expect(decode(abstract(name))).toEqual({ sa_family: 'AF_UNIX', sun_path: '@' + text });
  });
});

describe('decodeSockaddr: AF_NETLINK', () => {
  it('nl_pid in decimal, nl_groups as 8 hex digits', () => {
    // strace: bind(3, {sa_family=AF_NETLINK, nl_pid=4242, nl_groups=0x00001f}, 12)
    expect(decode([...le16(16), 0, 0, ...le32(4242), ...le32(0x1f)])).toEqual({ sa_family: 'AF_NETLINK', nl_pid: '4242', nl_groups: '0000001f' });
    expect(decode([...le16(16), 0, 0, ...le32(0), ...le32(0)])).toEqual({ sa_family: 'AF_NETLINK', nl_pid: '0', nl_groups: '00000000' });
    expect(decode([...le16(16), 0, 0, ...le32(0xffffffff), ...le32(0xdeadbeef)])).toEqual({ sa_family: 'AF_NETLINK', nl_pid: '4294967295', nl_groups: 'deadbeef' });
  });
});

describe('decodeSockaddr: AF_PACKET', () => {
  const ll = (protocol: number, ifindex: number, hatype: number, pkttype: number, halen: number, addr: number[]) => sockaddrLl(17, protocol, ifindex, hatype, pkttype, halen, addr);

  it('protocol in network order, the rest in host order, halen bytes of address', () => {
    // strace: bind(3, {sa_family=AF_PACKET, sll_protocol=htons(ETH_P_ALL), sll_ifindex=if_nametoindex("lo"),
    //   sll_hatype=ARPHRD_ETHER, sll_pkttype=PACKET_OUTGOING, sll_halen=6, sll_addr=[0xde, 0xad, 0xbe, 0xef, 00, 0x1]}, 20)
    expect(decode(ll(3, 1, 1, 4, 6, [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0xaa, 0xbb]))).toEqual({
      sa_family: 'AF_PACKET',
      sll_protocol: '3',
      sll_ifindex: '1',
      sll_hatype: '1',
      sll_pkttype: '4',
      sll_halen: '6',
      sll_addr: 'de:ad:be:ef:00:01',
    });
  });

  it('sll_addr holds at most 8 bytes whatever halen says; ifindex is signed', () => {
    const a = decode(ll(0x86dd, -1, 0xfffe, 255, 200, [1, 2, 3, 4, 5, 6, 7, 8]));
    expect(a).toMatchObject({ sll_protocol: '34525', sll_ifindex: '-1', sll_hatype: '65534', sll_pkttype: '255', sll_halen: '200', sll_addr: '01:02:03:04:05:06:07:08' });
    expect(decode(ll(0, 0, 0, 0, 0, [9, 9])).sll_addr).toBe('');
  });
});

describe('decodeSockaddr on random bytes', () => {
  it('5,000 random byte arrays of random length 0..130, random families and lengths, never throw and give strings', () => {
    const rand = rng(11);
    const families = [0, 1, 2, 10, 16, 17, 45, 0xffff];
    for (let n = 0; n < 5_000; n++) {
      const bytes = new Uint8Array(Math.floor(rand() * 131));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
      if (bytes.length >= 2 && rand() < 0.8) bytes.set(le16(families[Math.floor(rand() * families.length)]));
      if (bytes.length >= 3 && rand() < 0.3) bytes[2] = 0; // an abstract AF_UNIX name
      const at = rand() < 0.8 ? 0 : Math.floor(rand() * 8);
      const len = rand() < 0.7 ? bytes.length - at : Math.floor(rand() * 140);
      const sa = decodeSockaddr(bytes, at, len, familyName);
      expect(typeof sa.sa_family).toBe('string');
      for (const v of Object.values(sa)) expect(typeof v).toBe('string');
      if (sa.sa_family !== '' && sa.sa_family !== 'AF_UNIX') expect(Object.keys(sa).length).toBeGreaterThan(1);
    }
  });
});
