// Tracee's `webhook` destination: events POSTed as JSON to a URL. Tracee
// posts one event per request; we post batches (a request per event cannot
// keep up with a trace), a few requests at a time, each retried with
// exponential backoff and jitter, out of the destination's bounded queue: a
// slow or dead receiver never stalls the tracer, what cannot be sent is
// dropped and counted.
import { setTimeout as sleep } from 'node:timers/promises';
import { TraceeError, traceeJson, type TraceeEvent } from '@tracee/core';
import { parseDuration } from '../format.js';
import type { Destination, DestinationStats, JsonLines } from './destination.js';
import { DeliveryQueue, finishedWithin, type Batch, type QueueBound } from './queue.js';

/** Defaults of {@link WebhookDestinationOptions} (ours: Tracee's webhook posts one event per request). */
export const WEBHOOK_DEFAULTS = {
  timeoutMs: 10_000,
  attempts: 5,
  backoffMs: 500,
  maxBackoffMs: 30_000,
  batchEvents: 1000,
  batchBytes: 4 * 1024 * 1024,
  requestsInFlight: 2,
} as const;

/** Answers worth another attempt: timeouts, rate limits and the server's own errors; any other 4xx would be answered the same again. */
const RETRIED = (status: number) => status >= 500 || status === 408 || status === 425 || status === 429;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** An HTTP header value fetch sends as it is (RFC 9110 field-value: no CR, LF, NUL or other controls; Latin-1). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export interface WebhookDestinationOptions {
  /** Its name in the configuration. */
  name: string;
  /**
   * Where to POST: an http: or https: URL; credentials in it
   * (`http://user:pass@host/`) are sent as Basic authorization. Tracee's
   * query parameters are read as Tracee reads them: `timeout` (`5s`; where
   * `timeoutMs` is not given) and `contentType` (the Content-Type header).
   */
  url: string;
  /** Only `json` (Tracee's webhook also takes a Go template, which we do not). */
  format?: 'json';
  /** Headers sent with every request (an API key, say): their values are never logged nor put in errors. */
  headers?: Record<string, string>;
  /** Per attempt, from sending to the whole answer, in ms (Tracee's default, 10 s). */
  timeoutMs?: number;
  /** Attempts per batch before its events are dropped (1: no retry). */
  attempts?: number;
  /** The wait before the first retry, in ms; doubled for each next one, up to `maxBackoffMs`; each wait is drawn in [d/2, d) (jitter, so receivers coming back are not hit by every agent at once). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Most events per request. */
  batchEvents?: number;
  /** Most bytes of events per request (a single larger event still goes alone). */
  batchBytes?: number;
  /**
   * Requests in flight at most, retries included: while one waits for its
   * answer (or its backoff), the next batches are posted, so batches may
   * arrive out of order (each event still in the order written within its
   * batch). Default 2: one request at a time held a receiver answering in
   * ~1 ms to ~98 k events/s here, dropping ~2 %; 4 delivered more at 300 k/s
   * offered but kept the event loop busy enough that the kernel ring lost
   * events in 2 of 4 runs, 2 in none (docs/performance.md). 1: strictly in order.
   */
  requestsInFlight?: number;
  /** Argument values as people read them (`O_RDONLY|O_CLOEXEC`), as `--parse-arguments`. */
  parseArguments?: boolean;
  /** The queue's bound (default: DEFAULT_QUEUE_EVENTS events, DEFAULT_QUEUE_BYTES bytes of JSON, from queue.ts). */
  queue?: Partial<QueueBound>;
}

/**
 * Tracee's `webhook` destination, batched. Each request is a POST to `url`
 * with `Content-Type: application/json` and a body that is a JSON array of
 * events, each Tracee's event object (`traceeJson`: what a `json` file
 * destination writes per line), in the order written; up to
 * `requestsInFlight` requests are in flight at a time, so batches may
 * arrive out of order (a batch retried arrives after later ones).
 *
 * Counters ({@link DestinationStats}): an event is `sent` when its batch was
 * answered 2xx; `failed` counts attempts that were not (an HTTP error, a
 * timeout, a refused or reset connection); an event is `dropped` when the
 * queue was full, or its batch ran out of attempts or got a 4xx that is not
 * retried (408, 425 and 429 are), or close() ran out of time. A receiver
 * that took a request but did not answer in time may have it, and get it
 * again on the retry: `sent` counts only what was acknowledged.
 */
