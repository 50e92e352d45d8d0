// Events as Tracee prints them in JSON, so tools that read Tracee's output
// read ours. Where we differ, and why, is in the README (the CLI's `--output json`).
import { hostname } from 'node:os';
import { loadBinding } from './binding.js';
import { decodedArgs } from './decode.js';
import { eventById, type TraceeEvent } from './generated/schema.js';
import { findingJson } from './rules/finding-json.js';
import { isFindingEvent } from './rules/signature-events.js';

export interface TraceeJsonOptions {
  /** Arguments as people read them (`O_RDONLY|O_CLOEXEC`, `AT_FDCWD`), Tracee's `parse-arguments`. */
  parseArguments?: boolean;
}

let bootEpoch: bigint | undefined;
/** Nanoseconds since the epoch at boot: records count from boot, Tracee's timestamps from the epoch. */
export function bootEpochNs(): bigint {
  bootEpoch ??= BigInt(loadBinding().bootEpochNs());
  return bootEpoch;
}

let host: string | undefined;

/**
 * One event as a line of Tracee's JSON (without the newline): its field
 * names and order, timestamps in ns since the epoch (exact: written as
 * integers beyond 2^53), `eventId` a string, `syscall` the syscall's name.
 * A finding (a signature's event) is written as Tracee writes detections
 * ({@link findingJson}).
 */
export function traceeJson(e: TraceeEvent, options: TraceeJsonOptions = {}): string {
  if (isFindingEvent(e)) return findingJson(e.finding, options);
  const epoch = bootEpochNs();
  host ??= hostname();
  const def = eventById(e.eventId);
  const rest = {
    processorId: e.processorId,
    processId: e.processId,
    cgroupId: e.cgroupId,
    threadId: e.threadId,
    parentProcessId: e.parentProcessId,
    hostProcessId: e.hostProcessId,
    hostThreadId: e.hostThreadId,
    hostParentProcessId: e.hostParentProcessId,
    userId: e.userId,
    mountNamespace: e.mountNamespace,
    pidNamespace: e.pidNamespace,
    processName: e.processName,
    hostName: host,
    containerId: e.containerId,
    container: e.container,
    kubernetes: e.kubernetes,
    eventId: String(e.eventId),
    eventName: e.eventName,
    matchedPolicies: e.matchedPolicies,
    argsNum: e.argsNum,
    returnValue: e.returnValue,
    // the syscall the event happened in (for LSM hooks: the one that led there)
    syscall: def?.syscall ? e.eventName : e.syscall >= 0 ? (eventById(e.syscall)?.name ?? '') : '',
    args: options.parseArguments ? decodedArgs(e) : e.args,
    // ours, only where some user memory could not be read (see TraceeEvent.unreadable),
    // or something was cut (a string past its limit, an array past its elements)
    ...(e.unreadable.length ? { unreadable: e.unreadable } : {}),
    ...(e.truncated ? { truncated: true } : {}),
  };
  const ts = epoch + BigInt(e.timestamp);
  const start = epoch + BigInt(e.threadStartTime);
  return `{"timestamp":${ts},"threadStartTime":${start},${JSON.stringify(rest).slice(1)}`;
}

/**
 * One line of event JSON, ours or Tracee's, back into an event (for
 * offline analysis). Timestamps become ns since this host's boot, as live
 * events have them (negative for events recorded before it); argument
 * values stay as written (Tracee's parsed strings included).
 */
export function parseEventJson(line: string): TraceeEvent {
  // the epoch-ns timestamps do not fit a double: read them as integers
  const exact = (key: string) => {
    const m = new RegExp(`"${key}":(-?\\d+)`).exec(line);
    return m ? Number(BigInt(m[1]) - bootEpochNs()) : 0;
  };
  const j = JSON.parse(line) as Record<string, unknown>;
  const n = (k: string) => Number(j[k] ?? 0);
  const args = (Array.isArray(j.args) ? j.args : []) as TraceeEvent['args'];
  return {
    timestamp: exact('timestamp'),
    threadStartTime: exact('threadStartTime'),
    cgroupId: n('cgroupId'),
    returnValue: n('returnValue'),
    eventId: n('eventId'),
    syscall: typeof j.syscall === 'number' ? j.syscall : -1,
    hostProcessId: n('hostProcessId'),
    hostThreadId: n('hostThreadId'),
    hostParentProcessId: n('hostParentProcessId'),
    processId: n('processId'),
    threadId: n('threadId'),
    parentProcessId: n('parentProcessId'),
    userId: n('userId'),
    groupId: n('groupId'),
    mountNamespace: n('mountNamespace'),
    pidNamespace: n('pidNamespace'),
    processorId: n('processorId'),
    processName: String(j.processName ?? ''),
    // Tracee writes both; a line with only the object still says it
    containerId: String(j.containerId || (j.container as { id?: string } | undefined)?.id || ''),
    container: (j.container ?? {}) as TraceeEvent['container'],
    kubernetes: (j.kubernetes ?? {}) as TraceeEvent['kubernetes'],
    eventName: String(j.eventName ?? ''),
    matchedPolicies: Array.isArray(j.matchedPolicies) ? (j.matchedPolicies as string[]) : [],
    argsNum: args.length,
    args,
    atEntry: false,
    argsUnknown: false,
    unreadable: Array.isArray(j.unreadable) ? (j.unreadable as string[]) : [],
    truncated: j.truncated === true,
  };
}
