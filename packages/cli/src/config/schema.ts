// The agent's configuration file (`--config FILE`, YAML or JSON): its one
// definition, a JSON Schema (draft-07) that ajv checks files against
// (through @tracee/core's schemaProblems, as policies are checked) and that
// `tracee-rs config schema` prints for editors. Its keys are the trace
// command's option names, in Tracee's shape where Tracee has the option
// (Tracee's docs: docs/docs/flags/config.1.md, outputs/streams.md,
// flags/server.1.md, flags/enrichment.1.md); ConfigFile is its TypeScript
// type, checked against it by the compiler (ajv's JSONSchemaType).
import type { JSONSchemaType } from 'ajv';
import { DEFAULTS, type RuntimeName, type SyscallHooks } from '@tracee/core';
import { DEFAULT_QUEUE_EVENTS } from '../output/queue.js';
import {
  BUFFER_MODES,
  DESTINATION_FORMATS,
  DESTINATION_TYPES,
  OTLP_PROTOCOLS,
  STREAM_KINDS,
  type BufferMode,
  type DestinationFormat,
  type DestinationType,
  type OtlpProtocol,
  type StreamKind,
} from '../output/destination.js';

export { BUFFER_MODES, OTLP_PROTOCOLS, STREAM_KINDS, type BufferMode, type OtlpProtocol, type StreamKind };

/** One `output.destinations[]` entry as written (Tracee's, plus ours for webhook and otlp). */
export interface DestinationFile {
  name: string;
  type?: DestinationType | null;
  format?: DestinationFormat | null;
  path?: string | null;
  url?: string | null;
  protocol?: OtlpProtocol | null;
  headers?: Record<string, string> | null;
  timeout?: string | null;
  retries?: number | null;
}

/** One `output.streams[]` entry as written (Tracee's, plus `kind` and `severity`). */
export interface StreamFile {
  name: string;
  destinations: string[];
  filters?: { events?: string[] | null; policies?: string[] | null; kind?: StreamKind | null; severity?: number | null } | null;
  buffer?: { mode?: BufferMode | null; size?: number | null } | null;
}

/** Tracee's `enrichment.container` section: `<runtime>-socket` for each runtime tracee-rs asks. */
export type ContainerEnrichmentFile = {
  enabled?: boolean | null;
  cgroupfs?: { path?: string | null; force?: boolean | null } | null;
} & { [R in RuntimeName as `${R}-socket`]?: string | null };

/** The configuration file as written (every key optional; `null`, an empty YAML value, is as absent). */
export interface ConfigFile {
  events?: string[] | null;
  scope?: string[] | null;
  policy?: string[] | null;
  rules?: boolean | null;
  'rules-dir'?: string | null;
  duration?: string | null;
  'ring-buffer-mb'?: number | null;
  'perf-buffer'?: boolean | null;
  'legacy-programs'?: boolean | null;
  'syscall-hooks'?: SyscallHooks | null;
  'rootkit-check-interval'?: string | null;
  'status-interval'?: string | null;
  'pid-file'?: string | null;
  enrichment?: { container?: ContainerEnrichmentFile | null } | null;
  output?: {
    destinations?: DestinationFile[] | null;
    streams?: StreamFile[] | null;
    options?: { 'parse-arguments'?: boolean | null; 'exec-env'?: boolean | null } | null;
  } | null;
  server?: { 'http-address'?: string | null; metrics?: boolean | null; healthz?: boolean | null } | null;
  aggregate?: { window?: string | null } | null;
}

/** Names of destinations and streams: referred to by name in streams and flags (`destinations.NAME.type=`). */
const name = {
  type: 'string',
  pattern: '^[A-Za-z0-9][-A-Za-z0-9_]*$',
  patternDescription: 'expected a name of letters, digits, - and _ (starting with a letter or digit)',
  description: 'its name, used in streams, flags (destinations.NAME.FIELD=VALUE) and metrics',
} as const;

