// What a webhook destination refuses, before any request (its requests are
// tested against real receivers in test/agent-webhook.test.ts).
import { describe, expect, it } from 'vitest';
import { openatEvent } from '../testing/events.js';
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
