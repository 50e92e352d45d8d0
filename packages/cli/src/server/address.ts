// The agent's HTTP address, as Tracee's `server.http-address` gives it:
// `[host]:port`, an empty host meaning every address of the host.

/**
 * The default `server.http-address`: Tracee's port, 3366, on the loopback
 * address only (Tracee's listens on every address: ours is reached from
 * elsewhere only when asked, e.g. `:3366` for a kubelet's probes).
 */
export const DEFAULT_HTTP_ADDRESS = '127.0.0.1:3366';

/** Where to listen: `host` '' for every address (IPv6 and IPv4); `port` 0 for one the kernel picks. */
export interface HttpAddress {
  host: string;
  port: number;
}

/**
 * Parses `[host]:port` (`:3366`, `127.0.0.1:3366`, `[::1]:3366`,
 * `localhost:0`). Throws an Error naming the value and the form expected.
 */
export function parseHttpAddress(address: string): HttpAddress {
  const bad = (why: string): Error => new Error(`server.http-address '${address}': ${why} (expected [host]:port, e.g. ${DEFAULT_HTTP_ADDRESS}, or :3366 for every address)`);
  const colon = address.lastIndexOf(':');
  if (colon < 0) throw bad('no port');
  let host = address.slice(0, colon);
  const port = address.slice(colon + 1);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw bad(`port '${port}' is not a number from 0 to 65535`);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) throw bad('an IPv6 host goes in brackets, e.g. [::1]:3366');
  if (/[\s/[\]]/.test(host)) throw bad(`host '${host}' is not a host name or address`);
  return { host, port: Number(port) };
}

/** `address` as a person types it back (`127.0.0.1:3366`, `[::1]:3366`, `:3366`). */
export function formatHttpAddress({ host, port }: HttpAddress): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
