import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../../../../test/helpers.js';
import { jsonLine, tableHeader, tableRow } from '../format.js';
import { openatEvent } from '../testing/events.js';
import { FileDestination } from './file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracee-file-dest-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const events = (from: number, n: number) => Array.from({ length: n }, (_, i) => openatEvent(from + i));
const lines = (text: string) => text.split('\n').slice(0, -1).map((l) => l + '\n');

describe('file destination', () => {
  it("appends Tracee's JSON lines, each event once, in order", async () => {
    const path = join(dir, 'events.json');
    writeFileSync(path, 'before\n');
    const d = new FileDestination({ name: 'f', path });
    d.write(events(0, 3));
    d.write(events(3, 2));
    await d.close(5000);
    expect(readFileSync(path, 'utf8')).toBe('before\n' + events(0, 5).map((e) => jsonLine(e)).join(''));
    expect(d.stats()).toEqual({ written: 5, sent: 5, dropped: 0, queued: 0, failed: 0 });
    // after close: dropped and counted, nothing written
    d.write(events(5, 2));
    expect(d.stats()).toEqual({ written: 7, sent: 5, dropped: 2, queued: 0, failed: 0 });
    expect(lines(readFileSync(path, 'utf8'))).toHaveLength(6);
  });

  it('writes the table with its header at the top of a new file only', async () => {
    const path = join(dir, 'events.txt');
    const d = new FileDestination({ name: 't', path, format: 'table' });
    d.write(events(0, 2));
    await d.close(5000);
    const again = new FileDestination({ name: 't', path, format: 'table' });
    again.write(events(2, 1));
    await again.close(5000);
    expect(readFileSync(path, 'utf8')).toBe(tableHeader() + events(0, 3).map(tableRow).join(''));
  });

  it('reopen(): after logrotate moves the file, new lines go to a new file at the path; both hold every line once', async () => {
    const path = join(dir, 'events.json');
    const d = new FileDestination({ name: 'f', path });
    d.write(events(0, 100));
    await until(() => d.stats().sent === 100);
    renameSync(path, path + '.1');
    // written after the move, before reopen(): still the moved file's
    d.write(events(100, 50));
    d.reopen();
    d.write(events(150, 50));
    await d.close(5000);
    const old = readFileSync(path + '.1', 'utf8');
    const now = readFileSync(path, 'utf8');
    // the write taken before reopen() went to the moved file; the rest to the new one
    expect(old).toBe(events(0, 150).map((e) => jsonLine(e)).join(''));
    expect(now).toBe(events(150, 50).map((e) => jsonLine(e)).join(''));
    expect(d.stats()).toEqual({ written: 200, sent: 200, dropped: 0, queued: 0, failed: 0 });
  });

  it('reopen() while writes are queued and in flight loses nothing and writes nothing twice', async () => {
    const path = join(dir, 'events.json');
    const d = new FileDestination({ name: 'f', path });
    for (let round = 0; round < 20; round++) {
      d.write(events(round * 500, 500));
      if (round % 5 === 4) {
        // the last reopen made the file anew (on a loaded machine, later than this round)
        await until(() => existsSync(path));
        renameSync(path, `${path}.${round}`);
        d.reopen();
      }
      await new Promise((r) => setImmediate(r));
    }
    await d.close(5000);
    const all = [4, 9, 14, 19].map((r) => readFileSync(`${path}.${r}`, 'utf8')).join('') + readFileSync(path, 'utf8');
    expect(all).toBe(events(0, 10_000).map((e) => jsonLine(e)).join(''));
    expect(d.stats()).toEqual({ written: 10_000, sent: 10_000, dropped: 0, queued: 0, failed: 0 });
  });

  it('a full disk: each failed write counted, its lines dropped, the tracer not held', async () => {
    const d = new FileDestination({ name: 'full', path: '/dev/full' });
    d.write(events(0, 10));
    await until(() => d.stats().queued === 0);
    d.write(events(10, 5));
    await d.close(5000);
    expect(d.stats()).toEqual({ written: 15, sent: 0, dropped: 15, queued: 0, failed: 2 });
    expect(d.lastError).toMatch(/ENOSPC/);
  });

  it('a pipe nobody reads: lines wait in the bounded queue, the rest are dropped; all that was queued arrives once read', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // the test holds the reading end, and reads nothing at first
    const reader = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      const d = new FileDestination({ name: 'pipe', path: fifo, queue: { events: 1000 } });
      // 1000 lines of ~400 bytes: several times what a pipe holds (64 KiB)
      const started = performance.now();
      for (let i = 0; i < 5; i++) d.write(events(i * 1000, 1000));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(d.stats()).toEqual({ written: 5000, sent: 0, dropped: 4000, queued: 1000, failed: 0 });
      // the event loop runs on while the write waits for the pipe
      const ticks = await countTicks(200);
      expect(ticks).toBeGreaterThan(5);
      expect(d.stats().queued).toBe(1000);
      // now read: the 1000 queued lines arrive whole, in order, once
      let text = '';
      const chunk = Buffer.alloc(65536);
      const expected = events(0, 1000).map((e) => jsonLine(e)).join('');
      await until(() => {
        try {
          text += chunk.toString('utf8', 0, readSync(reader, chunk));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        }
        return text.length >= expected.length;
      });
      expect(text).toBe(expected);
      await d.close(5000);
      expect(d.stats()).toEqual({ written: 5000, sent: 1000, dropped: 4000, queued: 0, failed: 0 });
    } finally {
      closeSync(reader);
    }
  });

  it('close() on a pipe nobody reads gives up at its deadline: the lines that went out whole are sent, the rest dropped', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      const d = new FileDestination({ name: 'pipe', path: fifo, queue: { events: 2000 } });
      d.write(events(0, 2000));
      const started = performance.now();
      await d.close(100);
      expect(performance.now() - started).toBeLessThan(1000);
      const s = d.stats();
      const inPipe = Buffer.alloc(1 << 20);
      const text = inPipe.toString('utf8', 0, readSync(reader, inPipe));
      // what the pipe holds is the lines counted sent, then at most a part of one
      const sentText = events(0, s.sent).map((e) => jsonLine(e)).join('');
      expect(text.startsWith(sentText)).toBe(true);
      expect(lines(text.slice(sentText.length))).toHaveLength(0);
      expect(s.sent).toBeGreaterThan(0);
      expect(s).toEqual({ written: 2000, sent: s.sent, dropped: 2000 - s.sent, queued: 0, failed: 0 });
    } finally {
      closeSync(reader);
    }
  });

  it('cannot open: one error naming the destination, the path and the cause', () => {
    expect(() => new FileDestination({ name: 'f', path: join(dir, 'missing', 'events.json') })).toThrow(/^destination f: cannot open .*missing\/events\.json: ENOENT/);
  });
});

/** How many 10 ms timers fire in `ms`: near ms/10 when nothing holds the event loop. */
async function countTicks(ms: number): Promise<number> {
  let ticks = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
    ticks++;
  }
  return ticks;
}
