// The agent's configuration once resolved: the config file and the command
// line merged (flags win), defaults filled in, every value checked
// (resolve.ts). What runs the agent reads this, never the file or argv.
import type { DestinationFormat, DestinationType } from '../output/destination.js';
import type { TraceArgs } from '../trace-command.js';
import { DEFAULT_QUEUE_EVENTS } from '../output/queue.js';
import type { BufferMode, OtlpProtocol, StreamKind } from './schema.js';

/** One destination (Tracee's `output.destinations[]`), with its defaults. */
export interface DestinationConfig {
  /** Unique among destinations; named by streams and metrics. */
  name: string;
  type: DestinationType;
  /** Default table for file, json for webhook and otlp (Tracee's defaults). */
  format: DestinationFormat;
  /** file: the path appended to, or `stdout` or `stderr`. */
  path?: string;
  /** webhook, otlp: the URL (http: or https:). */
  url?: string;
  /** otlp: how OTLP is carried (default http/protobuf). */
  protocol?: OtlpProtocol;
  /** webhook, otlp: headers (gRPC metadata) of each request; secret: `config show` masks the values. */
  headers?: Record<string, string>;
  /** webhook, otlp: ms one request may take; absent: the destination's default. */
  timeoutMs?: number;
  /** webhook, otlp: attempts after the first for a batch; absent: the destination's default. */
  retries?: number;
}

/** One stream (Tracee's `output.streams[]`): which records go to which destinations. */
export interface StreamConfig {
  name: string;
  /** Destination names; each destination is in exactly one stream. */
  destinations: string[];
  filters: {
    /** Event (or signature) names; empty: every one. */
    events: string[];
    /** Policy names a record must have matched one of; empty: any. */
    policies: string[];
    kind: StreamKind;
    /** Findings below this severity (0 info .. 4 critical) are left out; absent: none are. */
    severity?: number;
  };
  /** Each destination's queue: its bound in records, and what happens when it is full. */
  buffer: { mode: BufferMode; size: number };
  /** Made for a destination no stream named (Tracee's implicit, filter-less stream); named as the destination. */
  implicit: boolean;
}

/** What `--output option:...` (Tracee's output options) and their own flags turn on. */
export interface OutputOptions {
  parseArguments: boolean;
  execEnv: boolean;
}

/** The HTTP server (Tracee's `--server`); absent when nothing asks for it. */
export interface ServerConfig {
  /** HOST:PORT (`:PORT`: every address); default 127.0.0.1:3366, Tracee's. */
  httpAddress: string;
  metrics: boolean;
  healthz: boolean;
}

/** Aggregated findings (ours); absent: every finding is emitted as it comes. */
export interface AggregateConfig {
  /** How long identical findings are gathered, in ms. */
  windowMs: number;
}

/** The trace command's own options, as the command line gives them (TraceArgs without what `output` holds). */
export type TraceOptions = Omit<TraceArgs, 'output' | 'parse-arguments' | 'exec-env' | 'agent'>;

/** The agent's whole configuration, resolved. */
export interface AgentConfig {
  /** The config file read, if any. */
  file?: string;
  trace: TraceOptions;
  output: { destinations: DestinationConfig[]; streams: StreamConfig[]; options: OutputOptions };
  server?: ServerConfig;
  aggregate?: AggregateConfig;
}

/** Records a stream's destinations may each hold queued (Tracee's `buffer.size` default). */
export const DEFAULT_BUFFER_SIZE = DEFAULT_QUEUE_EVENTS;

/** The destination writing to stdout, if any (the one today's printing path serves). */
export function stdoutDestination(config: AgentConfig): DestinationConfig | undefined {
  return config.output.destinations.find((d) => d.type === 'file' && d.path === 'stdout');
}

/**
 * The arguments of runTrace for a resolved configuration: the trace
 * options, the stdout destination's format as `output` (table when none
 * writes to stdout), the output options, and the whole configuration as
 * `agent`.
 */
export function traceArgs(config: AgentConfig): TraceArgs {
  return {
    ...config.trace,
    output: stdoutDestination(config)?.format ?? 'table',
    'parse-arguments': config.output.options.parseArguments,
    'exec-env': config.output.options.execEnv,
    agent: config,
  };
}
