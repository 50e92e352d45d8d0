import { describe, expect, it } from 'vitest';
import { EVENTS, type TraceeEvent } from '@tracee/core';
import { parseDuration, tableRow } from './format.js';

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

describe('the table shows what a process names itself without letting it reach the terminal', () => {
  it('escapes control characters and DEL in comm and arguments, as JSON writes them', () => {
    const e = {
      timestamp: 1e9, threadStartTime: 0, cgroupId: 0, returnValue: 3, eventId: EVENTS.find((d) => d.name === 'openat')!.id, syscall: -1,
      hostProcessId: 7, hostThreadId: 7, hostParentProcessId: 1, processId: 7, threadId: 7, parentProcessId: 1, userId: 0, groupId: 0,
      mountNamespace: 0, pidNamespace: 0, processorId: 0, processName: '\x1b[31mred\nx', containerId: '', container: {}, kubernetes: {}, eventName: 'openat', matchedPolicies: [''], argsNum: 4,
      args: [
        { name: 'dirfd', type: 'int', value: -100 },
        { name: 'pathname', type: 'const char *', value: '/tmp/a\x7fb\x9bc' },
        { name: 'flags', type: 'int', value: 0 },
        { name: 'mode', type: 'umode_t', value: 0 },
      ],
      truncated: false, atEntry: false, argsUnknown: false, unreadable: [],
    } satisfies TraceeEvent;
    const row = tableRow(e);
    // one line, and no byte a terminal acts on
    // eslint-disable-next-line no-control-regex
    expect(row.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(row).toContain('\\u001b[31mred\\u000ax');
    expect(row).toContain('pathname: "/tmp/a\\u007fb\\u009bc"');
  });
});
