import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_ADDRESS, formatHttpAddress, parseHttpAddress } from './address.js';

describe('server.http-address', () => {
  it("takes Tracee's forms: no host (every address), an IPv4 or IPv6 address, a name; port 0 for any", () => {
    expect(parseHttpAddress(DEFAULT_HTTP_ADDRESS)).toEqual({ host: '127.0.0.1', port: 3366 });
    expect(parseHttpAddress(':3366')).toEqual({ host: '', port: 3366 });
    expect(parseHttpAddress('127.0.0.1:3366')).toEqual({ host: '127.0.0.1', port: 3366 });
    expect(parseHttpAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseHttpAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
  });

  it('refuses what is not [host]:port, naming the value and the form', () => {
    expect(() => parseHttpAddress('3366')).toThrow("server.http-address '3366': no port (expected [host]:port, e.g. 127.0.0.1:3366, or :3366 for every address)");
    expect(() => parseHttpAddress('127.0.0.1:70000')).toThrow("port '70000' is not a number from 0 to 65535");
    expect(() => parseHttpAddress('127.0.0.1:')).toThrow("port '' is not a number");
    expect(() => parseHttpAddress('::1:3366')).toThrow('an IPv6 host goes in brackets, e.g. [::1]:3366');
    expect(() => parseHttpAddress('a/b:1')).toThrow("host 'a/b' is not a host name or address");
  });

  it('formats back what it parses', () => {
    for (const a of [DEFAULT_HTTP_ADDRESS, '127.0.0.1:3366', '[::1]:9000']) expect(formatHttpAddress(parseHttpAddress(a))).toBe(a);
  });
});
