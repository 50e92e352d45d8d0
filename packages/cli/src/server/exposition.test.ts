import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Registry } from 'prom-client';
import { parseExposition, sampleValue } from './exposition.js';

describe('parseExposition', () => {
  it("reads back prom-client's text: names, escaped label values, counters and gauges", async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'things_total', help: 'things', labelNames: ['name'], registers: [registry] });
    const g = new Gauge({ name: 'level', help: 'a level', registers: [registry] });
    c.inc({ name: 'plain' }, 3);
    c.inc({ name: 'a "quoted", back\\slashed\nline' }, 9007199254740991);
    g.set(-1.5);
    const samples = parseExposition(await registry.metrics());
    expect(samples).toEqual([
      { name: 'things_total', labels: { name: 'plain' }, value: 3 },
      { name: 'things_total', labels: { name: 'a "quoted", back\\slashed\nline' }, value: 9007199254740991 },
      { name: 'level', labels: {}, value: -1.5 },
    ]);
    expect(sampleValue(samples, 'things_total', { name: 'plain' })).toBe(3);
    expect(sampleValue(samples, 'things_total', { name: 'other' })).toBeUndefined();
    expect(sampleValue(samples, 'level')).toBe(-1.5);
  });

  it('skips comments and blank lines, reads timestamps and the special values', () => {
    const text = '# HELP x an x\n# TYPE x gauge\n\nx{a="1"} +Inf 1700000000000\ny NaN\nz -Inf\n';
    const samples = parseExposition(text);
    expect(samples.map((s) => [s.name, s.labels, s.value])).toEqual([
      ['x', { a: '1' }, Infinity],
      ['y', {}, NaN],
      ['z', {}, -Infinity],
    ]);
  });
});
