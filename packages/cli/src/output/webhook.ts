// Tracee's `webhook` destination: events POSTed as JSON to a URL. Tracee
// posts one event per request; we post batches (a request per event cannot
// keep up with a trace), a few requests at a time, each retried with
// exponential backoff and jitter, out of the destination's bounded queue: a
// slow or dead receiver never stalls the tracer, what cannot be sent is
// dropped and counted. The requests are made on the destination's own
// thread (webhook-worker.ts, at a lower priority than the tracer's).
import { Worker } from 'node:worker_threads';
import { TraceeError, traceeJson, type TraceeEvent } from '@tracee/core';
import { parseDuration } from '../format.js';
import { PACKAGE, SENDER_NICE, type Destination, type DestinationStats, type JsonLines } from './destination.js';
import { DeliveryQueue, finishedWithin, type Batch, type QueueBound } from './queue.js';
import type { FromSender, SenderSettings, ToSender } from './webhook-worker.js';

/**
 * The sender thread's script: webhook-worker.js next to this module; run
 * from its sources (vitest), the built one (`npm run build`), as Node 20
 * runs no TypeScript in a Worker.
 */
const SENDER_THREAD = import.meta.url.endsWith('.ts') ? new URL('../../dist/output/webhook-worker.js', import.meta.url) : new URL('./webhook-worker.js', import.meta.url);

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
   * ~1 ms to ~98 k events/s here, dropping ~2 % (docs/performance.md).
   * 1: strictly in order.
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
 *
 * The requests are made on the destination's own thread (webhook-worker.ts,
 * started at the first request, at SENDER_NICE above the caller's): each
 * batch's body is posted there (a copy), and it answers whether a 2xx took
 * it. If that thread fails, what is queued and in flight is dropped, and so
 * is everything written after; `lastError` says why.
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
  /** close() ran out of time: the requests under way were aborted, no more are made. */
  #aborted = false;
  /** The sender thread (started at the first request). */
  #worker: Worker | undefined;
  /** The sender thread's id in the kernel, once it started. */
  #tid: number | undefined;
  /** Resolved when the sender thread has exited. */
  #exited: Promise<void> = Promise.resolve();
  /** close() ends the thread: its exit is not a failure. */
  #ending = false;
  /** The sender thread failed: set once. */
  #failed = false;
  /** The requests posted to the sender thread, by id: what to call with its result. */
  readonly #requests = new Map<number, (ok: boolean) => void>();
  #nextId = 0;
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
    // who is posting, for the receiver's logs (fetch's own is `node`); the headers given may replace it
    this.#headers = new Headers({ 'content-type': 'application/json', 'user-agent': `${PACKAGE.name}/${PACKAGE.version}` });
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

  /** The sender thread's id in the kernel (`/proc/self/task/TID`) once it started; it is gone after close(). */
  get senderTid(): number | undefined {
    return this.#tid;
  }

  /** Nothing to reopen: each request stands alone. */
  reopen(): void {}

  /**
   * Sends what is queued (retries included) for at most `timeoutMs`; then
   * aborts the request or wait under way and counts what is still queued as
   * dropped; then ends the sender thread. Idempotent.
   */
  close(timeoutMs: number): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    // no sender starts after this (write() drops): these are the last
    const sending = Promise.all(this.#senders);
    if (this.#senders.size > 0 && !(await finishedWithin(sending, timeoutMs))) {
      this.#aborted = true;
      this.#worker?.postMessage({ type: 'abort' } satisfies ToSender);
      this.#queue.dropWaiting();
      for (const batch of this.#current) if (!batch.settled) this.#queue.drop(batch);
      // the aborted requests settle now, without waiting for the thread's answers (ignored when they come)
      for (const resolve of this.#requests.values()) resolve(false);
      this.#requests.clear();
      await sending;
    }
    this.#ending = true;
    await this.#worker?.terminate();
    await this.#exited;
  }

  /** Posts batches, one request at a time, while events wait. */
  async #send(): Promise<void> {
    while (this.#queue.waiting > 0 && !this.#aborted) {
      const batch = this.#queue.take(this.#settings.batchEvents, this.#settings.batchBytes);
      this.#current.add(batch);
      const ok = await this.#post('[' + batch.items.join(',') + ']');
      if (!batch.settled) this.#queue.settle(batch, ok ? batch.items.length : 0);
      this.#current.delete(batch);
    }
  }

  /** One batch, with its retries, on the sender thread: whether a 2xx answered it. */
  #post(body: string): Promise<boolean> {
    if (this.#failed) return Promise.resolve(false);
    const worker = (this.#worker ??= this.#startSender());
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#requests.set(id, resolve);
      worker.postMessage({ type: 'post', id, body } satisfies ToSender);
    });
  }

  #startSender(): Worker {
    const { timeoutMs, attempts, backoffMs, maxBackoffMs } = this.#settings;
    const settings: SenderSettings = { role: 'webhook-sender', nice: SENDER_NICE, url: this.url, headers: [...this.#headers], timeoutMs, attempts, backoffMs, maxBackoffMs };
    const worker = new Worker(SENDER_THREAD, { workerData: settings, name: `webhook ${this.name}` });
    // a destination keeps nothing alive: close() is what waits
    worker.unref();
    worker.on('message', (m: FromSender) => {
      if (m.type === 'ready') this.#tid = m.tid;
      else if (m.type === 'attempt-failed') {
        this.lastError = m.error;
        this.#queue.failed();
      } else {
        const resolve = this.#requests.get(m.id);
        this.#requests.delete(m.id);
        resolve?.(m.ok);
      }
    });
    worker.on('error', (error) => this.#fail(`the sender thread failed: ${error.message}`));
    this.#exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        if (!this.#ending) this.#fail(`the sender thread exited (code ${code})`);
        resolve();
      }),
    );
    return worker;
  }

  /** The sender thread failed: its requests are answered not ok (their batches dropped), and so is every later one; said once. */
  #fail(why: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.lastError = why;
    for (const resolve of this.#requests.values()) resolve(false);
    this.#requests.clear();
  }
}
