// The thread of a `webhook` destination (webhook.ts starts one per
// destination, at its first request): it makes the HTTP requests, with
// their per-attempt timeouts, retries and backoff, so that fetch's work
// (encoding and writing megabytes of JSON a second, reading the answers)
// runs beside the event loop that pulls the tracer's batches, never on it.
// On the event loop it held the loop busy enough at 300 k events/s offered
// that the kernel's ring lost records (docs/performance.md). The
// destination's thread keeps the queue, the batching and the counters; it
// posts each batch's body here and this thread answers whether a 2xx took
// it. It runs at a lower priority than the tracer's thread (SENDER_NICE):
// on a busy CPU the kernel ring is drained first, and what the requests
// cannot keep up with is dropped (counted) at the destination's queue.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';

/** What the destination gives its sender thread (its workerData). */
export interface SenderSettings {
  /** Says the thread is a webhook's sender (a module importing this one on another thread runs nothing). */
  role: 'webhook-sender';
  /** The thread's nice value above its starter's (destination.ts: SENDER_NICE). */
  nice: number;
  /** Where to POST, without credentials (they are in `headers`). */
  url: string;
  /** Every request's headers, as name/value pairs; never logged, never in an error. */
  headers: [string, string][];
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

/** Messages to the sender thread. */
export type ToSender =
  /** POST `body` (with the attempts the settings allow) and answer `result` for `id`. */
  | { type: 'post'; id: number; body: string }
  /** Abort every request and backoff under way: each answers `result` not ok. */
  | { type: 'abort' };

/** Messages from the sender thread. */
export type FromSender =
  /** Started: its thread id in the kernel (`/proc/self/task/TID`). */
  | { type: 'ready'; tid: number }
  /** One attempt of `id` failed, for `error` (`HTTP 503`, `ECONNREFUSED`, `timeout`): counted in the destination's `failed`. */
  | { type: 'attempt-failed'; id: number; error: string }
  /** `id` ended: a 2xx answered it (ok), or its attempts ran out, a 4xx refused it, or it was aborted. */
  | { type: 'result'; id: number; ok: boolean };

/** Answers worth another attempt: timeouts, rate limits and the server's own errors; any other 4xx would be answered the same again. */
const RETRIED = (status: number) => status >= 500 || status === 408 || status === 425 || status === 429;

const port = parentPort;
const settings = workerData as SenderSettings | undefined;
if (port && settings?.role === 'webhook-sender') {
  // this thread only (setpriority(PRIO_PROCESS, 0) is the calling thread's on
  // Linux), `nice` above the thread that started it; where refused, at its
  try {
    setPriority(Math.min(19, getPriority() + settings.nice));
  } catch {
    // kept at the process's priority
  }
  const headers = new Headers(settings.headers);
  let closing = new AbortController();
  const post = (m: FromSender) => port.postMessage(m);

  /** One batch, with its retries: whether a 2xx answered it. */
  const send = async (id: number, body: string, aborted: AbortSignal): Promise<boolean> => {
    const { timeoutMs, attempts, backoffMs, maxBackoffMs } = settings;
    for (let attempt = 1; ; attempt++) {
      let retry = true;
      // The attempt's own controller and timer, not AbortSignal.any([AbortSignal.timeout(), ...]):
      // Node 20 may collect the timeout signal before it fires (nodejs/node#57736: seen here,
      // an attempt that never timed out), and any() leaves a listener on its sources per call.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new DOMException(`no answer in ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
      const onAbort = () => abort.abort(aborted.reason);
      aborted.addEventListener('abort', onAbort);
      try {
        const response = await fetch(settings.url, { method: 'POST', headers, body, signal: abort.signal });
        // read the answer out, so the connection can carry the next request
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return true;
        post({ type: 'attempt-failed', id, error: `HTTP ${response.status}` });
        retry = RETRIED(response.status);
      } catch (e) {
        if (aborted.aborted) return false;
        post({ type: 'attempt-failed', id, error: errorName(e) });
      } finally {
        clearTimeout(timer);
        aborted.removeEventListener('abort', onAbort);
      }
      if (!retry || attempt >= attempts) return false;
      const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      try {
        await sleep(delay / 2 + (Math.random() * delay) / 2, undefined, { signal: aborted });
      } catch {
        return false;
      }
    }
  };

  port.on('message', (m: ToSender) => {
    if (m.type === 'abort') {
      closing.abort();
      closing = new AbortController();
      return;
    }
    send(m.id, m.body, closing.signal).then(
      (ok) => post({ type: 'result', id: m.id, ok }),
      () => post({ type: 'result', id: m.id, ok: false }),
    );
  });
  // /proc/thread-self is /proc/PID/task/TID
  post({ type: 'ready', tid: Number(readlinkSync('/proc/thread-self').split('/').pop()) });
}

/** What failed, as a word: the errno code of the connection (`ECONNREFUSED`), `timeout`, or the error's name. */
export function errorName(e: unknown): string {
  const error = e as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError') return 'timeout';
  // fetch's own refusals have no code: `bad port` (a port the fetch
  // standard blocks, e.g. 1, 6000), an unsupported scheme...
  return error.cause?.code ?? (error.cause?.message ? `${error.name}: ${error.cause.message}` : `${error.name}: ${error.message}`);
}
