// For the CLI's tests only (not built: packages/cli/tsconfig.json): events
// and findings made up in Tracee's shape, for destinations and streams.
import { EVENTS, findingEvent, type Severity, type TraceeEvent } from '@tracee/core';

const OPENAT = EVENTS.find((d) => d.name === 'openat')!.id;

/** An openat event numbered `i` (its pathname and pid say which), matched by `policies`. */
export function openatEvent(i: number, policies: readonly string[] = ['']): TraceeEvent {
  return {
    timestamp: 1e9 + i, threadStartTime: 0, cgroupId: 0, returnValue: 3, eventId: OPENAT, syscall: -1,
    hostProcessId: 1000 + i, hostThreadId: 1000 + i, hostParentProcessId: 1, processId: 1000 + i, threadId: 1000 + i, parentProcessId: 1,
    userId: 0, groupId: 0, mountNamespace: 0, pidNamespace: 0, processorId: 0, processName: 'cat', containerId: '', container: {}, kubernetes: {},
    eventName: 'openat', matchedPolicies: policies, argsNum: 4,
    args: [
      { name: 'dirfd', type: 'int', value: -100 },
      { name: 'pathname', type: 'const char *', value: `/tmp/file-${i}` },
      { name: 'flags', type: 'int', value: 0 },
      { name: 'mode', type: 'umode_t', value: 0 },
    ],
    truncated: false, atEntry: false, argsUnknown: false, unreadable: [],
  };
}

/** A finding of a made-up rule of `severity`, triggered by openatEvent(i). */
export function findingOf(i: number, severity: Severity, eventName = `test_rule_${severity}`): TraceeEvent {
  const event = openatEvent(i);
  return findingEvent(
    {
      rule: { id: `TEST-${severity}`, eventName, eventId: 9000 + severity, name: eventName, description: 'made up for a test', severity, mitre: { tactic: '', technique: '', id: '' } },
      event,
      ancestry: [],
      data: {},
    },
    event.matchedPolicies,
  );
}
