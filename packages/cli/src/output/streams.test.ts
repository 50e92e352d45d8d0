import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TraceeEvent } from '@tracee/core';
import { until } from '../../../../test/helpers.js';
import { jsonLine, tableHeader, tableRow } from '../format.js';
import { findingOf, openatEvent } from '../testing/events.js';
import { FileDestination } from './file.js';
import type { Destination } from './destination.js';
import { Fanout, type DestinationSpec, type OutputSpec } from './streams.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tracee-streams-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, extra: Partial<DestinationSpec> = {}): DestinationSpec => ({ type: 'file', name, path: join(dir, `${name}.json`), ...extra }) as DestinationSpec;
const read = (name: string) => readFileSync(join(dir, `${name}.json`), 'utf8');
const text = (es: readonly TraceeEvent[]) => es.map((e) => jsonLine(e)).join('');

// plain events of two policies, and findings of each severity
const a = openatEvent(1, ['a']);
const b = openatEvent(2, ['b']);
const ab = openatEvent(3, ['a', 'b']);
const findings = ([0, 1, 2, 3, 4] as const).map((s) => findingOf(10 + s, s));
const batch = [a, b, ab, ...findings];

describe('Fanout: streams', () => {
  it("a destination no stream names gets every event (Tracee's implicit stream); each stream's filter routes the rest", async () => {
    const fanout = new Fanout({
      destinations: [file('all'), file('policyA'), file('findings'), file('high'), file('named'), file('eventsOnly')],
      streams: [
        { name: 's1', destinations: ['policyA'], filters: { policies: ['a'] } },
        { name: 's2', destinations: ['findings'], filters: { kind: 'findings' } },
        { name: 's3', destinations: ['high'], filters: { kind: 'findings', severity: 3 } },
        // a rule's event name selects its findings, beside plain event names
        { name: 's4', destinations: ['named'], filters: { events: ['test_rule_1', 'openat'], policies: ['b'], kind: 'all' } },
        { name: 's5', destinations: ['eventsOnly'], filters: { kind: 'events', events: [], policies: [] } },
      ],
    });
    fanout.write(batch);
    fanout.write([]);
    await fanout.close(5000);
    expect(read('all')).toBe(text(batch));
    // findings carry the trigger's policies ([''] here): not a
    expect(read('policyA')).toBe(text([a, ab]));
    expect(read('findings')).toBe(text(findings));
    expect(read('high')).toBe(text(findings.slice(3)));
    expect(read('named')).toBe(text([b, ab]));
    expect(read('eventsOnly')).toBe(text([a, b, ab]));
    expect(fanout.stats().high).toEqual({ written: 2, sent: 2, dropped: 0, queued: 0, failed: 0 });
  });

  it("JSON lines made beforehand: each JSON file destination writes them, aligned through its stream's filter; a table, or a file whose parseArguments differs, makes its own", async () => {
    // lines that traceeJson would not make: proof they are the ones written
    const made = batch.map((e, i) => `{"made":${i},"eventName":"${e.eventName}"}`);
    const fanout = new Fanout({
      destinations: [file('all'), file('policyB'), file('table', { format: 'table' }), file('parsed', { parseArguments: true })],
      streams: [{ name: 's', destinations: ['policyB'], filters: { policies: ['b'] } }],
    });
    fanout.write(batch, { lines: made, parseArguments: false });
    await fanout.close(5000);
    expect(read('all')).toBe(made.map((l) => l + '\n').join(''));
    expect(read('policyB')).toBe([made[1], made[2]].map((l) => l + '\n').join(''));
    expect(read('table')).toBe(tableHeader() + batch.map(tableRow).join(''));
    expect(read('parsed')).toBe(batch.map((e) => jsonLine(e, true)).join(''));
    expect(fanout.stats().policyB).toEqual({ written: 2, sent: 2, dropped: 0, queued: 0, failed: 0 });
  });

  it('severity alone holds back low findings, not plain events (they have none)', async () => {
    const fanout = new Fanout({ destinations: [file('d')], streams: [{ name: 's', destinations: ['d'], filters: { severity: 2 } }] });
    fanout.write(batch);
    await fanout.close(5000);
    expect(read('d')).toBe(text([a, b, ab, ...findings.slice(2)]));
  });

  it("a stream feeds each of its destinations; buffer.size bounds each one's queue", async () => {
    const fanout = new Fanout({
      destinations: [file('x'), file('y')],
      streams: [{ name: 's', destinations: ['x', 'y'], buffer: { mode: 'drop', size: 5 } }],
    });
    fanout.write(Array.from({ length: 8 }, (_, i) => openatEvent(i)));
    await fanout.close(5000);
    expect(read('x')).toBe(read('y'));
    expect(fanout.stats()).toEqual({
      x: { written: 8, sent: 5, dropped: 3, queued: 0, failed: 0 },
      y: { written: 8, sent: 5, dropped: 3, queued: 0, failed: 0 },
    });
  });

  it('refuses a configuration with every problem at once, one per line', () => {
    const output = {
      destinations: [file('x'), file('y'), file('x'), { type: 'otlp', name: 'o' }, { type: 'forward', name: 'f' }],
      streams: [
        { name: 's', destinations: ['x', 'nope'], filters: { kind: 'alerts', severity: 5 } },
        { name: 's', destinations: ['x'] },
        { name: 'empty', destinations: [] },
        { name: 'blocking', destinations: ['y'], buffer: { mode: 'wait', size: 0 } },
      ],
    } as unknown as OutputSpec;
    expect(() => new Fanout(output)).toThrow(
      [
        'destination x: defined twice',
        'destination o: otlp destinations cannot be opened here',
        'destination f: type forward is none of file, webhook, otlp',
        'stream s: no destination is named nope',
        'stream s: filters.kind alerts is none of all, events, findings',
        'stream s: filters.severity must be 0 (info) to 4 (critical), not 5',
        'stream s: defined twice',
        'stream s: destination x is already in stream s (a destination is in one stream at most)',
        'stream empty: names no destination (a stream needs one or more)',
        'stream blocking: buffer.mode wait is none of drop, block',
        'stream blocking: buffer.size must be a whole number of events ≥ 1, not 0',
      ].join('\n'),
    );
  });

  it('opens otlp (or any type) through the opener it is given', async () => {
    const opened: DestinationSpec[] = [];
    // a file destination stands in for OTLP's here: what matters is that Fanout calls the opener with the spec
    const fanout = new Fanout({ destinations: [{ type: 'otlp', name: 'o', endpoint: 'http://127.0.0.1:4318' }] }, {
      otlp: (spec) => (opened.push(spec), new FileDestination({ name: spec.name, path: join(dir, 'o.json') })),
    });
    fanout.write([a]);
    await fanout.close(5000);
    expect(opened).toEqual([{ type: 'otlp', name: 'o', endpoint: 'http://127.0.0.1:4318' }]);
    expect(read('o')).toBe(text([a]));
  });

  it("block (Tracee's buffer.mode): whenRoom waits until the destination's queue has room for the batch, and stops waiting once the trace is over", async () => {
    // a destination that takes nothing until told: its queue is what the test says
    const held = { queued: 0 };
    const slow: Destination = {
      name: 'slow',
      type: 'otlp',
      write: (events) => void (held.queued += events.length),
      stats: () => ({ written: 0, sent: 0, dropped: 0, queued: held.queued, failed: 0 }),
      reopen: () => undefined,
      close: async () => undefined,
    };
    const fanout = new Fanout({ destinations: [{ type: 'otlp', name: 'slow' }], streams: [{ name: 's', destinations: ['slow'], buffer: { mode: 'block', size: 10 } }] }, { otlp: () => slow });
    fanout.write(Array.from({ length: 8 }, (_, i) => openatEvent(i)));
    let waited = false;
    const room = fanout.whenRoom(5, () => false).then(() => (waited = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(waited).toBe(false);
    held.queued = 5;
    await room;
    expect(waited).toBe(true);
    // a batch larger than the bound waits for an empty queue; a stopped trace does not wait
    held.queued = 1;
    let stopped = false;
    const big = fanout.whenRoom(50, () => stopped);
    stopped = true;
    await big;
  });

  it('reopen() reopens every destination (SIGUSR1 after logrotate)', async () => {
    const fanout = new Fanout({ destinations: [file('x')] });
    fanout.write([a]);
    await until(() => fanout.stats().x.sent === 1);
    renameSync(join(dir, 'x.json'), join(dir, 'x.json.1'));
    fanout.reopen();
    fanout.write([b]);
    await fanout.close(5000);
    expect(readFileSync(join(dir, 'x.json.1'), 'utf8')).toBe(text([a]));
    expect(read('x')).toBe(text([b]));
  });
});

describe('Fanout.replace (hot reload)', () => {
  it('keeps unchanged destinations with their queues and counters, opens new and changed ones, closes removed and changed ones', async () => {
    const fanout = new Fanout({ destinations: [file('kept'), file('changed'), file('removed')] });
    fanout.write([a]);
    const before = fanout.destinations();
    const closed = fanout.replace({
      destinations: [file('kept'), file('changed', { format: 'table' }), file('added')],
      streams: [{ name: 's', destinations: ['kept'], filters: { policies: ['b'] } }],
    });
    const after = fanout.destinations();
    expect(after.get('kept')).toBe(before.get('kept'));
    expect(after.get('changed')).not.toBe(before.get('changed'));
    expect([...after.keys()]).toEqual(['kept', 'changed', 'added']);
    // the retired ones' final counts
    expect(await closed).toEqual({
      changed: { written: 1, sent: 1, dropped: 0, queued: 0, failed: 0 },
      removed: { written: 1, sent: 1, dropped: 0, queued: 0, failed: 0 },
    });
    fanout.write([a, b]);
    await fanout.close(5000);
    expect(read('kept')).toBe(text([a, b]));
    expect(read('removed')).toBe(text([a]));
    expect(read('added')).toBe(text([a, b]));
    expect(fanout.stats().kept).toEqual({ written: 2, sent: 2, dropped: 0, queued: 0, failed: 0 });
  });

  it('a stream whose buffer.size changes gets its destinations anew; a stream renamed with the same bound keeps them', async () => {
    const fanout = new Fanout({ destinations: [file('x')], streams: [{ name: 's', destinations: ['x'], buffer: { size: 10 } }] });
    const first = fanout.destinations().get('x');
    await fanout.replace({ destinations: [file('x')], streams: [{ name: 's', destinations: ['x'], buffer: { size: 20 } }] });
    const second = fanout.destinations().get('x');
    expect(second).not.toBe(first);
    await fanout.replace({ destinations: [file('x')], streams: [{ name: 't', destinations: ['x'], buffer: { size: 20 } }] });
    expect(fanout.destinations().get('x')).toBe(second);
    await fanout.close(5000);
  });

  it('an invalid configuration, or one whose destination cannot open, is refused and the running one stays', async () => {
    const fanout = new Fanout({ destinations: [file('x')] });
    const before = fanout.destinations();
    expect(() => fanout.replace({ destinations: [file('x')], streams: [{ name: 's', destinations: ['nope'] }] })).toThrow('stream s: no destination is named nope');
    expect(() => fanout.replace({ destinations: [file('y'), { type: 'file', name: 'bad', path: join(dir, 'missing', 'z.json') }] })).toThrow(/^destination bad: cannot open .*ENOENT/);
    expect(fanout.destinations()).toEqual(before);
    fanout.write([a]);
    await fanout.close(5000);
    expect(read('x')).toBe(text([a]));
    // y was opened, then closed when bad failed: it got nothing
    expect(read('y')).toBe('');
  });
});
