import { existsSync, readFileSync } from 'node:fs';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import { BUILTIN_RULES, EVENTS, bootEpochNs, findingEvent, ruleEventId, traceeJson, type Finding, type Severity, type TraceeEvent } from '@tracee/core';
import { describe, expect, it } from 'vitest';
import { PACKAGE, SENDER_NICE } from './destination.js';
import { hostname } from 'node:os';
import { INCUBATING, OtlpDestination, hrTimeOfNs, logRecordOf, otlpResource, parseOtlpUrl, recordAttributes } from './otlp.js';

const idOf = (name: string) => EVENTS.find((d) => d.name === name)!.id;

/** An event of `eventName` by pid 4242 (1042 in its namespace), with `over` on top. */
function event(eventName: string, over: Partial<TraceeEvent> = {}): TraceeEvent {
  return {
    timestamp: 5_000_000_123, threadStartTime: 4_000_000_000, cgroupId: 77, returnValue: 0, eventId: idOf(eventName), syscall: -1,
    hostProcessId: 4242, hostThreadId: 4243, hostParentProcessId: 4000, processId: 1042, threadId: 1043, parentProcessId: 1000,
    userId: 1001, groupId: 1001, mountNamespace: 4026531841, pidNamespace: 4026532290, processorId: 1, processName: 'cat',
    containerId: '', container: {}, kubernetes: {}, eventName, matchedPolicies: ['p1', 'p2'], argsNum: 0, args: [],
    truncated: false, atEntry: false, argsUnknown: false, unreadable: [],
    ...over,
  };
}

const CONTAINER_ID = 'ab'.repeat(32);
const inPod = {
  containerId: CONTAINER_ID,
  container: { id: CONTAINER_ID, name: 'k8s_app_web-0', image: 'registry.local:5000/team/web:1.2', imageDigest: 'registry.local:5000/team/web@sha256:' + 'cd'.repeat(32) },
  kubernetes: { podName: 'web-0', podNamespace: 'shop', podUID: '6f0e1d2c-0000-4000-8000-000000000001' },
};

/** A finding of a builtin rule with severity `severity`, triggered by `trigger`. */
function finding(severity: Severity, trigger: TraceeEvent): TraceeEvent {
  const { detect: _detect, events: _events, execEnv: _execEnv, ...rule } = BUILTIN_RULES[0];
  const f: Finding = { rule: { ...rule, severity, eventId: ruleEventId(BUILTIN_RULES[0]) }, event: trigger, ancestry: [], data: { why: 'test' } };
  return findingEvent(f, ['p1']);
}

describe('the semantic conventions copied from the incubating entry point', () => {
  it('are its names, letter for letter', () => {
    for (const [key, name] of Object.entries(INCUBATING)) expect([key, (incubating as Record<string, unknown>)[key]]).toEqual([key, name]);
  });
});

describe('otlpResource', () => {
  it('is service.name, service.version and host.name; OTEL_RESOURCE_ATTRIBUTES over them (the DaemonSet names the node so)', () => {
    const before = process.env.OTEL_RESOURCE_ATTRIBUTES;
    try {
      delete process.env.OTEL_RESOURCE_ATTRIBUTES;
      expect(otlpResource().attributes).toMatchObject({ 'service.name': 'tracee-rs', 'service.version': PACKAGE.version, 'host.name': hostname() });
      process.env.OTEL_RESOURCE_ATTRIBUTES = 'host.name=node-1,k8s.node.name=node-1';
      expect(otlpResource().attributes).toMatchObject({ 'service.name': 'tracee-rs', 'host.name': 'node-1', 'k8s.node.name': 'node-1' });
    } finally {
      if (before === undefined) delete process.env.OTEL_RESOURCE_ATTRIBUTES;
      else process.env.OTEL_RESOURCE_ATTRIBUTES = before;
    }
  });
});

