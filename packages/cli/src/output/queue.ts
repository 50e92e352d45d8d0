// The bounded queue behind every destination, with its exact counters
// (DestinationStats): what write() hands over is queued while it fits, else
// dropped at once (the newest, as a full pipe does), never buffered without
// bound; what a destination takes from it stays counted as queued (in
// flight) until it is settled as sent or dropped.
import type { DestinationStats } from './destination.js';

/**
 * Default bound of a destination's queue, in events (a stream's
 * `buffer.size`): four of the tracer's largest batches (DEFAULTS.batchEvents,
 * 4096), so that a burst the kernel ring took whole is not dropped at the
 * destination at once. Tracee's default, 1024, bounds a channel fed one
 * event at a time.
 */
export const DEFAULT_QUEUE_EVENTS = 16_384;
/** Default bound of a destination's queue, in bytes of what it holds (serialized events). */
export const DEFAULT_QUEUE_BYTES = 16 * 1024 * 1024;

export interface QueueBound {
  /** Most events waiting and in flight together: a whole number ≥ 1. */
  events: number;
  /** Most bytes (as `sizeOf` measures them) waiting and in flight together; an event larger than this alone is dropped. */
  bytes: number;
}

/**
 * A FIFO of items (one per event: its serialized form) bounded in events
 * and bytes, counting as {@link DestinationStats} says: at any moment
 * `written` = `sent` + `dropped` + `queued`, and `queued` ≤ the events
 * bound, in-flight items included (they are still in memory).
 */
export class DeliveryQueue<T> {
  readonly bound: QueueBound;
  readonly #sizeOf: (item: T) => number;
  #items: T[] = [];
  #sizes: number[] = [];
  /** Index of the oldest waiting item in #items (taken items are left behind until compacted). */
  #head = 0;
  #bytes = 0;
  #inFlight = 0;
  #inFlightBytes = 0;
  #written = 0;
  #sent = 0;
  #dropped = 0;
  #failed = 0;

  /** Throws a RangeError for a bound that is not a whole number ≥ 1. */
  constructor(bound: Partial<QueueBound> = {}, sizeOf: (item: T) => number = () => 0) {
    this.bound = { events: bound.events ?? DEFAULT_QUEUE_EVENTS, bytes: bound.bytes ?? DEFAULT_QUEUE_BYTES };
    for (const [unit, n] of Object.entries(this.bound)) {
      if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`a queue's bound in ${unit} must be a whole number ≥ 1, not ${n}`);
    }
    this.#sizeOf = sizeOf;
  }

  /** Waiting items (not yet taken). */
  get waiting(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Counts one event written and queues `make()` if it fits, else counts it
   * dropped; `make` is not called when the queue is already full by count,
   * so a dead destination costs no serializing. Returns whether it was queued.
   */
  offer(make: () => T): boolean {
    this.#written++;
    if (this.waiting + this.#inFlight >= this.bound.events) {
      this.#dropped++;
      return false;
    }
    const item = make();
    const size = this.#sizeOf(item);
    if (this.#bytes + this.#inFlightBytes + size > this.bound.bytes) {
      this.#dropped++;
      return false;
    }
    this.#items.push(item);
    this.#sizes.push(size);
    this.#bytes += size;
    return true;
  }

  /** Counts `n` events written and dropped unseen (written after close()). */
  reject(n: number): void {
    this.#written += n;
    this.#dropped += n;
  }

  /**
   * Takes the oldest waiting items, at most `maxItems` and, beyond the first,
   * at most `maxBytes` in all; they stay counted as queued (in flight) until
   * the batch is settled, once, with {@link sent} or {@link drop}.
   */
  take(maxItems: number, maxBytes = Infinity): Batch<T> {
    let end = this.#head;
    let bytes = 0;
    while (end < this.#items.length && end - this.#head < maxItems && (end === this.#head || bytes + this.#sizes[end] <= maxBytes)) bytes += this.#sizes[end++];
    const batch = new Batch(this.#items.slice(this.#head, end), bytes);
    this.#head = end;
    this.#bytes -= bytes;
    this.#inFlight += batch.items.length;
    this.#inFlightBytes += bytes;
    // let go of taken items now and then, not on every take (O(n) each)
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
    return batch;
  }

  /** Settles a batch taken in flight as accepted by the destination. */
  sent(batch: Batch<T>): void {
    this.settle(batch, batch.items.length);
  }

  /** Settles a batch taken in flight as given up. */
  drop(batch: Batch<T>): void {
    this.settle(batch, 0);
  }

  /** Settles a batch taken in flight: its first `sent` items accepted, the rest given up (a write that failed part way). */
  settle(batch: Batch<T>, sent: number): void {
    if (batch.settled) throw new Error('a batch is settled once: it was already counted');
    if (!Number.isInteger(sent) || sent < 0 || sent > batch.items.length) throw new RangeError(`${sent} of a batch of ${batch.items.length} cannot be sent`);
    batch.settled = true;
    this.#inFlight -= batch.items.length;
    this.#inFlightBytes -= batch.bytes;
    this.#sent += sent;
    this.#dropped += batch.items.length - sent;
  }

  /** Drops every waiting item (close() ran out of time); in-flight batches are settled by their takers. */
  dropWaiting(): void {
    this.drop(this.take(Infinity));
  }

  /** Counts one failed attempt (a request answered 500, timed out, refused; a write that failed). */
  failed(): void {
    this.#failed++;
  }

  stats(): DestinationStats {
    return { written: this.#written, sent: this.#sent, dropped: this.#dropped, queued: this.waiting + this.#inFlight, failed: this.#failed };
  }
}

/** Items taken from a {@link DeliveryQueue}, in order, with their size in bytes. */
export class Batch<T> {
  /** Set once it is counted as sent or dropped. */
  settled = false;
  constructor(
    readonly items: readonly T[],
    readonly bytes: number,
  ) {}
}

/** Whether `work` finished within `ms` (how close() gives a destination its time). */
export async function finishedWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
