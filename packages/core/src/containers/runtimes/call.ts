import { existsSync } from 'node:fs';
import { ContainerRuntimeError, type ContainerRuntimeErrorCode, type RuntimeName } from './types.js';

/** What serves each runtime's socket, for the messages. */
const DAEMON: Record<RuntimeName, string> = {
  docker: 'dockerd',
  containerd: 'containerd',
  crio: 'crio',
  podman: "podman's API service (podman system service)",
};

/** The option that points tracee-rs at another socket (Tracee's `--enrichment` keys). */
export function socketOption(runtime: RuntimeName): string {
  return `--enrichment container.${runtime}.socket=PATH`;
}

/** The one-line error for `code`; `detail` is the runtime's own words (RUNTIME_FAILED) or the timeout in ms. */
export function runtimeError(code: ContainerRuntimeErrorCode, runtime: RuntimeName, socket: string, detail = ''): ContainerRuntimeError {
  const fix = `point at another socket with ${socketOption(runtime)}`;
  const text = {
    RUNTIME_NO_SOCKET: `containers: no ${runtime} socket at ${socket} (is ${DAEMON[runtime]} running? ${fix})`,
    RUNTIME_REFUSED: `containers: ${runtime} at ${socket} refused the connection (is ${DAEMON[runtime]} running? ${fix})`,
    RUNTIME_TIMEOUT: `containers: ${runtime} at ${socket} did not answer within ${detail} ms (it hangs or is overloaded; ${fix} or raise the timeout)`,
    RUNTIME_FAILED: `containers: ${runtime} at ${socket} failed: ${detail.split('\n')[0]}`,
  }[code];
  return new ContainerRuntimeError(code, runtime, socket, text);
}

/**
 * Runs one API call within `timeoutMs`: `fn` gets a signal that aborts at
 * the deadline or when `signal` aborts, and must stop its request then.
 * Errors come back as {@link ContainerRuntimeError}s (connect's ENOENT and
 * ECONNREFUSED, in Node's and gRPC's wording, and the deadline), except
 * `signal`'s own abort, which rejects with its reason (an AbortError).
 */
export async function bounded<T>(
  runtime: RuntimeName,
  socket: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  signal?.throwIfAborted();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const both = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
  try {
    // the deadline wins over a call that ignores the signal
    return await new Promise<T>((resolve, reject) => {
      both.addEventListener('abort', () => reject(both.reason), { once: true });
      fn(both).then(resolve, reject);
    });
  } catch (e) {
    if (e instanceof ContainerRuntimeError) throw e;
    if (signal?.aborted) throw signal.reason;
    if (deadline.signal.aborted) throw runtimeError('RUNTIME_TIMEOUT', runtime, socket, String(timeoutMs));
    const text = e instanceof Error ? `${e.message} ${(e as { code?: unknown }).code ?? ''}` : String(e);
    // asked of the file system, not of the error's words: gRPC's channel, shared by the clients of
    // one socket, says only "No connection established" while it waits to retry
    if (/\bENOENT\b/.test(text) || !existsSync(socket)) throw runtimeError('RUNTIME_NO_SOCKET', runtime, socket);
    // Node's connect error; gRPC's status 14 UNAVAILABLE (no connection to a socket that exists)
    if (/\bECONNREFUSED\b|^14 UNAVAILABLE/.test(text)) throw runtimeError('RUNTIME_REFUSED', runtime, socket);
    throw runtimeError('RUNTIME_FAILED', runtime, socket, e instanceof Error ? e.message : String(e));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An RFC 3339 time with up to ns (`2026-12-01T03:55:23.285169085Z`, as
 * Docker and Podman give `Created`) in ns since the epoch; undefined for
 * an unparsable one or Go's zero time.
 */
export function rfc3339Ns(text: string | undefined): number | undefined {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text ?? '');
  if (!m) return undefined;
  const ms = Date.parse(m[1] + m[3]);
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return ms * 1e6 + Number((m[2] ?? '').padEnd(9, '0').slice(0, 9));
}
