// The agent's HTTP server (Tracee's --server): /metrics in Prometheus's
// text format, /healthz and /readyz. Plain node:http: three read-only
// endpoints need no framework.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_HTTP_ADDRESS, parseHttpAddress, type HttpAddress } from './address.js';
import { liveness, readiness, type Check } from './health.js';
import type { AgentMetrics } from './metrics.js';

export interface ServerOptions {
  /** Tracee's `server.http-address`, `[host]:port` ({@link parseHttpAddress}). Default {@link DEFAULT_HTTP_ADDRESS}. */
  address?: string;
  /** Serve /metrics (Tracee's `--server metrics`). */
  metrics: boolean;
  /** Serve /healthz and /readyz (Tracee's `--server healthz`). */
  healthz: boolean;
}

export interface AgentServer {
  /** Where it listens; the port is the one the kernel picked where 0 was asked. */
  readonly address: HttpAddress;
  /** Stops listening and closes every connection (a scraper's kept-alive ones too). */
  close(): Promise<void>;
}

/**
 * Listens on `options.address` and answers from `source` (its trace, read
 * at each request). Rejects with an Error naming the address and the fix
 * when it cannot listen (in use, not an address of this host, a port
 * below 1024 without privileges), or the address is malformed.
 */
export async function startServer(source: AgentMetrics, options: ServerOptions): Promise<AgentServer> {
  const address = options.address ?? DEFAULT_HTTP_ADDRESS;
  const { host, port } = parseHttpAddress(address);
  const routes = new Map<string, (res: ServerResponse) => Promise<void> | void>();
  if (options.metrics) {
    routes.set('/metrics', async (res) => {
      const text = await source.metrics();
      res.writeHead(200, { 'content-type': source.contentType }).end(text);
    });
  }
  if (options.healthz) {
    const answer = (check: Check) => (res: ServerResponse) => {
      res.writeHead(check.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(check.ok ? 'OK' : `NOT OK: ${check.reason}\n`);
    };
    routes.set('/healthz', (res) => answer(liveness(source.trace))(res));
    routes.set('/readyz', (res) => answer(readiness(source.trace))(res));
  }
  const served = [...routes.keys()].join(', ') || 'none';

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.get(path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end(`${req.method} is not served: GET ${served}\n`);
      return;
    }
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`${path} is not served here; served: ${served}\n`);
      return;
    }
    Promise.resolve()
      .then(() => route(res))
      .catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${path}: ${e instanceof Error ? e.message : String(e)}\n`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(address, e)));
    // '' listens on every address (IPv6 and IPv4 where the host has both)
    server.listen({ port, host: host === '' ? undefined : host }, resolve);
  });
  const bound = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    address: { host, port: bound.port },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/** Why the server cannot listen on `address`, with the fix. */
function listenError(address: string, e: NodeJS.ErrnoException): Error {
  const fix = 'choose another with --server http-address=HOST:PORT';
  const why =
    e.code === 'EADDRINUSE'
      ? 'the address is in use (another agent, or another server)'
      : e.code === 'EACCES'
        ? 'a port below 1024 needs root or CAP_NET_BIND_SERVICE'
        : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
          ? 'the host is not an address of this machine'
          : e.message;
  return new Error(`cannot listen on ${address}: ${why}; ${fix}`);
}

