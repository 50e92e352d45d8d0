// What a webhook destination refuses, before any request (its requests are
// tested against real receivers in test/agent-webhook.test.ts).
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { openatEvent } from '../testing/events.js';
import { PACKAGE, SENDER_NICE } from './destination.js';
import { WebhookDestination, type WebhookDestinationOptions } from './webhook.js';

const make = (options: Partial<WebhookDestinationOptions>) => () => new WebhookDestination({ name: 'hook', url: 'http://127.0.0.1:9/events', ...options });

describe('webhook destination settings', () => {
  it('refuses what it cannot use, naming the destination and the setting', () => {
    expect(make({ url: 'not a url' })).toThrow(/^destination hook: url is not a URL/);
    expect(make({ url: 'ftp://host/x' })).toThrow('destination hook: url must be http: or https:, not ftp:');
    expect(make({ format: 'table' as 'json' })).toThrow('a webhook posts JSON: format table is for file destinations');
    expect(make({ headers: { 'Bad Name': 'x' } })).toThrow('header name "Bad Name" is not a valid HTTP header name');
    expect(make({ attempts: 0 })).toThrow('attempts must be a whole number ≥ 1, not 0');
    expect(make({ timeoutMs: 1.5 })).toThrow('timeoutMs must be a whole number ≥ 1, not 1.5');
    expect(make({ backoffMs: -1 })).toThrow('backoffMs must be a whole number ≥ 0, not -1');
    expect(make({ url: 'http://127.0.0.1:9/?timeout=soon' })).toThrow("url's timeout: invalid duration 'soon'");
  });

  it("never puts a header's value in an error", () => {
    for (const value of ['token\r\nX-Injected: 1', 'token\0', 'tok€n']) {
      let message = '';
      try {
        make({ headers: { Authorization: value } })();
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toBe('destination hook: header Authorization: its value must be a string without control characters (CR, LF, NUL...) or characters past Latin-1');
    }
  });

  it('shows its URL without the credentials in it', () => {
    expect(new WebhookDestination({ name: 'hook', url: 'http://user:secret@127.0.0.1:9/events?x=1' }).url).toBe('http://127.0.0.1:9/events?x=1');
  });

  it('close() with nothing queued returns at once; what is written after is dropped and counted', async () => {
    const d = new WebhookDestination({ name: 'hook', url: 'http://127.0.0.1:9/events' });
    await d.close(1000);
    d.write([openatEvent(0), openatEvent(1)]);
    expect(d.stats()).toEqual({ written: 2, sent: 0, dropped: 2, queued: 0, failed: 0 });
  });
});

// The requests' own thread (webhook-worker.ts, run from the build: `npm run
// build`), against a receiver on 127.0.0.1 and a port nothing listens on.
describe('the webhook destination’s sender thread', () => {
  const until = async (ok: () => boolean, what: string) => {
    for (const start = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() - start > 10_000) throw new Error(`timed out waiting for ${what}`);
  };
  /** A thread's nice value: the 19th field of /proc/self/task/TID/stat (counted after the comm, which may hold spaces). */
  const niceOf = (tid: number) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };

  it('posts the batch with its headers from a thread of this process at SENDER_NICE above this thread, which has exited after close()', async () => {
    const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        requests.push({ headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const d = new WebhookDestination({ name: 'hook', url: `http://user:secret@127.0.0.1:${port}/events`, headers: { 'X-Api-Key': 'k1' } });
      expect(d.senderTid).toBeUndefined();
      d.write([openatEvent(0), openatEvent(1)]);
      await until(() => d.stats().sent === 2, 'the batch to be answered');
      const tid = d.senderTid!;
      expect(tid).not.toBe(process.pid);
      expect(niceOf(tid)).toBe(Math.min(19, niceOf(process.pid) + SENDER_NICE));
      expect(requests).toHaveLength(1);
      expect(requests[0].headers).toMatchObject({ authorization: `Basic ${Buffer.from('user:secret').toString('base64')}`, 'x-api-key': 'k1', 'content-type': 'application/json', 'user-agent': `tracee-rs/${PACKAGE.version}` });
      expect((JSON.parse(requests[0].body) as { hostProcessId: number }[]).map((e) => e.hostProcessId)).toEqual([1000, 1001]);
      await d.close(1000);
      expect(existsSync(`/proc/self/task/${tid}`)).toBe(false);
      expect(d.stats()).toEqual({ written: 2, sent: 2, dropped: 0, queued: 0, failed: 0 });
      expect(d.lastError).toBeUndefined();
    } finally {
      server.close();
    }
  });

  it('counts each refused attempt and drops the batch when its attempts run out, naming why', async () => {
    // a port that was just free (9, discard, is one fetch refuses itself: `bad port`)
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const d = new WebhookDestination({ name: 'hook', url: `http://127.0.0.1:${port}/events`, attempts: 3, backoffMs: 0 });
    d.write([openatEvent(0), openatEvent(1), openatEvent(2)]);
    await until(() => d.stats().dropped === 3, 'the attempts to run out');
    expect(d.stats()).toEqual({ written: 3, sent: 0, dropped: 3, queued: 0, failed: 3 });
    expect(d.lastError).toBe('ECONNREFUSED');
    await d.close(1000);
  });
});
