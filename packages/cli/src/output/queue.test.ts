import { describe, expect, it } from 'vitest';
import { rng } from '../../../core/src/testing/prng.js';
import { Batch, DeliveryQueue } from './queue.js';

describe('DeliveryQueue', () => {
  it('drops the newest past its bound in events, without making them, and counts them', () => {
    const q = new DeliveryQueue<number>({ events: 3 });
    let made = 0;
    const accepted = [1, 2, 3, 4, 5].map((i) => q.offer(() => (made++, i)));
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(made).toBe(3);
    expect(q.stats()).toEqual({ written: 5, sent: 0, dropped: 2, queued: 3, failed: 0 });
    // in flight still counts against the bound: nothing more fits
    const batch = q.take(2);
    expect(batch.items).toEqual([1, 2]);
    expect(q.offer(() => 6)).toBe(false);
    q.sent(batch);
    expect(q.offer(() => 7)).toBe(true);
    expect(q.take(10).items).toEqual([3, 7]);
    expect(q.stats()).toEqual({ written: 7, sent: 2, dropped: 3, queued: 2, failed: 0 });
  });

  it('bounds the bytes it holds, and takes batches up to a byte budget (at least one item)', () => {
    const q = new DeliveryQueue<string>({ events: 100, bytes: 10 }, (s) => s.length);
    expect(['aaaa', 'bbbb', 'ccc', 'dd'].map((s) => q.offer(() => s))).toEqual([true, true, false, true]);
    // an item larger than the whole bound never fits
    expect(q.offer(() => 'x'.repeat(11))).toBe(false);
    expect(q.take(10, 3).items).toEqual(['aaaa']);
    expect(q.take(10, 6).items).toEqual(['bbbb', 'dd']);
    expect(q.stats()).toMatchObject({ written: 5, dropped: 2, queued: 3 });
  });

  it('settles a batch once, part sent and part dropped', () => {
    const q = new DeliveryQueue<number>({ events: 10 });
    for (let i = 0; i < 5; i++) q.offer(() => i);
    const batch = q.take(5);
    q.settle(batch, 3);
    expect(q.stats()).toEqual({ written: 5, sent: 3, dropped: 2, queued: 0, failed: 0 });
    expect(() => q.drop(batch)).toThrow(/settled once/);
    expect(() => q.settle(new Batch([1], 0), 2)).toThrow(RangeError);
  });

  it('refuses a bound that is not a whole number ≥ 1', () => {
    for (const bad of [0, -1, 1.5, NaN]) expect(() => new DeliveryQueue({ events: bad })).toThrow(/whole number ≥ 1/);
  });

  // A property test without a library: random operations from a seeded
  // PRNG (a failure names its seed), checked against a model after each.
  it('keeps written = sent + dropped + queued, its bounds and FIFO order, whatever is done to it', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const random = rng(seed);
      const bound = { events: 1 + Math.floor(random() * 20), bytes: 1 + Math.floor(random() * 200) };
      const q = new DeliveryQueue<string>(bound, (s) => s.length);
      const model = { written: 0, sent: 0, dropped: 0, failed: 0 };
      const held: string[] = [];
      const inFlight: Batch<string>[] = [];
      let next = 0;
      for (let step = 0; step < 200; step++) {
        const op = random();
        if (op < 0.45) {
          const item = `${next++}:`.padEnd(1 + Math.floor(random() * 30), '.');
          const heldBytes = held.reduce((n, s) => n + s.length, 0) + inFlight.reduce((n, b) => n + b.bytes, 0);
          const fits = held.length + inFlight.reduce((n, b) => n + b.items.length, 0) < bound.events && heldBytes + item.length <= bound.bytes;
          expect(q.offer(() => item), `seed ${seed}`).toBe(fits);
          model.written++;
          if (fits) held.push(item);
          else model.dropped++;
        } else if (op < 0.65) {
          const max = 1 + Math.floor(random() * 5);
          const batch = q.take(max, random() < 0.5 ? Infinity : Math.floor(random() * 60));
          // the oldest, in order
          expect(batch.items, `seed ${seed}`).toEqual(held.splice(0, batch.items.length));
          expect(batch.bytes).toBe(batch.items.reduce((n, s) => n + s.length, 0));
          if (batch.items.length) inFlight.push(batch);
        } else if (op < 0.85 && inFlight.length) {
          const batch = inFlight.splice(Math.floor(random() * inFlight.length), 1)[0];
          const sent = Math.floor(random() * (batch.items.length + 1));
          q.settle(batch, sent);
          model.sent += sent;
          model.dropped += batch.items.length - sent;
        } else if (op < 0.9) {
          q.failed();
          model.failed++;
        } else if (op < 0.95) {
          const n = Math.floor(random() * 4);
          q.reject(n);
          model.written += n;
          model.dropped += n;
        } else if (op < 0.97) {
          q.dropWaiting();
          model.dropped += held.splice(0).length;
        }
        const queued = held.length + inFlight.reduce((n, b) => n + b.items.length, 0);
        const s = q.stats();
        expect(s, `seed ${seed} step ${step}`).toEqual({ ...model, queued });
        expect(s.written).toBe(s.sent + s.dropped + s.queued);
        expect(s.queued).toBeLessThanOrEqual(bound.events);
        expect(q.waiting).toBe(held.length);
      }
    }
  });
});