const duration = (description: string) => ({ type: 'string', nullable: true, minLength: 1, description: `${description}; e.g. 10s, 500ms, 2m, 1h` }) as const;
const strings = (description: string) => ({ type: 'array', nullable: true, items: { type: 'string' }, description }) as const;
const flag = (description: string) => ({ type: 'boolean', nullable: true, description }) as const;
const text = (description: string) => ({ type: 'string', nullable: true, minLength: 1, description }) as const;

const destination: JSONSchemaType<DestinationFile> = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name,
    type: { type: 'string', nullable: true, enum: [...DESTINATION_TYPES], description: "file (a path, or stdout/stderr), webhook (HTTP POST of JSON batches) or otlp (OpenTelemetry logs); default file. Tracee's forward is not ours" },
    format: { type: 'string', nullable: true, enum: [...DESTINATION_FORMATS], description: 'json (Tracee\'s JSON lines) or table; default table for file, json for webhook and otlp' },
    path: text('file: the file to append to, or stdout or stderr; default stdout'),
    url: text('webhook: the URL to POST to (http: or https:); otlp: the collector\'s URL (http://host:4318 for http/protobuf, http://host:4317 for grpc)'),
    protocol: { type: 'string', nullable: true, enum: [...OTLP_PROTOCOLS], description: 'otlp: http/protobuf (default) or grpc' },
    headers: {
      type: 'object',
      nullable: true,
      required: [],
      additionalProperties: { type: 'string' },
      description: 'webhook, otlp: HTTP headers (or gRPC metadata) sent with each request, e.g. Authorization; never printed (config show masks them)',
    },
    timeout: duration('webhook, otlp: how long one request may take before it counts as failed (default: the destination\'s)'),
    retries: { type: 'integer', nullable: true, minimum: 0, description: 'webhook, otlp: attempts after the first for a batch that failed (default: the destination\'s)' },
  },
};

const stream: JSONSchemaType<StreamFile> = {
  type: 'object',
  required: ['name', 'destinations'],
  additionalProperties: false,
  properties: {
    name,
    destinations: { type: 'array', minItems: 1, items: { type: 'string' }, description: 'the destinations this stream sends to, by name (a destination is in one stream at most, as in Tracee)' },
    filters: {
      type: 'object',
      nullable: true,
      required: [],
      additionalProperties: false,
      properties: {
        events: strings('only these events (and findings of these signatures), by name; default every one'),
        policies: strings('only records that matched one of these policies, by name; default any'),
        kind: { type: 'string', nullable: true, enum: [...STREAM_KINDS], description: 'ours: events, findings, or all (default)' },
        severity: { type: 'integer', nullable: true, minimum: 0, maximum: 4, description: 'ours: only findings of at least this severity (0 info to 4 critical); events pass' },
      },
    },
    buffer: {
      type: 'object',
      nullable: true,
      required: [],
      additionalProperties: false,
      properties: {
        mode: { type: 'string', nullable: true, enum: [...BUFFER_MODES], description: "drop (default: a slow destination loses records, counted, and never stalls the tracer) or block (Tracee's default: the tracer waits, and the kernel ring loses records, counted)" },
        size: { type: 'integer', nullable: true, minimum: 1, description: `records each destination of the stream may hold queued (default ${DEFAULT_QUEUE_EVENTS}: four of the tracer's largest batches; Tracee's is 1024)` },
      },
    },
  },
};

