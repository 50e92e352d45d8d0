// The otlp destination against a real OpenTelemetry Collector (built by
// scripts/setup-otelcol.sh, started here on 127.0.0.1 with an OTLP receiver
// per transport, each into a file): every event and finding written arrives
// exactly once, with its resource, attributes, time and severity, over
// OTLP/HTTP and OTLP/gRPC; the counters are exact; a dead collector costs
// drops, counted, and a bounded wait.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_RULES, bootEpochNs, isFindingEvent, trace, traceeJson, type TraceeEvent } from '@tracee/core';
import { OTLP_DEFAULTS, OtlpDestination, parseOtlpUrl, recordAttributes, type OtlpDestinationOptions } from '../packages/cli/src/output/otlp.js';
import type { DestinationStats } from '../packages/cli/src/output/destination.js';
import { freePort, startCollector, type Received, type ReceivedLog } from './fixtures/otelcol.js';
import { arg, cgroup2Mount, until } from './helpers.js';

const ACTIONS = new URL('./fixtures/rule-actions.py', import.meta.url).pathname;
const CLI_PACKAGE = JSON.parse(readFileSync(new URL('../packages/cli/package.json', import.meta.url), 'utf8')) as { version: string };
const TRANSPORTS = [
  { name: 'OTLP/HTTP', scheme: 'otlp', received: 'http' },
  { name: 'OTLP/gRPC', scheme: 'otlp+grpc', received: 'grpc' },
] as const;

/**
 * A container as a runtime makes one (test/rules.test.ts does the same): a
 * cgroup named by a 64-hex id, made before the trace starts.
 */
const CONTAINER_ID = '07e1'.repeat(16);
const CONTAINER_PARENT = `${cgroup2Mount()}/trc-otlp-${process.pid}`;
const CONTAINER_CGROUP = `${CONTAINER_PARENT}/${CONTAINER_ID}`;
beforeAll(() => mkdirSync(CONTAINER_CGROUP, { recursive: true }));
afterAll(() => {
  rmdirSync(CONTAINER_CGROUP, { maxRetries: 5 });
  rmdirSync(CONTAINER_PARENT);
});