export class WebhookDestination implements Destination {
  readonly name: string;
  readonly type = 'webhook' as const;
  /** The URL without its credentials (safe to show). */
  readonly url: string;
  /** Why the last attempt failed (`HTTP 503`, `ECONNREFUSED`, `timeout`), without headers or credentials. */
  lastError: string | undefined;
  readonly #settings: Required<Omit<WebhookDestinationOptions, 'name' | 'url' | 'format' | 'headers' | 'parseArguments' | 'queue'>>;
  readonly #headers: Headers;
  readonly #queue: DeliveryQueue<string>;
  readonly #parseArguments: boolean;
  /** Aborts the request or the backoff under way when close() runs out of time. */
  readonly #abort = new AbortController();
  /** The senders posting now, each one request (and its retries) at a time. */
  readonly #senders = new Set<Promise<void>>();
  /** The batches of the requests in flight. */
  readonly #current = new Set<Batch<string>>();
  #closing: Promise<void> | undefined;

  /** Throws a TraceeError (`EINVAL`) for a URL, header or setting it cannot use, naming it (never a header's value). */
  constructor(options: WebhookDestinationOptions) {
    this.name = options.name;
    const fail = (what: string) => new TraceeError('EINVAL', `destination ${this.name}: ${what}`);
    if ((options.format ?? 'json') !== 'json') throw fail(`a webhook posts JSON: format ${options.format} is for file destinations`);
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw fail(`url is not a URL (e.g. http://127.0.0.1:8080/events)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`url must be http: or https:, not ${url.protocol}`);
    this.#headers = new Headers({ 'content-type': 'application/json' });
    // fetch refuses URLs with credentials: they become the header they stand for
    if (url.username || url.password) {
      this.#headers.set('authorization', 'Basic ' + Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64'));
      url.username = url.password = '';
    }
    this.url = url.href;
    // Tracee's settings in the URL's query (sent on with it, as Tracee does)
    const contentType = url.searchParams.get('contentType');
    if (contentType) this.#headers.set('content-type', contentType);
    let urlTimeoutMs: number | undefined;
    const timeout = url.searchParams.get('timeout');
    if (timeout) {
      try {
        urlTimeoutMs = parseDuration(timeout);
      } catch (e) {
        throw fail(`url's timeout: ${(e as Error).message}`);
      }
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (!HEADER_NAME.test(name)) throw fail(`header name ${JSON.stringify(name)} is not a valid HTTP header name`);
      // what fetch refuses, refused here without its words (they could quote the value)
      if (typeof value !== 'string' || !HEADER_VALUE.test(value)) throw fail(`header ${name}: its value must be a string without control characters (CR, LF, NUL...) or characters past Latin-1`);
      this.#headers.set(name, value);
    }
    this.#settings = {
      timeoutMs: options.timeoutMs ?? urlTimeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs,
      attempts: options.attempts ?? WEBHOOK_DEFAULTS.attempts,
      backoffMs: options.backoffMs ?? WEBHOOK_DEFAULTS.backoffMs,
      maxBackoffMs: options.maxBackoffMs ?? WEBHOOK_DEFAULTS.maxBackoffMs,
      batchEvents: options.batchEvents ?? WEBHOOK_DEFAULTS.batchEvents,
      batchBytes: options.batchBytes ?? WEBHOOK_DEFAULTS.batchBytes,
      requestsInFlight: options.requestsInFlight ?? WEBHOOK_DEFAULTS.requestsInFlight,
    };
    for (const [key, n] of Object.entries(this.#settings)) {
      // waits may be 0; counts and the timeout may not
      const least = key.endsWith('ackoffMs') ? 0 : 1;
      if (!Number.isSafeInteger(n) || n < least) throw fail(`${key} must be a whole number ≥ ${least}, not ${n}`);
    }
    this.#parseArguments = options.parseArguments ?? false;
    this.#queue = new DeliveryQueue(options.queue, (json) => Buffer.byteLength(json));
  }

  write(events: readonly TraceeEvent[], json?: JsonLines): void {
    if (this.#closing) return this.#queue.reject(events.length);
    const lines = json?.parseArguments === this.#parseArguments ? json.lines : undefined;
    if (lines) for (let i = 0; i < events.length; i++) this.#queue.offer(() => lines[i]);
    else for (const e of events) this.#queue.offer(() => traceeJson(e, { parseArguments: this.#parseArguments }));
    // a sender per batch waiting, up to requestsInFlight
    for (let n = Math.min(this.#settings.requestsInFlight - this.#senders.size, Math.ceil(this.#queue.waiting / this.#settings.batchEvents)); n > 0; n--) {
      const sender: Promise<void> = this.#send().finally(() => this.#senders.delete(sender));
      this.#senders.add(sender);
    }
  }

  stats(): DestinationStats {
    return this.#queue.stats();
  }

  /** Nothing to reopen: each request stands alone. */
  reopen(): void {}

  /**
   * Sends what is queued (retries included) for at most `timeoutMs`; then
   * aborts the request or wait under way and counts what is still queued as
   * dropped. Idempotent.
   */
  close(timeoutMs: number): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    // no sender starts after this (write() drops): these are the last
    const sending = Promise.all(this.#senders);
    if (this.#senders.size === 0 || (await finishedWithin(sending, timeoutMs))) return;
    this.#abort.abort();
    this.#queue.dropWaiting();
    for (const batch of this.#current) if (!batch.settled) this.#queue.drop(batch);
    // the aborted requests settle at once
    await sending;
  }

  /** Posts batches, one request at a time, while events wait. */
  async #send(): Promise<void> {
    while (this.#queue.waiting > 0 && !this.#abort.signal.aborted) {
      const batch = this.#queue.take(this.#settings.batchEvents, this.#settings.batchBytes);
      this.#current.add(batch);
      const ok = await this.#post('[' + batch.items.join(',') + ']');
      if (!batch.settled) this.#queue.settle(batch, ok ? batch.items.length : 0);
      this.#current.delete(batch);
    }
  }

  /** One batch, with its retries: whether a 2xx answered it. */
  async #post(body: string): Promise<boolean> {
    const { timeoutMs, attempts, backoffMs, maxBackoffMs } = this.#settings;
    for (let attempt = 1; ; attempt++) {
      let retry = true;
      // The attempt's own controller and timer, not AbortSignal.any([AbortSignal.timeout(), ...]):
      // Node 20 may collect the timeout signal before it fires (nodejs/node#57736: seen here,
      // an attempt that never timed out), and any() leaves a listener on its sources per call.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new DOMException(`no answer in ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
      const onClose = () => abort.abort(this.#abort.signal.reason);
      this.#abort.signal.addEventListener('abort', onClose);
      try {
        const response = await fetch(this.url, { method: 'POST', headers: this.#headers, body, signal: abort.signal });
        // read the answer out, so the connection can carry the next request
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return true;
        this.lastError = `HTTP ${response.status}`;
        retry = RETRIED(response.status);
      } catch (e) {
        if (this.#abort.signal.aborted) return false;
        this.lastError = errorName(e);
      } finally {
        clearTimeout(timer);
        this.#abort.signal.removeEventListener('abort', onClose);
      }
      this.#queue.failed();
      if (!retry || attempt >= attempts) return false;
      const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      try {
        await sleep(delay / 2 + (Math.random() * delay) / 2, undefined, { signal: this.#abort.signal });
      } catch {
        return false;
      }
    }
  }
}

/** What failed, as a word: the errno code of the connection (`ECONNREFUSED`), `timeout`, or the error's name. */
function errorName(e: unknown): string {
  const error = e as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError') return 'timeout';
  // fetch's own refusals have no code: `bad port` (a port the fetch
  // standard blocks, e.g. 1, 6000), an unsupported scheme...
  return error.cause?.code ?? (error.cause?.message ? `${error.name}: ${error.cause.message}` : `${error.name}: ${error.message}`);
}
