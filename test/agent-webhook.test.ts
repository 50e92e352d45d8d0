// The webhook destination against real HTTP receivers on 127.0.0.1 (one
// that fails then answers, one that hangs, a port nobody listens on): exact
// counts, bounded memory, and a slow destination that delays no other; then
// a real trace fanned out to a file and a webhook, every event arriving once.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { traceeJson, TraceSession, type TraceeEvent } from '@tracee/core';
import { jsonLine } from '../packages/cli/src/format.js';
import { FileDestination } from '../packages/cli/src/output/file.js';
import { Fanout } from '../packages/cli/src/output/streams.js';
import { WEBHOOK_DEFAULTS, WebhookDestination } from '../packages/cli/src/output/webhook.js';
import { openatEvent } from '../packages/cli/src/testing/events.js';
import { arg, until } from './helpers.js';

/** What a receiver was sent: each request's headers and body, and the status it answered (undefined: it never answered). */
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number | undefined;
}

/** An HTTP server on 127.0.0.1 that answers the n-th request (from 0) with `answer(n)`, or never ('hang'). */
async function receiver(answer: (n: number) => number | 'hang'): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer(received.length);
      const r: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: undefined };
      received.push(r);
      if (status === 'hang') return;
      r.status = status;
      res.writeHead(status).end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  servers.push(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    received,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A URL on 127.0.0.1 where nothing listens (a port just given up by a server). */
async function refusingUrl(): Promise<string> {
  const { url, close } = await receiver(() => 200);
  await close();
  return url;
}

const events = (from: number, n: number) => Array.from({ length: n }, (_, i) => openatEvent(from + i));
/** Tracee's event objects, as a webhook's body carries them. */
const objects = (es: readonly TraceeEvent[]) => es.map((e) => JSON.parse(traceeJson(e)) as unknown);
/** The events of the requests answered 2xx, in order. */
const accepted = (received: Received[]) => received.filter((r) => r.status !== undefined && r.status < 300).flatMap((r) => JSON.parse(r.body) as unknown[]);
/** Events in an order of their own (requests in flight together arrive in any order): to compare which arrived, each how often. */
const anyOrder = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();

describe('webhook destination', () => {
  it('posts JSON arrays of Tracee events with its headers; a 500 is retried, and what it held is delivered once', async () => {
    const r = await receiver((n) => (n < 2 ? 500 : 200));
    const d = new WebhookDestination({ name: 'hook', url: r.url, headers: { 'X-Api-Key': 'secret-value' }, backoffMs: 10 });
    d.write(events(0, 10));
    await d.close(10_000);
    // the same batch three times: two answered 500, then 200
    expect(r.received.map((x) => x.status)).toEqual([500, 500, 200]);
    expect(accepted(r.received)).toEqual(objects(events(0, 10)));
    expect(r.received[2].headers['content-type']).toBe('application/json');
    expect(r.received[2].headers['x-api-key']).toBe('secret-value');
    expect(d.stats()).toEqual({ written: 10, sent: 10, dropped: 0, queued: 0, failed: 2 });
    // what failed says why, never what the headers hold
    expect(d.lastError).toBe('HTTP 500');
    await r.close();
  });

  it("credentials in the URL are sent as Basic authorization (fetch refuses them in the URL); Tracee's contentType sets the header", async () => {
    const r = await receiver(() => 204);
    const d = new WebhookDestination({ name: 'hook', url: r.url.replace('http://', 'http://agent:p%40ss@') + '?contentType=application/x-ndjson' });
    d.write(events(0, 1));
    await d.close(10_000);
    expect(r.received.map((x) => x.headers.authorization)).toEqual(['Basic ' + Buffer.from('agent:p@ss').toString('base64')]);
    expect(r.received[0].headers['content-type']).toBe('application/x-ndjson');
    expect(d.stats()).toEqual({ written: 1, sent: 1, dropped: 0, queued: 0, failed: 0 });
  });

  it('posts the JSON lines made beforehand where their parseArguments is its own, else makes its own', async () => {
    const r = await receiver(() => 200);
    const es = events(0, 3);
    const made = es.map((e, i) => `{"made":${i}}`);
    // one request at a time: the requests in the order written
    const d = new WebhookDestination({ name: 'hook', url: r.url, requestsInFlight: 1 });
    d.write(es, { lines: made, parseArguments: false });
    d.write(es, { lines: made, parseArguments: true });
    await d.close(10_000);
    expect(accepted(r.received)).toEqual([...made.map((l) => JSON.parse(l) as unknown), ...objects(es)]);
    expect(d.stats()).toEqual({ written: 6, sent: 6, dropped: 0, queued: 0, failed: 0 });
  });

  it('batches what arrives while a request is out, in order, each event once', async () => {
    const r = await receiver(() => 200);
    const d = new WebhookDestination({ name: 'hook', url: r.url, batchEvents: 300, requestsInFlight: 1 });
    for (let i = 0; i < 10; i++) d.write(events(i * 100, 100));
    await d.close(10_000);
    // the first write's 100 went out alone; the other 900 waited, in batches of 300 at most
    expect(r.received.map((x) => (JSON.parse(x.body) as unknown[]).length)).toEqual([100, 300, 300, 300]);
    expect(accepted(r.received)).toEqual(objects(events(0, 1000)));
    expect(d.stats()).toEqual({ written: 1000, sent: 1000, dropped: 0, queued: 0, failed: 0 });
  });

  it('up to requestsInFlight requests at a time (WEBHOOK_DEFAULTS), each retried on its own: every event once, batches in any order', async () => {
    const inFlight = WEBHOOK_DEFAULTS.requestsInFlight;
    expect(inFlight).toBeGreaterThan(1);
    // the first `inFlight` requests hang past the timeout; every later one is answered
    const r = await receiver((n) => (n < inFlight ? 'hang' : 200));
    const d = new WebhookDestination({ name: 'hook', url: r.url, timeoutMs: 500, backoffMs: 10, batchEvents: 10 });
    const n = 10 * (inFlight + 2);
    d.write(events(0, n));
    await until(() => r.received.length === inFlight);
    // the two other batches wait for a request to end
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.received).toHaveLength(inFlight);
    expect(d.stats()).toEqual({ written: n, sent: 0, dropped: 0, queued: n, failed: 0 });
    await d.close(10_000);
    // each timed-out batch posted again, then the two that waited
    expect(r.received).toHaveLength(2 * inFlight + 2);
    expect(anyOrder(accepted(r.received))).toEqual(anyOrder(objects(events(0, n))));
    expect(d.stats()).toEqual({ written: n, sent: n, dropped: 0, queued: 0, failed: inFlight });
  });

  it('a receiver that hangs past the timeout: each attempt failed, then the batch dropped', async () => {
    const r = await receiver(() => 'hang');
    // Tracee's form of the timeout: in the URL
    const d = new WebhookDestination({ name: 'hook', url: `${r.url}?timeout=200ms`, attempts: 3, backoffMs: 10 });
    d.write(events(0, 5));
    const started = performance.now();
    await d.close(10_000);
    // three timeouts and two short waits
    expect(performance.now() - started).toBeGreaterThanOrEqual(3 * 200 - 20);
    expect(r.received).toHaveLength(3);
    expect(d.stats()).toEqual({ written: 5, sent: 0, dropped: 5, queued: 0, failed: 3 });
    expect(d.lastError).toBe('timeout');
  });

  it('a port that refuses connections: exact drops after the retries', async () => {
    const d = new WebhookDestination({ name: 'hook', url: await refusingUrl(), attempts: 5, backoffMs: 10, batchEvents: 50 });
    d.write(events(0, 120));
    await d.close(10_000);
    // three batches (50, 50, 20), five attempts each
    expect(d.stats()).toEqual({ written: 120, sent: 0, dropped: 120, queued: 0, failed: 15 });
    expect(d.lastError).toBe('ECONNREFUSED');
  });

  it('a 400 is not retried: one failed attempt, the batch dropped', async () => {
    const r = await receiver(() => 400);
    const d = new WebhookDestination({ name: 'hook', url: r.url, backoffMs: 10 });
    d.write(events(0, 3));
    await d.close(10_000);
    expect(r.received).toHaveLength(1);
    expect(d.stats()).toEqual({ written: 3, sent: 0, dropped: 3, queued: 0, failed: 1 });
  });

  it('close() that runs out of time aborts the request under way and counts all it held as dropped', async () => {
    const r = await receiver(() => 'hang');
    const d = new WebhookDestination({ name: 'hook', url: r.url, timeoutMs: 60_000, batchEvents: 10, requestsInFlight: 3 });
    d.write(events(0, 25));
    // its three batches (10, 10, 5), in flight together
    await until(() => r.received.length === 3);
    const started = performance.now();
    await d.close(300);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(d.stats()).toEqual({ written: 25, sent: 0, dropped: 25, queued: 0, failed: 0 });
    d.write(events(25, 5));
    expect(d.stats()).toEqual({ written: 30, sent: 0, dropped: 30, queued: 0, failed: 0 });
  });

  it('100k events into a dead destination: the queue bound holds, the rest dropped and counted, the heap barely grows', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const d = new WebhookDestination({ name: 'dead', url: await refusingUrl(), attempts: 5, backoffMs: 10, maxBackoffMs: 50, batchEvents: 1000, queue: { events: 1000 } });
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100; i++) d.write(events(i * 1000, 1000));
    expect(d.stats()).toEqual({ written: 100_000, sent: 0, dropped: 99_000, queued: 1000, failed: 0 });
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // the queue holds 1000 JSON events (~0.5 MB); all 100k would be ~50 MB
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    await d.close(10_000);
    expect(d.stats()).toEqual({ written: 100_000, sent: 0, dropped: 100_000, queued: 0, failed: 5 });
  });

  it('a slow destination does not delay another: the fast receiver has every event while the slow one still hangs', async () => {
    const slow = await receiver(() => 'hang');
    const fast = await receiver(() => 200);
    const fanout = new Fanout({
      destinations: [
        { type: 'webhook', name: 'slow', url: slow.url, timeoutMs: 30_000, requestsInFlight: 3 },
        { type: 'webhook', name: 'fast', url: fast.url },
      ],
    });
    const started = performance.now();
    for (let i = 0; i < 3; i++) fanout.write(events(i * 100, 100));
    await until(() => fanout.stats().fast.sent === 300, 5000, 'the fast receiver');
    expect(performance.now() - started).toBeLessThan(5000);
    // one request per write, in flight together
    expect(anyOrder(accepted(fast.received))).toEqual(anyOrder(objects(events(0, 300))));
    await until(() => slow.received.length === 3, 5000, 'the slow receiver’s three requests');
    expect(fanout.stats().slow).toEqual({ written: 300, sent: 0, dropped: 0, queued: 300, failed: 0 });
    await fanout.close(100);
    expect(fanout.stats()).toEqual({
      slow: { written: 300, sent: 0, dropped: 300, queued: 0, failed: 0 },
      fast: { written: 300, sent: 300, dropped: 0, queued: 0, failed: 0 },
    });
  });
});