describe('parseOtlpUrl', () => {
  it('otlp: is OTLP/HTTP with protobuf to /v1/logs, under the path given', () => {
    expect(parseOtlpUrl('otlp:http://collector:4318')).toEqual({ protocol: 'http/protobuf', url: 'http://collector:4318/v1/logs' });
    expect(parseOtlpUrl('otlp:http://collector:4318/')).toEqual({ protocol: 'http/protobuf', url: 'http://collector:4318/v1/logs' });
    expect(parseOtlpUrl('otlp:https://gw.example/otlp/')).toEqual({ protocol: 'http/protobuf', url: 'https://gw.example/otlp/v1/logs' });
    expect(parseOtlpUrl('otlp:http://127.0.0.1:4318/v1/logs')).toEqual({ protocol: 'http/protobuf', url: 'http://127.0.0.1:4318/v1/logs' });
    expect(parseOtlpUrl('otlp:http://[::1]:4318')).toEqual({ protocol: 'http/protobuf', url: 'http://[::1]:4318/v1/logs' });
  });

  it('otlp+grpc: is OTLP/gRPC to host and port (https: with TLS)', () => {
    expect(parseOtlpUrl('otlp+grpc:http://collector:4317')).toEqual({ protocol: 'grpc', url: 'http://collector:4317' });
    expect(parseOtlpUrl('otlp+grpc:https://collector:4317/')).toEqual({ protocol: 'grpc', url: 'https://collector:4317' });
  });

  it('refuses anything else in one line that shows both forms', () => {
    const cases: [string, RegExp][] = [
      ['http://collector:4318', /^invalid otlp destination 'http:\/\/collector:4318': use e\.g\./],
      ['otlp', /^invalid otlp destination 'otlp': use e\.g\./],
      ['otlp+http:http://c:4318', /^invalid otlp destination 'otlp\+http:http:\/\/c:4318': use e\.g\./],
      ['otlp:', /'' is not a URL/],
      ['otlp:collector:4318', /the URL must be http:\/\/ or https:\/\//],
      ['otlp:ftp://collector', /the URL must be http:\/\/ or https:\/\//],
      ['otlp:http://c:4318/?x=1', /no query or fragment/],
      ['otlp+grpc:http://c:4317/v1/logs', /OTLP\/gRPC has no path/],
    ];
    for (const [spec, message] of cases) {
      let error: Error | undefined;
      try {
        parseOtlpUrl(spec);
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message, spec).toMatch(message);
      expect(error?.message, spec).toContain('otlp:http://127.0.0.1:4318 (OTLP/HTTP) or otlp+grpc:http://127.0.0.1:4317 (OTLP/gRPC)');
      expect(error?.message.includes('\n'), spec).toBe(false);
    }
  });
});

describe('recordAttributes', () => {
  it('a host event: process, thread and user by the semantic conventions, Tracee’s fields under tracee., file.path from pathname, no container', () => {
    const e = event('openat', { returnValue: -2, argsNum: 2, args: [{ name: 'dirfd', type: 'int', value: -100 }, { name: 'pathname', type: 'const char*', value: '/etc/shadow' }] });
    expect(recordAttributes(e)).toEqual({
      'process.pid': 4242,
      'process.vpid': 1042,
      'process.parent_pid': 4000,
      'thread.id': 4243,
      'process.executable.name': 'cat',
      'process.real_user.id': 1001,
      'file.path': '/etc/shadow',
      'tracee.event.name': 'openat',
      'tracee.event.id': idOf('openat'),
      'tracee.matched_policies': ['p1', 'p2'],
      'tracee.return_value': -2,
    });
  });

  it('an exec in a pod: argv as process.command_args, the container and the pod', () => {
    const argv = ['/bin/sh', '-c', 'echo "a b"'];
    const e = event('execve', { ...inPod, argsNum: 2, args: [{ name: 'pathname', type: 'const char*', value: '/bin/sh' }, { name: 'argv', type: 'const char*const*', value: argv }] });
    const a = recordAttributes(e);
    expect(a).toMatchObject({
      'process.command_args': argv,
      'file.path': '/bin/sh',
      'container.id': CONTAINER_ID,
      'container.name': 'k8s_app_web-0',
      'container.image.name': 'registry.local:5000/team/web',
      'container.image.tags': ['1.2'],
      'container.image.repo_digests': [inPod.container.imageDigest],
      'k8s.pod.name': 'web-0',
      'k8s.namespace.name': 'shop',
      'k8s.pod.uid': '6f0e1d2c-0000-4000-8000-000000000001',
    });
    expect(a['process.command_line']).toBeUndefined();
  });

  it('an image by digest or without a tag has no tag; a registry port is not one', () => {
    const image = (ref: string) => recordAttributes(event('openat', { containerId: 'c0ffee', container: { id: 'c0ffee', image: ref } }));
    expect(image('app@sha256:' + '0'.repeat(64))).toMatchObject({ 'container.image.name': 'app' });
    expect(image('app@sha256:' + '0'.repeat(64))['container.image.tags']).toBeUndefined();
    expect(image('localhost:5000/app')['container.image.tags']).toBeUndefined();
    expect(image('localhost:5000/app')).toMatchObject({ 'container.image.name': 'localhost:5000/app' });
    expect(image('busybox:1.36')).toMatchObject({ 'container.image.name': 'busybox', 'container.image.tags': ['1.36'] });
  });

  it('a finding: the trigger’s process, container and file, its rule as security_rule.* and tracee.*', () => {
    const trigger = event('openat', { ...inPod, args: [{ name: 'pathname', type: 'const char*', value: '/proc/self/mem' }] });
    const f = finding(3, trigger);
    const rule = BUILTIN_RULES[0];
    expect(recordAttributes(f)).toMatchObject({
      'process.pid': 4242,
      'process.executable.name': 'cat',
      'container.id': CONTAINER_ID,
      'k8s.pod.name': 'web-0',
      'file.path': '/proc/self/mem',
      'security_rule.name': rule.name,
      'security_rule.description': rule.description,
      'security_rule.category': rule.mitre.tactic,
      'tracee.event.name': rule.eventName,
      'tracee.event.id': ruleEventId(rule),
      'tracee.matched_policies': ['p1'],
      'tracee.signature.id': rule.id,
      'tracee.severity': 3,
      'tracee.mitre.technique.id': rule.mitre.id,
      'tracee.mitre.technique.name': rule.mitre.technique,
    });
  });
});

describe('logRecordOf', () => {
  it('an event: Tracee’s JSON as the body, its time since the epoch exactly, INFO', () => {
    const e = event('openat', { args: [{ name: 'pathname', type: 'const char*', value: '/tmp/x' }] });
    const r = logRecordOf(e);
    expect(r.body).toBe(traceeJson(e));
    expect(r.eventName).toBe('openat');
    expect(r.hrTime).toEqual(hrTimeOfNs(bootEpochNs() + 5_000_000_123n));
    expect([r.severityNumber, r.severityText]).toEqual([9, 'INFO']);
    expect(r.attributes).toEqual(recordAttributes(e));
    // a body made beforehand (the native writer's line) is taken as it is
    expect(logRecordOf(e, '{"made":1}').body).toBe('{"made":1}');
  });

  it('a finding: its severity 0..4 as INFO, WARN, WARN3, ERROR, FATAL with Tracee’s name; its JSON as the body', () => {
    const got = ([0, 1, 2, 3, 4] as const).map((s) => {
      const r = logRecordOf(finding(s, event('openat')));
      return [r.severityNumber, r.severityText];
    });
    expect(got).toEqual([
      [9, 'informative'],
      [13, 'low'],
      [15, 'medium'],
      [17, 'high'],
      [21, 'critical'],
    ]);
    const f = finding(2, event('openat'));
    expect(logRecordOf(f).body).toBe(traceeJson(f));
    expect(JSON.parse(logRecordOf(f).body as string).metadata.Properties.Severity).toBe(2);
  });

  it('hrTimeOfNs keeps every nanosecond past 2^53', () => {
    expect(hrTimeOfNs(1_764_000_000_123_456_789n)).toEqual([1_764_000_000, 123_456_789]);
    expect(hrTimeOfNs(999n)).toEqual([0, 999]);
  });
});

// The exporter's own thread (otlp-worker.ts, run from the build: `npm run
// build`), without a collector: nothing listens on 127.0.0.1:9 here.
describe('the otlp destination’s exporter thread', () => {
  const refused = { protocol: 'http/protobuf', url: 'http://127.0.0.1:9/v1/logs' } as const;
  const until = async (ok: () => boolean, what: string) => {
    for (const start = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() - start > 10_000) throw new Error(`timed out waiting for ${what}`);
  };

  /** A thread's nice value: the 19th field of /proc/self/task/TID/stat (counted after the comm, which may hold spaces). */
  const niceOf = (tid: number) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };

  it('is a thread of this process at SENDER_NICE above this thread, and has exited after close()', async () => {
    const d = new OtlpDestination({ name: 'otel', endpoint: refused });
    await until(() => d.exporterTid !== undefined, 'the thread to start');
    const tid = d.exporterTid!;
    expect(tid).not.toBe(process.pid);
    expect(niceOf(tid)).toBe(Math.min(19, niceOf(process.pid) + SENDER_NICE));
    await d.close(1000);
    expect(existsSync(`/proc/self/task/${tid}`)).toBe(false);
    expect(d.lastError).toBeUndefined();
  });

  it('that fails drops what is queued and everything after, exactly, and says why once', async () => {
    // the gRPC exporter refuses this URL when it is made, on the thread
    const d = new OtlpDestination({ name: 'otel', endpoint: { protocol: 'grpc', url: 'not a url' } });
    d.write([event('openat'), event('openat'), event('openat')]);
    expect(d.stats()).toEqual({ written: 3, sent: 0, dropped: 0, queued: 3, failed: 0 });
    await until(() => d.lastError !== undefined, 'the thread to fail');
    expect(d.lastError).toBe('the exporter thread failed: Invalid URL');
    expect(d.stats()).toEqual({ written: 3, sent: 0, dropped: 3, queued: 0, failed: 0 });
    d.write([event('openat')]);
    expect(d.stats()).toEqual({ written: 4, sent: 0, dropped: 4, queued: 0, failed: 0 });
    const start = Date.now();
    await d.close(5000);
    expect(Date.now() - start).toBeLessThan(1000);
    // its exit after the failure is not a second reason
    expect(d.lastError).toBe('the exporter thread failed: Invalid URL');
  });
});
