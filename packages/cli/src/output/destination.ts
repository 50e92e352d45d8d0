// What every output destination is to the agent (Tracee's "destinations":
// file, webhook; ours: otlp). The trace's batches fan out to each
// destination's own bounded queue, so a slow or dead destination never
// stalls the tracer or the other destinations: what does not fit is
// dropped there and counted, never buffered without bound.
import { createRequire } from 'node:module';
import type { TraceeEvent } from '@tracee/core';

/** This package (tracee-rs), as its package.json says: OTLP's service.name and service.version, a webhook's User-Agent. */
export const PACKAGE = createRequire(import.meta.url)('../../package.json') as { name: string; version: string };

/** Destination types: Tracee's `file` and `webhook`; ours `otlp` (OpenTelemetry logs). */
export const DESTINATION_TYPES = ['file', 'webhook', 'otlp'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

/** Which records a stream passes (ours): plain events, findings (events of signatures), or both. */
export const STREAM_KINDS = ['all', 'events', 'findings'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

/**
 * What a stream does when a destination's queue is full (Tracee's
 * `buffer.mode`): drop (ours by default: the newest are dropped and
 * counted; a slow destination never holds the tracer back) or block
 * (Tracee's default: the tracer waits for room, and the kernel's ring
 * buffer loses records instead, counted as `lost`).
 */
export const BUFFER_MODES = ['drop', 'block'] as const;
export type BufferMode = (typeof BUFFER_MODES)[number];

/**
 * The nice value, above the tracer's thread (at most 19), of the threads
 * that send a destination's records (an otlp destination's exporter, a
 * webhook's requests): their CFS weight is ~1/10 of the tracer's, so the
 * tracer gets ~90 % of a CPU both want, and the sender the rest and every
 * idle cycle; what a sender cannot keep up with is dropped at its queue
 * (counted) instead of lost in the kernel's ring.
 */
export const SENDER_NICE = 10;

/** How OTLP is carried: OpenTelemetry's names (OTEL_EXPORTER_OTLP_PROTOCOL). */
export const OTLP_PROTOCOLS = ['http/protobuf', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** How a destination serializes events: Tracee's JSON lines, or the CLI's table. */
export const DESTINATION_FORMATS = ['json', 'table'] as const;
export type DestinationFormat = (typeof DESTINATION_FORMATS)[number];

/**
 * A destination's counters, in events (findings are events), exact at any
 * moment: `written` = `sent` + `dropped` + `queued`.
 */
export interface DestinationStats {
  /** Events handed to write() (after the stream's filter). */
  written: number;
  /** Events the destination accepted (a file written, a 2xx answer, an OTLP export that succeeded). */
  sent: number;
  /** Events given up: the queue was full, every retry failed, or close() ran out of time. */
  dropped: number;
  /** Events waiting or in flight now. */
  queued: number;
  /** Failed attempts (a request that failed and is retried counts once per attempt). */
  failed: number;
}

/**
 * The lines of Tracee's JSON made for a batch beforehand (by the native
 * writer: TraceSession.nextWithJson), `lines[i]` the line of the batch's
 * `events[i]`, without its newline; made with `parseArguments` as given. A
 * destination whose JSON is made otherwise (with other parseArguments)
 * makes its own with traceeJson.
 */
export interface JsonLines {
  readonly lines: readonly string[];
  readonly parseArguments: boolean;
}

export interface Destination {
  /** Its name in the configuration (Tracee's `output.destinations[].name`). */
  readonly name: string;
  readonly type: DestinationType;
  /**
   * Takes a batch (already filtered by the destination's stream); never
   * blocks and never throws: events past the queue's bound are dropped and
   * counted in stats().dropped. `json`, where given, holds the events'
   * lines of Tracee's JSON, aligned with `events` (see {@link JsonLines}).
   */
  write(events: readonly TraceeEvent[], json?: JsonLines): void;
  stats(): DestinationStats;
  /** Why its last attempt failed (`HTTP 500`, `ECONNREFUSED`, `writing F failed: ENOSPC`), if one did: never a secret. */
  readonly lastError?: string;
  /** Reopens what it writes to (a file moved by logrotate: SIGUSR1); a no-op where nothing is open. */
  reopen(): void;
  /**
   * Sends what is queued, waiting at most `timeoutMs`; what is still queued
   * then is counted as dropped. Idempotent; write() after close() drops.
   */
  close(timeoutMs: number): Promise<void>;
}
