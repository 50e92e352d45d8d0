import { describe, expect, it } from 'vitest';
import { parseDuration } from './format.js';

describe('parseDuration', () => {
  it('reads ms, s, m, h and plain seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('3')).toBe(3000);
  });

  it('rejects anything else with the accepted forms', () => {
    for (const bad of ['', 'soon', '10 s', '-1s', '1d']) {
      expect(() => parseDuration(bad)).toThrow(/use e\.g\. 10s, 500ms, 2m or 1h/);
    }
  });
});