/** JSON Schema (draft-07) of the agent's configuration file. */
export const CONFIG_SCHEMA: JSONSchemaType<ConfigFile> & { $schema: string; $id: string; title: string } = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/tracee-rs/tracee-rs/config.schema.json',
  title: 'tracee-rs configuration',
  type: 'object',
  required: [],
  additionalProperties: false,
  properties: {
    events: strings('events, as --events: names, sets, patterns, -exclusions, filters (openat.data.pathname=/etc/*); not with policy'),
    scope: strings('which processes, as --scope (comm=bash, uid>=1000, follow); not with policy'),
    policy: strings('Tracee Policy files or directories, as --policy'),
    rules: flag('run the builtin rules and print their findings, as --rules'),
    'rules-dir': text('also run the rules of the modules in this directory, as --rules-dir'),
    duration: duration('stop after this long, as --duration (default: until SIGINT or SIGTERM)'),
    'ring-buffer-mb': { type: 'number', nullable: true, description: `size of the kernel ring buffer in MiB, a power of two (default ${DEFAULTS.ringBufferBytes / (1024 * 1024)})` },
    'perf-buffer': flag('records through a perf buffer, as --perf-buffer'),
    'legacy-programs': flag('the programs for kernels before 5.2, as --legacy-programs'),
    'syscall-hooks': { type: 'string', nullable: true, enum: [...DEFAULTS.syscallHooksModes], description: `how syscalls are hooked, as --syscall-hooks (default ${DEFAULTS.syscallHooks})` },
    'rootkit-check-interval': duration(`how often the rootkit checks run after the first, as --rootkit-check-interval (default ${DEFAULTS.rootkitCheckIntervalS}s)`),
    'status-interval': duration('a status line on stderr this often (events/s, lost, each destination\'s sent and dropped), as --status-interval (default: none)'),
    'pid-file': { type: 'string', nullable: true, minLength: 1, description: 'write the process id here while running (what `tracee-rs reload` signals), as --pid-file' },
    enrichment: {
      type: 'object',
      nullable: true,
      required: [],
      additionalProperties: false,
      properties: {
        container: {
          type: 'object',
          nullable: true,
          required: [],
          additionalProperties: false,
          description: "Tracee's enrichment.container: which container runtimes to ask for names, images and pods",
          properties: {
            enabled: flag('ask the runtimes (default: yes, where a runtime\'s socket exists); false: events carry container ids only'),
            cgroupfs: {
              type: 'object',
              nullable: true,
              required: [],
              additionalProperties: false,
              properties: {
                path: text('where the cgroup filesystem is mounted'),
                force: flag('use that path, with no search (needs path)'),
              },
            },
            'docker-socket': text("Docker's socket (naming any socket asks only the runtimes named)"),
            'containerd-socket': text("containerd's socket"),
            'crio-socket': text("CRI-O's socket"),
            'podman-socket': text("Podman's socket"),
          },
        },
      },
    },
    output: {
      type: 'object',
      nullable: true,
      required: [],
      additionalProperties: false,
      properties: {
        destinations: { type: 'array', nullable: true, items: destination, description: 'where records go (default: a table on stdout)' },
        streams: { type: 'array', nullable: true, items: stream, description: 'which records go to which destinations; a destination no stream names gets every record (Tracee\'s implicit stream)' },
        options: {
          type: 'object',
          nullable: true,
          required: [],
          additionalProperties: false,
          properties: {
            'parse-arguments': flag('arguments as people read them (O_RDONLY|O_CLOEXEC), as --parse-arguments'),
            'exec-env': flag("execve's environment as its strings, as --exec-env"),
          },
        },
      },
    },
    server: {
      type: 'object',
      nullable: true,
      required: [],
      additionalProperties: false,
      properties: {
        'http-address': {
          type: 'string',
          nullable: true,
          pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[^:\\s]*):[0-9]{1,5}$',
          patternDescription: 'expected HOST:PORT, :PORT or [IPv6]:PORT',
          description: 'where the HTTP server listens (default 127.0.0.1:3366); :PORT listens on every address',
        },
        metrics: flag('Prometheus metrics at /metrics'),
        healthz: flag('health at /healthz (and /readyz)'),
      },
    },
    aggregate: {
      type: 'object',
      nullable: true,
      required: [],
      additionalProperties: false,
      description: 'ours: identical findings within a window are emitted once, with a count and first and last times',
      properties: {
        window: duration('how long identical findings are gathered before one is emitted'),
      },
    },
  },
};