/** Runs argv in the container's cgroup (its pid is the child's: sh execs it) to its end; its pid. */
async function inContainer(argv: string[]): Promise<number> {
  const child = spawn('sh', ['-c', `echo $$ > ${CONTAINER_CGROUP}/cgroup.procs && exec "$@"`, 'sh', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${argv.join(' ')}: exit ${code}: ${stderr}`);
  return child.pid!;
}

const destination = (name: string, spec: string, options: Partial<OtlpDestinationOptions> = {}) => new OtlpDestination({ name, endpoint: parseOtlpUrl(spec), ...options });

/** written = sent + dropped + queued, at any moment. */
function balanced(s: DestinationStats): boolean {
  return s.written === s.sent + s.dropped + s.queued;
}

/** An event made here (no kernel), in a pod's container, with `n` in its pathname so each is different. */
function podEvent(n: number): TraceeEvent {
  const id = 'ab'.repeat(32);
  return {
    timestamp: 1_000_000_000 + n, threadStartTime: 900_000_000, cgroupId: 5, returnValue: 3, eventId: 257, syscall: -1,
    hostProcessId: 3000 + n, hostThreadId: 3000 + n, hostParentProcessId: 2999, processId: 7, threadId: 7, parentProcessId: 1,
    userId: 0, groupId: 0, mountNamespace: 4026532001, pidNamespace: 4026532002, processorId: 0, processName: 'web',
    containerId: id, container: { id, name: 'k8s_web_web-0_shop', image: 'registry.local:5000/shop/web:1.2', imageDigest: 'registry.local:5000/shop/web@sha256:' + 'ef'.repeat(32) },
    kubernetes: { podName: 'web-0', podNamespace: 'shop', podUID: '6f0e1d2c-0000-4000-8000-000000000001' },
    eventName: 'openat', matchedPolicies: ['pods'], argsNum: 2,
    args: [{ name: 'dirfd', type: 'int', value: -100 }, { name: 'pathname', type: 'const char *', value: `/srv/data-${n}` }],
    truncated: false, atEntry: false, argsUnknown: false, unreadable: [],
  };
}

/** The records that arrived, by their body (Tracee's JSON line), each exactly once; throws on a body seen twice. */
function byBody(received: Received): Map<string, ReceivedLog> {
  const map = new Map<string, ReceivedLog>();
  for (const log of received.logs) {
    const body = log.body as string;
    if (map.has(body)) throw new Error(`arrived twice: ${body.slice(0, 200)}`);
    map.set(body, log);
  }
  return map;
}

describe('the otlp destination with a real OpenTelemetry Collector', () => {
  it('traced events and a finding arrive exactly once over HTTP and gRPC, with their resource, attributes, time and severity', async () => {
    const collector = await startCollector();
    const batch = 50;
    const dests = TRANSPORTS.map((t) => destination(t.name, `${t.scheme}:${t.scheme === 'otlp' ? collector.http : collector.grpc}`, { maxExportBatchSize: batch }));
    // the exec of a marker, and ptrace(PTRACE_TRACEME) (TRC-102 anti_debugging), in the container
    const marker = `otlp-marker-${process.pid}`;
    const seen: TraceeEvent[] = [];
    let failure: unknown;
    const sub = trace({ events: ['execve', 'anti_debugging'] }).subscribe({ next: (e) => seen.push(e), error: (e) => (failure = e) });
    // the exec of /bin/true by the container's shell (which was exec'd by this process before)
    const isMarker = (e: TraceeEvent) => e.hostProcessId === execPid && e.eventName === 'execve' && arg(e, 'pathname') === '/bin/true';
    let execPid = 0;
    let findingPid = 0;
    try {
      execPid = await inContainer(['/bin/true', marker]);
      findingPid = await inContainer(['python3', ACTIONS, 'traceme']);
      await until(() => failure !== undefined || (seen.some(isMarker) && seen.some((e) => e.hostProcessId === findingPid && isFindingEvent(e))), 10_000, 'the exec and the finding');
    } finally {
      sub.unsubscribe();
    }
    expect(failure).toBeUndefined();
    const events = [...seen, podEvent(1), podEvent(2)];
    for (const d of dests) d.write(events);
    await Promise.all(dests.map((d) => d.close(20_000)));
    const received = await collector.stop();

    const n = events.length;
    for (const [i, t] of TRANSPORTS.entries()) {
      expect([t.name, dests[i].stats()]).toEqual([t.name, { written: n, sent: n, dropped: 0, queued: 0, failed: 0 }]);
      const got = received[t.received];
      // batched: each request carried `batch` records, the last the rest
      expect([t.name, got.requests]).toEqual([t.name, Math.ceil(n / batch)]);
      const logs = byBody(got);
      expect([t.name, logs.size]).toEqual([t.name, n]);
      for (const e of events) {
        const log = logs.get(traceeJson(e));
        expect(log, `${t.name}: ${e.eventName} of ${e.hostProcessId}`).toBeDefined();
        expect(log!.resource).toMatchObject({ 'service.name': 'tracee-rs', 'service.version': CLI_PACKAGE.version, 'host.name': hostname() });
        expect(log!.scope).toEqual({ name: 'tracee-rs', version: CLI_PACKAGE.version });
        expect(log!.timeUnixNano).toBe(String(bootEpochNs() + BigInt(e.timestamp)));
        expect(log!.eventName).toBe(e.eventName);
        expect(log!.attributes).toEqual(recordAttributes(e));
      }

      // the marker's exec and the finding, by what they must say
      const exec = events.find(isMarker)!;
      expect(logs.get(traceeJson(exec))).toMatchObject({
        severityNumber: 9,
        severityText: 'INFO',
        attributes: {
          'process.pid': execPid,
          'process.parent_pid': process.pid,
          'process.real_user.id': 0,
          'process.command_args': ['/bin/true', marker],
          'file.path': '/bin/true',
          'container.id': CONTAINER_ID,
          'tracee.event.name': 'execve',
          'tracee.matched_policies': [''],
        },
      });
      const finding = events.find((e) => e.hostProcessId === findingPid && isFindingEvent(e))!;
      expect(BUILTIN_RULES.find((r) => r.id === 'TRC-102')!.severity).toBe(1);
      expect(logs.get(traceeJson(finding))).toMatchObject({
        eventName: 'anti_debugging',
        severityNumber: 13,
        severityText: 'low',
        attributes: {
          'process.pid': findingPid,
          'process.executable.name': 'python3',
          'container.id': CONTAINER_ID,
          'security_rule.name': 'Anti-Debugging detected',
          'tracee.signature.id': 'TRC-102',
          'tracee.severity': 1,
          'tracee.mitre.technique.id': 'T1622',
        },
      });
      // a pod's container, named, with its image and pod
      expect(logs.get(traceeJson(podEvent(2)))!.attributes).toMatchObject({
        'container.id': 'ab'.repeat(32),
        'container.name': 'k8s_web_web-0_shop',
        'container.image.name': 'registry.local:5000/shop/web',
        'container.image.tags': ['1.2'],
        'container.image.repo_digests': ['registry.local:5000/shop/web@sha256:' + 'ef'.repeat(32)],
        'k8s.pod.name': 'web-0',
        'k8s.namespace.name': 'shop',
        'k8s.pod.uid': '6f0e1d2c-0000-4000-8000-000000000001',
        'file.path': '/srv/data-2',
      });
    }
  }, 60_000);

  it('past its bound the queue drops at once and counts; what it kept is sent exactly once', async () => {
    const collector = await startCollector();
    const dests = TRANSPORTS.map((t) => destination(t.name, `${t.scheme}:${t.scheme === 'otlp' ? collector.http : collector.grpc}`, { maxQueueSize: 100, maxExportBatchSize: 40, maxConcurrentExports: 1 }));
    const events = Array.from({ length: 250 }, (_, i) => podEvent(i));
    for (const d of dests) {
      d.write(events);
      expect(d.stats()).toEqual({ written: 250, sent: 0, dropped: 150, queued: 100, failed: 0 });
    }
    await Promise.all(dests.map((d) => d.close(20_000)));
    const received = await collector.stop();
    for (const [i, t] of TRANSPORTS.entries()) {
      expect([t.name, dests[i].stats()]).toEqual([t.name, { written: 250, sent: 100, dropped: 150, queued: 0, failed: 0 }]);
      // the first 100 (the queue kept them, in order: one export at a time), each once
      expect([t.name, received[t.received].logs.map((l) => l.body)]).toEqual([t.name, events.slice(0, 100).map((e) => traceeJson(e))]);
      expect([t.name, received[t.received].requests]).toEqual([t.name, 3]);
    }
  }, 60_000);

  it('several exports in flight (OTLP_DEFAULTS.maxConcurrentExports): every record arrives exactly once', async () => {
    expect(OTLP_DEFAULTS.maxConcurrentExports).toBeGreaterThan(1);
    const collector = await startCollector();
    const dests = TRANSPORTS.map((t) => destination(t.name, `${t.scheme}:${t.scheme === 'otlp' ? collector.http : collector.grpc}`, { maxExportBatchSize: 50 }));
    const events = Array.from({ length: 1000 }, (_, i) => podEvent(i));
    for (const d of dests) d.write(events);
    await Promise.all(dests.map((d) => d.close(20_000)));
    const received = await collector.stop();
    for (const [i, t] of TRANSPORTS.entries()) {
      expect([t.name, dests[i].stats()]).toEqual([t.name, { written: 1000, sent: 1000, dropped: 0, queued: 0, failed: 0 }]);
      // exports in flight together may arrive in any order: each record once
      expect([t.name, received[t.received].logs.map((l) => l.body as string).sort()]).toEqual([t.name, events.map((e) => traceeJson(e)).sort()]);
      expect([t.name, received[t.received].requests]).toEqual([t.name, 20]);
    }
  }, 60_000);

  it('writes of one event each go out together: a partial batch after scheduledDelayMs, without close()', async () => {
    const collector = await startCollector();
    const dests = TRANSPORTS.map((t) => destination(t.name, `${t.scheme}:${t.scheme === 'otlp' ? collector.http : collector.grpc}`, { scheduledDelayMs: 300 }));
    for (let i = 0; i < 20; i++) for (const d of dests) d.write([podEvent(i)]);
    // nothing goes before the delay
    for (const d of dests) expect(d.stats()).toEqual({ written: 20, sent: 0, dropped: 0, queued: 20, failed: 0 });
    await until(() => dests.every((d) => d.stats().sent === 20), 10_000, 'the delayed batch');
    await Promise.all(dests.map((d) => d.close(5000)));
    const received = await collector.stop();
    for (const [i, t] of TRANSPORTS.entries()) {
      expect([t.name, dests[i].stats()]).toEqual([t.name, { written: 20, sent: 20, dropped: 0, queued: 0, failed: 0 }]);
      expect([t.name, received[t.received].requests, received[t.received].logs.length]).toEqual([t.name, 1, 20]);
    }
  }, 60_000);

  it('no collector (connection refused): exports fail after the exporter’s retries and are dropped, exactly; write() never throws; close() keeps its time', async () => {
    const port = await freePort();
    for (const t of TRANSPORTS) {
      const d = destination(t.name, `${t.scheme}:http://127.0.0.1:${port}`, { maxQueueSize: 100, maxExportBatchSize: 10, exportTimeoutMs: 1500 });
      const events = Array.from({ length: 130 }, (_, i) => podEvent(i));
      d.write(events.slice(0, 20));
      // a batch given up after the exporter's retries: dropped and failed
      await until(() => d.stats().failed >= 1, 10_000, `${t.name}: a failed export`);
      const s = d.stats();
      expect([t.name, s.sent, s.dropped % 10, balanced(s)]).toEqual([t.name, 0, 0, true]);
      expect(s.dropped).toBeGreaterThanOrEqual(10);
      // the bound holds while exports fail: 110 more, 100 at most queued
      const before = d.stats();
      d.write(events.slice(20));
      const after = d.stats();
      expect([t.name, after.written, after.queued, after.dropped - before.dropped]).toEqual([t.name, 130, 100, 110 - (100 - before.queued)]);
      const start = Date.now();
      await d.close(2000);
      const took = Date.now() - start;
      expect(took, t.name).toBeLessThan(2000 + 500);
      // nothing sent, everything accounted for
      const end = d.stats();
      expect([t.name, end.written, end.sent, end.dropped, end.queued]).toEqual([t.name, 130, 0, 130, 0]);
      // one per export given up (13 batches at most: close() drops the rest unsent)
      expect(end.failed).toBeGreaterThanOrEqual(s.failed);
      expect(end.failed).toBeLessThanOrEqual(13);
      // after close: dropped, counted
      d.write([podEvent(999)]);
      expect([t.name, d.stats().written, d.stats().dropped]).toEqual([t.name, 131, 131]);
    }
  }, 60_000);
});