describe('file destination on a full disk', () => {
  it('a write the disk took in part: the partial line is cut off, so every line in the file parses and the next is not appended to half of one', async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'trc-fulldisk-'));
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'none', mnt]).status).toBe(0);
    try {
      const path = join(mnt, 'events.json');
      const d = new FileDestination({ name: 'full', path });
      // far more than 16 KiB of lines, in batches that straddle the end of the space
      for (let i = 0; i < 20; i++) {
        d.write(Array.from({ length: 25 }, (_, j) => openatEvent(i * 25 + j)));
        await until(() => d.stats().queued === 0);
      }
      await d.close(5000);
      const text = readFileSync(path, 'utf8');
      const lines = text.split('\n');
      // whole lines only, each one parses, and the file ends with a newline
      expect(lines.pop()).toBe('');
      for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
      const s = d.stats();
      expect(s.sent).toBe(lines.length);
      expect([s.written, s.sent + s.dropped, s.queued]).toEqual([500, 500, 0]);
      expect(s.dropped).toBeGreaterThan(0);
      expect(d.lastError).toMatch(/ENOSPC/);
    } finally {
      spawnSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });
});

describe('a real trace through Fanout', () => {
  it('to a file (every event) and a webhook (execs only): every event arrives once, the counts match', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracee-agent-'));
    try {
      const marker = join(dir, `tracee-marker-${process.pid}`);
      copyFileSync('/bin/true', marker);
      spawnSync('chmod', ['+x', marker]);
      const r = await receiver(() => 200);
      const file = join(dir, 'events.json');
      const fanout = new Fanout({
        destinations: [
          { type: 'file', name: 'file', path: file },
          { type: 'webhook', name: 'hook', url: r.url },
        ],
        // the host's other execs come too (builds beside the test): queues roomy enough that none is dropped
        streams: [
          { name: 'everything', destinations: ['file'], buffer: { size: 1_000_000 } },
          { name: 'execs', destinations: ['hook'], filters: { events: ['sched_process_exec'] }, buffer: { size: 1_000_000 } },
        ],
      });
      const session = TraceSession.start({ events: ['sched_process_exec', 'sched_process_exit'], enrichment: false });
      const all: TraceeEvent[] = [];
      const pump = (async () => {
        for (let batch; (batch = await session.next()) !== null; ) {
          all.push(...batch);
          fanout.write(batch);
        }
      })();
      try {
        for (let i = 0; i < 5; i++) spawnSync(marker, [`run-${i}`]);
        const runs = () => all.filter((e) => e.eventName === 'sched_process_exec' && arg(e, 'pathname') === marker);
        await until(() => runs().length === 5, 10_000, 'the marker runs');
      } finally {
        session.stop();
        await pump;
      }
      await fanout.close(10_000);
      const execs = all.filter((e) => e.eventName === 'sched_process_exec');
      expect(execs.filter((e) => arg(e, 'pathname') === marker)).toHaveLength(5);
      expect(all.length).toBeGreaterThan(execs.length);
      expect(readFileSync(file, 'utf8')).toBe(all.map((e) => jsonLine(e)).join(''));
      expect(anyOrder(accepted(r.received))).toEqual(anyOrder(objects(execs)));
      expect(r.received.every((x) => x.status === 200)).toBe(true);
      expect(fanout.stats()).toEqual({
        file: { written: all.length, sent: all.length, dropped: 0, queued: 0, failed: 0 },
        hook: { written: execs.length, sent: execs.length, dropped: 0, queued: 0, failed: 0 },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
