// The thread of an `otlp` destination (otlp.ts starts one per destination):
// it owns the OpenTelemetry SDK's OTLP log exporter, so the exporter's
// protobuf serialization (~11 µs a record here, docs/performance.md) and its
// sending and retries run beside the event loop that pulls the tracer's
// batches, never on it. The destination's thread keeps the queue, the
// batching and the counters; it posts each export's records here and this
// thread answers whether the collector took them. It runs at a lower
// priority (destination.ts: SENDER_NICE) than the tracer's thread: on a busy CPU the
// kernel ring is drained first, and what the exporter cannot keep up with is
// dropped (counted) at the destination's queue instead of lost in the kernel.
//
// Only the OpenTelemetry packages are loaded here (not @tracee/core): the
// records arrive made (logRecordOf, on the destination's thread).
import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type * as Core from '@opentelemetry/core';
import type * as OtlpGrpc from '@opentelemetry/exporter-logs-otlp-grpc';
import type * as OtlpProto from '@opentelemetry/exporter-logs-otlp-proto';
import type * as Resources from '@opentelemetry/resources';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { EventLogRecord, OtlpEndpoint } from './otlp.js';

/** What the destination's thread gives the exporter thread (its workerData). */
export interface ExporterSettings {
  /** Says the thread is an otlp destination's exporter (a module importing this one on another thread runs nothing). */
  role: 'otlp-exporter';
  /** The thread's nice value above its starter's (destination.ts: SENDER_NICE). */
  nice: number;
  endpoint: OtlpEndpoint;
  /** An export's time (ms), the exporter's retries included. */
  exportTimeoutMs: number;
  /** OTLP/HTTP only: headers of each request. */
  headers?: Record<string, string>;
  /** The records' resource (otlpResource(), made on the destination's thread, where OTEL_RESOURCE_ATTRIBUTES is read). */
  resource: Resources.Resource['attributes'];
  /** The records' instrumentation scope. */
  scope: { name: string; version: string };
}

/** A log record as posted: the event's record and when it was written. */
export type WireLogRecord = EventLogRecord & Pick<ReadableLogRecord, 'hrTimeObserved'>;

/** Messages to the exporter thread. */
export type ToExporter = { type: 'export'; id: number; records: WireLogRecord[] } | { type: 'shutdown' };

/** Messages from the exporter thread. */
export type FromExporter =
  /** Started: its thread id in the kernel (`/proc/self/task/TID`). */
  | { type: 'ready'; tid: number }
  /** Export `id` ended: the collector took it (ok), or the exporter gave up (after its retries) for `error`. */
  | { type: 'result'; id: number; ok: boolean; error?: string }
  /** The exporter has shut down (its sends ended). */
  | { type: 'shutdown' };

const port = parentPort;
const settings = workerData as ExporterSettings | undefined;
if (port && settings?.role === 'otlp-exporter') {
  // this thread only (setpriority(PRIO_PROCESS, 0) is the calling thread's on
  // Linux), `nice` above the thread that started it; where refused, at its
  try {
    setPriority(Math.min(19, getPriority() + settings.nice));
  } catch {
    // kept at the process's priority
  }
  const load = createRequire(import.meta.url);
  const { ExportResultCode } = load('@opentelemetry/core') as typeof Core;
  const { resourceFromAttributes } = load('@opentelemetry/resources') as typeof Resources;
  const config = { url: settings.endpoint.url, timeoutMillis: settings.exportTimeoutMs, ...(settings.headers ? { headers: settings.headers } : {}) };
  const exporter: LogRecordExporter =
    settings.endpoint.protocol === 'grpc'
      ? new (load('@opentelemetry/exporter-logs-otlp-grpc') as typeof OtlpGrpc).OTLPLogExporter(config)
      : new (load('@opentelemetry/exporter-logs-otlp-proto') as typeof OtlpProto).OTLPLogExporter(config);
  const resource = resourceFromAttributes(settings.resource);
  const post = (m: FromExporter) => port.postMessage(m);
  port.on('message', (m: ToExporter) => {
    if (m.type === 'shutdown') {
      void exporter
        .shutdown()
        .catch(() => {})
        .then(() => post({ type: 'shutdown' }));
      return;
    }
    const records: ReadableLogRecord[] = m.records.map((r) => ({ ...r, resource, instrumentationScope: settings.scope, droppedAttributesCount: 0 }));
    const done = (result: Core.ExportResult) => post({ type: 'result', id: m.id, ok: result.code === ExportResultCode.SUCCESS, ...(result.error ? { error: result.error.message } : {}) });
    try {
      exporter.export(records, done);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  });
  // /proc/thread-self is /proc/PID/task/TID
  post({ type: 'ready', tid: Number(readlinkSync('/proc/thread-self').split('/').pop()) });
}
