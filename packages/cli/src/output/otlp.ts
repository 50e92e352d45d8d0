// The `otlp` destination: events and findings as OpenTelemetry logs, over
// OTLP/HTTP (protobuf) or OTLP/gRPC, through the OpenTelemetry JavaScript
// SDK's OTLP log exporters. In front of the exporter, this destination's own
// bounded queue and batching instead of the SDK's BatchLogRecordProcessor,
// whose queue drops silently when full and whose exports report to no one:
// here every event written is sent (the collector acknowledged its batch),
// dropped (queue full, export failed after the exporter's retries, close()
// out of time) or still queued, and the counts are exact. The records are
// the SDK's ReadableLogRecord made here, not by a LoggerProvider: its
// emit() cost 4.3 µs an event against 0.2 µs (measured on this 2-core
// machine, loaded), for what these records do not use (a context's trace
// ids, attribute limits). The exporter itself runs on the destination's own
// thread (otlp-worker.ts): its protobuf serialization, ~11 µs a record, on
// the event loop held a destination below 40 k records/s and, at 300 k
// events/s offered, let the kernel's ring lose records (docs/performance.md).
//
// One log record per event:
// - body: the event's line of Tracee's JSON (traceeJson: what `--output json`
//   prints, arguments and findings' metadata included, 64-bit values exact);
// - time: the event's (ns since the epoch, exact); observed time: when written;
// - eventName and `tracee.event.name`: Tracee's event name (the rule's for a finding);
// - severity: INFO for events; for findings, Tracee's severity 0..4
//   (FINDING_SEVERITY: informative INFO, low WARN, medium WARN3, high ERROR,
//   critical FATAL), its name in severityText;
// - attributes (recordAttributes): OpenTelemetry's semantic conventions for
//   the process, container, Kubernetes pod and file, Tracee's own under `tracee.`.
// The resource: service.name tracee-rs, service.version, host.name, then
// what OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME say (a DaemonSet's pod).
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SeverityNumber, type LogAttributes } from '@opentelemetry/api-logs';
import type * as Resources from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import {
  ATTR_CONTAINER_ID,
  ATTR_CONTAINER_IMAGE_NAME,
  ATTR_CONTAINER_IMAGE_REPO_DIGESTS,
  ATTR_CONTAINER_IMAGE_TAGS,
  ATTR_K8S_NAMESPACE_NAME,
  ATTR_K8S_POD_NAME,
  ATTR_K8S_POD_UID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import { isFindingEvent, traceeJson, bootEpochNs, TraceeError, type Severity, type TraceeEvent } from '@tracee/core';
import { PACKAGE, SENDER_NICE, type Destination, type DestinationStats, type JsonLines, type OtlpProtocol } from './destination.js';
import type { ExporterSettings, FromExporter, ToExporter, WireLogRecord } from './otlp-worker.js';
import { DEFAULT_QUEUE_EVENTS } from './queue.js';
import { maskUrl } from './secrets.js';

// The OpenTelemetry resources module is loaded when the first otlp
// destination is made (a trace without one should not pay for it); the
// exporters are loaded by each destination's exporter thread
// (otlp-worker.ts), with grpc-js in ~0.3 s, beside the event loop.
// (CommonJS builds, loaded synchronously.)
const load = createRequire(import.meta.url);
let resources: typeof Resources | undefined;
/**
 * The exporter thread's script: otlp-worker.js next to this module; run
 * from its sources (vitest), the built one (`npm run build`), as Node 20
 * runs no TypeScript in a Worker.
 */
const EXPORTER_THREAD = import.meta.url.endsWith('.ts') ? new URL('../../dist/output/otlp-worker.js', import.meta.url) : new URL('./otlp-worker.js', import.meta.url);
/** This package (tracee-rs): service.name, service.version, the records' instrumentation scope. */
const pkg = PACKAGE;

/**
 * The semantic conventions' attributes still "incubating" in
 * @opentelemetry/semantic-conventions 1.45 (its `/incubating` entry point,
 * which may change in a minor version: its README asks to copy them, and
 * otlp.test.ts checks these copies against it). The stable ones are
 * imported above.
 */
export const INCUBATING = {
  ATTR_HOST_NAME: 'host.name',
  /** The host's pid (Tracee's hostProcessId). */
  ATTR_PROCESS_PID: 'process.pid',
  /** The pid in the process's pid namespace (Tracee's processId). */
  ATTR_PROCESS_VPID: 'process.vpid',
  ATTR_PROCESS_PARENT_PID: 'process.parent_pid',
  ATTR_THREAD_ID: 'thread.id',
  /** The task's comm (Tracee's processName; at most 15 bytes of the executable's name). */
  ATTR_PROCESS_EXECUTABLE_NAME: 'process.executable.name',
  /** An exec's argv, as the program received it (semconv: not process.command_line, which would have to be assembled). */
  ATTR_PROCESS_COMMAND_ARGS: 'process.command_args',
  /** Tracee's userId: the real uid (bpf_get_current_uid_gid, in the initial user namespace). */
  ATTR_PROCESS_REAL_USER_ID: 'process.real_user.id',
  ATTR_CONTAINER_NAME: 'container.name',
  ATTR_FILE_PATH: 'file.path',
  ATTR_SECURITY_RULE_NAME: 'security_rule.name',
  ATTR_SECURITY_RULE_DESCRIPTION: 'security_rule.description',
  ATTR_SECURITY_RULE_CATEGORY: 'security_rule.category',
} as const;

/** Tracee's own fields, as attributes under `tracee.` (the rest is in the body). */
export const TRACEE_ATTRS = {
  eventName: 'tracee.event.name',
  eventId: 'tracee.event.id',
  matchedPolicies: 'tracee.matched_policies',
  returnValue: 'tracee.return_value',
  /** A finding's rule: Tracee's signature id (`TRC-102`). */
  signatureId: 'tracee.signature.id',
  /** A finding's Tracee severity, 0..4. */
  severity: 'tracee.severity',
  /** MITRE ATT&CK technique id (`T1622`) and name. */
  mitreTechniqueId: 'tracee.mitre.technique.id',
  mitreTechniqueName: 'tracee.mitre.technique.name',
} as const;

/**
 * Tracee's severity (rules/rule.ts: 0 informative … 4 critical) as
 * OpenTelemetry's SeverityNumber, and its name as severityText. The
 * ranges keep their meaning: informative is INFO, suspicious WARN (low,
 * then medium higher in the range), serious ERROR, critical FATAL.
 */
export const FINDING_SEVERITY: Readonly<Record<Severity, { number: SeverityNumber; text: string }>> = {
  0: { number: SeverityNumber.INFO, text: 'informative' },
  1: { number: SeverityNumber.WARN, text: 'low' },
  2: { number: SeverityNumber.WARN3, text: 'medium' },
  3: { number: SeverityNumber.ERROR, text: 'high' },
  4: { number: SeverityNumber.FATAL, text: 'critical' },
};
/** A plain event's severity. */
export const EVENT_SEVERITY = { number: SeverityNumber.INFO, text: 'INFO' } as const;

/** `name:tag` (`busybox:1.36`, `localhost:5000/app:v2`) as the image's name and tag; a digest reference (`app@sha256:…`) has no tag. */
function splitImage(image: string): { name: string; tag?: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { name: image.slice(0, at) };
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? { name: image.slice(0, colon), tag: image.slice(colon + 1) } : { name: image };
}

/**
 * The attributes of an event's log record: the process, thread and user
 * (the triggering event's, for a finding), its container and pod where
 * known, file.path where it has a `pathname` argument, an exec's argv,
 * Tracee's event name, id, policies and return value, and for a finding its
 * rule. Absent rather than empty where unknown.
 */
export function recordAttributes(e: TraceeEvent): LogAttributes {
  // for a finding: what triggered it (its args are the finding's triggeredBy)
  const trigger = isFindingEvent(e) ? e.finding.event : e;
  const a: LogAttributes = {
    [INCUBATING.ATTR_PROCESS_PID]: e.hostProcessId,
    [INCUBATING.ATTR_PROCESS_VPID]: e.processId,
    [INCUBATING.ATTR_PROCESS_PARENT_PID]: e.hostParentProcessId,
    [INCUBATING.ATTR_THREAD_ID]: e.hostThreadId,
    [INCUBATING.ATTR_PROCESS_EXECUTABLE_NAME]: e.processName,
    [INCUBATING.ATTR_PROCESS_REAL_USER_ID]: e.userId,
    [TRACEE_ATTRS.eventName]: e.eventName,
    [TRACEE_ATTRS.eventId]: e.eventId,
    [TRACEE_ATTRS.matchedPolicies]: [...e.matchedPolicies],
    [TRACEE_ATTRS.returnValue]: e.returnValue,
  };
  const id = e.container.id || e.containerId;
  if (id) a[ATTR_CONTAINER_ID] = id;
  if (e.container.name) a[INCUBATING.ATTR_CONTAINER_NAME] = e.container.name;
  if (e.container.image) {
    const { name, tag } = splitImage(e.container.image);
    a[ATTR_CONTAINER_IMAGE_NAME] = name;
    if (tag) a[ATTR_CONTAINER_IMAGE_TAGS] = [tag];
  }
  if (e.container.imageDigest) a[ATTR_CONTAINER_IMAGE_REPO_DIGESTS] = [e.container.imageDigest];
  if (e.kubernetes.podName) a[ATTR_K8S_POD_NAME] = e.kubernetes.podName;
  if (e.kubernetes.podNamespace) a[ATTR_K8S_NAMESPACE_NAME] = e.kubernetes.podNamespace;
  if (e.kubernetes.podUID) a[ATTR_K8S_POD_UID] = e.kubernetes.podUID;
  for (const arg of trigger.args) {
    if (arg.name === 'pathname' && typeof arg.value === 'string') a[INCUBATING.ATTR_FILE_PATH] = arg.value;
    else if (arg.name === 'argv' && Array.isArray(arg.value) && arg.value.every((v) => typeof v === 'string')) a[INCUBATING.ATTR_PROCESS_COMMAND_ARGS] = [...(arg.value as string[])];
  }
  if (isFindingEvent(e)) {
    const rule = e.finding.rule;
    a[INCUBATING.ATTR_SECURITY_RULE_NAME] = rule.name;
    a[INCUBATING.ATTR_SECURITY_RULE_DESCRIPTION] = rule.description;
    a[INCUBATING.ATTR_SECURITY_RULE_CATEGORY] = rule.mitre.tactic;
    a[TRACEE_ATTRS.signatureId] = rule.id;
    a[TRACEE_ATTRS.severity] = rule.severity;
    a[TRACEE_ATTRS.mitreTechniqueId] = rule.mitre.id;
    a[TRACEE_ATTRS.mitreTechniqueName] = rule.mitre.technique;
  }
  return a;
}

/** ns since the epoch as OpenTelemetry's HrTime ([seconds, nanoseconds]), exactly. */
export function hrTimeOfNs(ns: bigint): [number, number] {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

/** What a log record says of its event (the rest is the destination's: resource, scope, observed time). */
export type EventLogRecord = Required<Pick<ReadableLogRecord, 'eventName' | 'hrTime' | 'severityNumber' | 'severityText' | 'body' | 'attributes'>>;

/**
 * The log record of one event or finding (see the file's head for the
 * mapping); `body`, where given, is its traceeJson(e) made beforehand.
 */
export function logRecordOf(e: TraceeEvent, body: string = traceeJson(e)): EventLogRecord {
  const severity = isFindingEvent(e) ? FINDING_SEVERITY[e.finding.rule.severity] : EVENT_SEVERITY;
  return {
    eventName: e.eventName,
    // records count ns from boot, OTLP from the epoch
    hrTime: hrTimeOfNs(bootEpochNs() + BigInt(e.timestamp)),
    severityNumber: severity.number,
    severityText: severity.text,
    body,
    attributes: recordAttributes(e),
  };
}

export type { OtlpProtocol };

/** Where an otlp destination sends: the transport and the full URL (with /v1/logs for HTTP). */
export interface OtlpEndpoint {
  protocol: OtlpProtocol;
  url: string;
}

/** The URL schemes of an otlp destination, by transport (`otlp:http://host:4318`, `otlp+grpc:http://host:4317`). */
export const OTLP_SCHEMES: Readonly<Record<string, OtlpProtocol>> = { otlp: 'http/protobuf', 'otlp+grpc': 'grpc' };
/** The OTLP/HTTP path of logs, appended to the URL's path unless it ends with it (as OTEL_EXPORTER_OTLP_ENDPOINT is). */
export const OTLP_HTTP_LOGS_PATH = '/v1/logs';

const USAGE = 'use e.g. otlp:http://127.0.0.1:4318 (OTLP/HTTP) or otlp+grpc:http://127.0.0.1:4317 (OTLP/gRPC)';

/**
 * An otlp destination's `--output` form into its transport and URL:
 * `otlp:http[s]://host[:port][/path]` is OTLP/HTTP with protobuf, to
 * `/path/v1/logs` (`/v1/logs` without a path; a path ending in `/v1/logs`
 * is kept); `otlp+grpc:http[s]://host[:port]` is OTLP/gRPC (https: TLS).
 * Throws an Error of one line naming the accepted forms.
 */
export function parseOtlpUrl(spec: string): OtlpEndpoint {
  const colon = spec.indexOf(':');
  const protocol = colon > 0 ? OTLP_SCHEMES[spec.slice(0, colon)] : undefined;
  if (!protocol) throw new Error(`invalid otlp destination '${maskUrl(spec)}': ${USAGE}`);
  const rest = spec.slice(colon + 1);
  let url: URL;
  try {
    url = new URL(rest);
  } catch {
    throw new Error(`invalid otlp destination '${maskUrl(spec)}': '${maskUrl(rest)}' is not a URL; ${USAGE}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`invalid otlp destination '${maskUrl(spec)}': the URL must be http:// or https://; ${USAGE}`);
  if (url.search || url.hash) throw new Error(`invalid otlp destination '${maskUrl(spec)}': no query or fragment is sent; ${USAGE}`);
  if (protocol === 'grpc') {
    if (url.pathname !== '/') throw new Error(`invalid otlp destination '${maskUrl(spec)}': OTLP/gRPC has no path, give host and port only; ${USAGE}`);
    return { protocol, url: url.origin };
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(OTLP_HTTP_LOGS_PATH) ? path : path + OTLP_HTTP_LOGS_PATH;
  return { protocol, url: url.href };
}

export interface OtlpDestinationOptions {
  /** Its name in the configuration. */
  name: string;
  endpoint: OtlpEndpoint;
  /** Events queued or in flight at most; past it write() drops and counts. Default {@link OTLP_DEFAULTS}. */
  maxQueueSize?: number;
  /** Records per export request at most. */
  maxExportBatchSize?: number;
  /** A batch smaller than maxExportBatchSize is sent this long (ms) after its first event. */
  scheduledDelayMs?: number;
  /**
   * Exports in flight at most: while one waits for the collector's answer
   * the next is serialized and sent (with one, a round trip of ~25 ms per
   * 512 records held a destination to ~20 k events/s on this machine).
   * Records of exports in flight together may arrive out of order.
   */
  maxConcurrentExports?: number;
  /** An export's time (ms), the exporter's retries included; then the batch is dropped. */
  exportTimeoutMs?: number;
  /** OTLP/HTTP only: headers of each request (an API key): never logged. */
  headers?: Record<string, string>;
}


/**
 * Defaults: the SDK's BatchLogRecordProcessor's batch size (512) and a
 * queue of 16 Ki events (at ~1.5 KiB a record, ~24 MiB at most).
 */
export const OTLP_DEFAULTS = { maxQueueSize: DEFAULT_QUEUE_EVENTS, maxExportBatchSize: 512, scheduledDelayMs: 1000, exportTimeoutMs: 10_000, maxConcurrentExports: 4 } as const;

/**
 * An `otlp` destination (see the file's head). write() makes each event's
 * log record at once (the event is not kept) and queues it; up to
 * maxConcurrentExports exports are in flight at a time, each of up to
 * maxExportBatchSize records, sent when that many are queued or
 * scheduledDelayMs after the first. The SDK's exporter runs on the
 * destination's own thread (otlp-worker.ts, at a lower priority): an export
 * is its records posted there (structured-cloned, ~2 µs a record here,
 * against the exporter's ~11 µs of serializing, which no longer runs on the
 * event loop). An export the exporter gives up on (after its own retries of
 * what is retryable: connection refused, 429/502/503/504, gRPC UNAVAILABLE,
 * up to 5 attempts within exportTimeoutMs) is dropped and counted once in
 * `failed`, its reason in `lastError`; its retries are not visible to us.
 * `sent` counts records of exports that succeeded (the collector answered
 * 2xx / gRPC OK; a partial success the collector reports is logged by the
 * exporter, not counted here). If the thread fails, what is queued and in
 * flight is dropped, and so is everything written after; `lastError` says
 * why.
 */
export class OtlpDestination implements Destination {
  readonly type = 'otlp' as const;
  readonly name: string;
  readonly endpoint: OtlpEndpoint;
  /** Why the last export failed (the exporter's error), or why the exporter thread ended; never a header. */
  lastError: string | undefined;
  readonly #options: Required<Omit<OtlpDestinationOptions, 'name' | 'endpoint' | 'headers'>>;
  readonly #worker: Worker;
  /** The exporter thread's id in the kernel, once it started. */
  #tid: number | undefined;
  /** Resolved when the exporter thread has exited. */
  readonly #exited: Promise<void>;
  /** Records made and not yet exported. */
  #queue: WireLogRecord[] = [];
  /** The exports in flight, by id: their records. */
  #exports = new Map<number, number>();
  #nextId = 0;
  /** Records in the exports in flight. */
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;
  /** close() ends the thread: its exit is not a failure. */
  #ending = false;
  /** The exporter thread failed: set once. */
  #failed = false;
  /** close() is draining: partial batches go at once. */
  #flushing = false;
  #drained: (() => void) | undefined;
  #shutdown: (() => void) | undefined;
  #stats: Omit<DestinationStats, 'queued'> = { written: 0, sent: 0, dropped: 0, failed: 0 };

  /** Throws a TraceeError (`EINVAL`) for headers over OTLP/gRPC. */
  constructor(options: OtlpDestinationOptions) {
    this.name = options.name;
    this.endpoint = options.endpoint;
    this.#options = {
      maxQueueSize: options.maxQueueSize ?? OTLP_DEFAULTS.maxQueueSize,
      maxExportBatchSize: options.maxExportBatchSize ?? OTLP_DEFAULTS.maxExportBatchSize,
      scheduledDelayMs: options.scheduledDelayMs ?? OTLP_DEFAULTS.scheduledDelayMs,
      exportTimeoutMs: options.exportTimeoutMs ?? OTLP_DEFAULTS.exportTimeoutMs,
      maxConcurrentExports: options.maxConcurrentExports ?? OTLP_DEFAULTS.maxConcurrentExports,
    };
    if (options.headers && options.endpoint.protocol === 'grpc') {
      // the gRPC exporter takes a grpc-js Metadata, not plain headers
      throw new TraceeError('EINVAL', `destination ${options.name}: headers are supported on OTLP/HTTP (otlp:) only, not yet on OTLP/gRPC (otlp+grpc:): use otlp:http://HOST:4318, or set OTEL_EXPORTER_OTLP_LOGS_HEADERS`);
    }
    const settings: ExporterSettings = {
      role: 'otlp-exporter',
      nice: SENDER_NICE,
      endpoint: options.endpoint,
      exportTimeoutMs: this.#options.exportTimeoutMs,
      ...(options.headers ? { headers: options.headers } : {}),
      resource: otlpResource().attributes,
      scope: { name: pkg.name, version: pkg.version },
    };
    this.#worker = new Worker(EXPORTER_THREAD, { workerData: settings, name: `otlp ${options.name}` });
    // a destination keeps nothing alive: close() is what waits
    this.#worker.unref();
    this.#worker.on('message', (m: FromExporter) => this.#onMessage(m));
    this.#worker.on('error', (error) => this.#fail(`the exporter thread failed: ${error.message}`));
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        if (!this.#ending) this.#fail(`the exporter thread exited (code ${code})`);
        resolve();
      }),
    );
  }

  /** The exporter thread's id in the kernel (`/proc/self/task/TID`) once it started; it is gone after close(). */
  get exporterTid(): number | undefined {
    return this.#tid;
  }

  write(events: readonly TraceeEvent[], json?: JsonLines): void {
    this.#stats.written += events.length;
    const observed = hrTimeOfNs(BigInt(Date.now()) * 1_000_000n);
    // the body is traceeJson's default form: lines made with parseArguments are not it
    const lines = json && !json.parseArguments ? json.lines : undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (this.#closed || this.#queue.length + this.#inFlight >= this.#options.maxQueueSize) {
        this.#stats.dropped++;
        continue;
      }
      try {
        this.#queue.push({ ...logRecordOf(e, lines?.[i]), hrTimeObserved: observed });
      } catch {
        // an event that cannot be made into a record (none known): counted, not thrown
        this.#stats.dropped++;
      }
    }
    this.#pump();
  }

  stats(): DestinationStats {
    return { ...this.#stats, queued: this.#queue.length + this.#inFlight };
  }

  /** Nothing is open: a no-op. */
  reopen(): void {}

  /**
   * Sends what is queued for at most `timeoutMs`, then counts what is left
   * as dropped, shuts the exporter down (within the same time) and ends its
   * thread. Idempotent.
   */
  close(timeoutMs: number): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.#closed = true;
    this.#flushing = true;
    this.#pump();
    if (this.#queue.length + this.#inFlight > 0) {
      await race(new Promise<void>((resolve) => (this.#drained = resolve)), timeoutMs);
      this.#drained = undefined;
    }
    // out of time: what is left is dropped, and the exports in flight too (if
    // they succeed later, they are not counted again)
    this.#dropAll();
    clearTimeout(this.#timer);
    this.#ending = true;
    if (!this.#failed) {
      // the exporter's shutdown waits for its sends (an abandoned one retries
      // until its own timeout): not past ours
      const shutdown = new Promise<void>((resolve) => (this.#shutdown = resolve));
      this.#worker.postMessage({ type: 'shutdown' } satisfies ToExporter);
      await race(Promise.race([shutdown, this.#exited]), Math.max(0, deadline - Date.now()));
    }
    await this.#worker.terminate();
    await this.#exited;
  }

  #onMessage(m: FromExporter): void {
    if (m.type === 'ready') this.#tid = m.tid;
    else if (m.type === 'shutdown') this.#shutdown?.();
    else {
      const records = this.#exports.get(m.id);
      // close() gave up on it and counted it dropped
      if (records === undefined) return;
      this.#exports.delete(m.id);
      this.#inFlight -= records;
      if (m.ok) this.#stats.sent += records;
      else {
        this.#stats.failed++;
        this.#stats.dropped += records;
        this.lastError = m.error ?? 'the export failed';
      }
      this.#pump();
    }
  }

  /** The exporter thread failed: what is queued and in flight is dropped, and everything written after; said once. */
  #fail(why: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#closed = true;
    this.lastError = why;
    this.#dropAll();
    this.#drained?.();
  }

  /** Counts what is queued and in flight as dropped; late answers of those exports are ignored. */
  #dropAll(): void {
    const left = this.#queue.length + this.#inFlight;
    if (left === 0) return;
    this.#stats.dropped += left;
    this.#queue = [];
    this.#inFlight = 0;
    this.#exports.clear();
  }

  /** Starts exports while batches are due and fewer than maxConcurrentExports are in flight. */
  #pump(): void {
    if (this.#queue.length === 0) {
      if (this.#exports.size === 0) this.#drained?.();
      return;
    }
    if (this.#exports.size >= this.#options.maxConcurrentExports) return;
    if (this.#queue.length < this.#options.maxExportBatchSize && !this.#flushing) {
      if (!this.#timer) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#export();
        }, this.#options.scheduledDelayMs);
        // a destination keeps nothing alive: close() is what waits
        this.#timer.unref();
      }
      return;
    }
    this.#export();
    // the next batch may be due already
    this.#pump();
  }

  #export(): void {
    if (this.#failed || this.#exports.size >= this.#options.maxConcurrentExports || this.#queue.length === 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const records = this.#queue.splice(0, this.#options.maxExportBatchSize);
    const id = this.#nextId++;
    this.#inFlight += records.length;
    this.#exports.set(id, records.length);
    this.#worker.postMessage({ type: 'export', id, records } satisfies ToExporter);
  }
}

/** Waits for `p`, or `ms` at most. */
function race(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}

/** The resource of every record: service.name tracee-rs, service.version, host.name; OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME over them. */
export function otlpResource(): Resources.Resource {
  const { detectResources, envDetector, resourceFromAttributes } = (resources ??= load('@opentelemetry/resources') as typeof Resources);
  return resourceFromAttributes({
    [ATTR_SERVICE_NAME]: pkg.name,
    [ATTR_SERVICE_VERSION]: pkg.version,
    [INCUBATING.ATTR_HOST_NAME]: hostname(),
  }).merge(detectResources({ detectors: [envDetector] }));
}
