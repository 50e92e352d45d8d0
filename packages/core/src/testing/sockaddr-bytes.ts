// Struct sockaddrs byte by byte, as a program hands them to the kernel
// (include/uapi/linux/{in,in6,un,netlink,if_packet}.h), for tests. Family
// numbers are the caller's: the generated schema's CONSTANTS.socket_family,
// or a test's own table where it must not depend on the build.

/** Little-endian (host order on x86_64 and arm64) and big-endian (network order) bytes. */
export const le16 = (x: number) => [x & 0xff, (x >> 8) & 0xff];
export const be16 = (x: number) => le16(x).reverse();
export const le32 = (x: number) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24];
export const be32 = (x: number) => le32(x).reverse();
export const hexBytes = (h: string) => [...Buffer.from(h, 'hex')];

/** A sockaddr_in (linux/in.h): family, port, address, 8 bytes of zero padding. */
export const sockaddrIn = (family: number, port: number, addr: [number, number, number, number]) => [...le16(family), ...be16(port), ...addr, ...new Array(8).fill(0)];

/** A sockaddr_in6 (linux/in6.h): family, port, flowinfo, 16 address bytes, scope id. */
export const sockaddrIn6 = (family: number, addrHex: string, port = 0, flowinfo = 0, scope = 0) => [
  ...le16(family), ...be16(port), ...be32(flowinfo), ...hexBytes(addrHex), ...le32(scope),
];

/** A sockaddr_un (linux/un.h) of a path, its NUL included. */
export const sockaddrUn = (family: number, path: string) => [...le16(family), ...Buffer.from(path), 0];

/** A sockaddr_un of an abstract name: family, the NUL, the name (a latin1 string: one char per byte). */
export const sockaddrUnAbstract = (family: number, name: string) => [...le16(family), 0, ...Buffer.from(name, 'latin1')];

/** A sockaddr_nl (linux/netlink.h): family, 2 bytes of padding, port id, groups. */
export const sockaddrNl = (family: number, pid: number, groups: number) => [...le16(family), 0, 0, ...le32(pid), ...le32(groups)];

/** A sockaddr_ll (linux/if_packet.h); `addr` at most 8 bytes. */
export const sockaddrLl = (family: number, protocol: number, ifindex: number, hatype: number, pkttype: number, halen: number, addr: number[]) => [
  ...le16(family), ...be16(protocol), ...le32(ifindex >>> 0), ...le16(hatype), pkttype, halen, ...addr, ...new Array(8 - addr.length).fill(0),
];
