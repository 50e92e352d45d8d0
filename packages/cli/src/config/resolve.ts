// resolveConfig: the config file (YAML or JSON, nested or Tracee's flat
// `output.destinations.NAME.type: file` keys) and the command line merged
// into one AgentConfig, flags over the file, or a ConfigError listing every
// problem at its place: FILE:LINE:COLUMN for the file (read and checked
// against CONFIG_SCHEMA by @tracee/core's machinery for policy files), the
// flag as typed for the command line. Pure: it reads no file and starts
// nothing, so a bad configuration attaches nothing.
import { BUILTIN_RULES, DEFAULTS, DEFAULT_SOCKETS, EVENTS, checkPolicies, nearestNames, dottedPath, parseEnrichment, policyFromFlags, parseSource, schemaProblems, sourcePosition, type RuntimeName, type SourceDocument, type SourceIssue } from '@tracee/core';
import { resolve as resolvePath } from 'node:path';
import { parseDuration } from '../format.js';
import type { DestinationFormat, DestinationType } from '../output/destination.js';
import type { TraceArgs } from '../trace-command.js';
import { DEFAULT_BUFFER_SIZE, type AgentConfig, type DestinationConfig, type StreamConfig } from './agent-config.js';
import { DEFAULT_HTTP_ADDRESS } from '../server/address.js';
import { parseOutputFlags, parseServerFlags } from './flags.js';
import { maskFlag, maskUrl } from './show.js';
import { CONFIG_SCHEMA, type ConfigFile, type DestinationFile, type StreamFile } from './schema.js';

/** Bytes in a MiB: `ring-buffer-mb`'s unit. */
const MIB = 1024 * 1024;

/** A file destination's path for the process's own output, by every name it goes by. */
export const STANDARD_STREAMS = new Map([
  ['stdout', 'stdout'],
  ['/dev/stdout', 'stdout'],
  ['stderr', 'stderr'],
  ['/dev/stderr', 'stderr'],
]);

/**
 * The command line as yargs gives it to the trace command: each option
 * undefined when not given (the file's value, else the default, applies),
 * `output` and `server` the values of every --output and --server.
 */
export type ConfigArgs = Partial<Omit<TraceArgs, 'output' | 'agent'>> & { output?: string[]; server?: string[] };

/** One problem: in the file (line and column), or in a flag (`flag`: as typed). */
export interface ConfigIssue {
  file?: string;
  line?: number;
  column?: number;
  /** The flag and its value, e.g. `--output destinations.a.tpye=file`. */
  flag?: string;
  /** Where in the configuration, e.g. `output.destinations[0].url`; '' for the file itself. */
  path: string;
  message: string;
}

/** `FILE:LINE:COLUMN: path: message`, or `--flag value: message`. */
export function formatConfigIssue(i: ConfigIssue): string {
  if (i.flag !== undefined) return `${maskFlag(i.flag)}: ${i.message}`;
  const place = i.line === undefined ? `${i.file}` : `${i.file}:${i.line}:${i.column}`;
  return `${place}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

/** A configuration that cannot be used: every problem; `message` is the first, in one line. */
export class ConfigError extends Error {
  constructor(issues: ConfigIssue[]) {
    // the file's problems in reading order, then the flags' in the order given
    issues = [...issues].sort((a, b) => Number(a.flag !== undefined) - Number(b.flag !== undefined) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    super(`${issues[0] ? formatConfigIssue(issues[0]) : 'invalid configuration'}${more}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }

  /** Every problem: the file's in reading order, then the flags' in the order given. */
  readonly issues: ConfigIssue[];

  /** One line per problem, in the order met. */
  lines(): string[] {
    return this.issues.map(formatConfigIssue);
  }
}

type Path = (string | number)[];
/** Where a value of the merged configuration came from: a node of the file, or a flag. */
type Origin = { doc: Path } | { flag: string };
type Json = Record<string, unknown>;

const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const key = (path: Path): string => JSON.stringify(path);

/** Where each value of the configuration came from, by its path there. */
class Origins {
  private readonly map = new Map<string, Origin>();
  set(path: Path, origin: Origin): void {
    this.map.set(key(path), origin);
  }
  /** The origin of `path`, or of its nearest ancestor that has one (`exact`: of `path` itself). */
  get(path: Path): (Origin & { exact: boolean }) | undefined {
    for (let n = path.length; n >= 0; n--) {
      const o = this.map.get(key(path.slice(0, n)));
      if (o) return { ...o, exact: n === path.length };
    }
    return undefined;
  }
  /** Every value under `from` is now under `to` (a map's entry became a list's). */
  move(from: Path, to: Path): void {
    const prefix = key(from).slice(0, -1);
    for (const [k, o] of [...this.map]) {
      if (k === key(from) || k.startsWith(`${prefix},`)) {
        const rest = (JSON.parse(k) as Path).slice(from.length);
        this.map.delete(k);
        this.map.set(key([...to, ...rest]), o);
      }
    }
  }
}

/**
 * The file's value in the nested shape: Tracee's flat keys
 * (`output.destinations.a.type: file`, at any level) expanded, and
 * `output.destinations` and `output.streams` given as maps by name turned
 * into lists; `origins` records each value's node in the document.
 */
function normalize(value: unknown, origins: Origins): unknown {
  const expand = (v: unknown, doc: Path, at: Path): unknown => {
    origins.set(at, { doc });
    if (Array.isArray(v)) return v.map((x, i) => expand(x, [...doc, i], [...at, i]));
    if (!isMap(v)) return v;
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) {
      const segments = k.includes('.') ? k.split('.') : [k];
      let target = out;
      for (const [i, s] of segments.slice(0, -1).entries()) {
        if (!isMap(target[s])) target[s] = {};
        if (!origins.get([...at, ...segments.slice(0, i + 1)]) || i === 0) origins.set([...at, ...segments.slice(0, i + 1)], { doc: [...doc, k] });
        target = target[s] as Json;
      }
      const last = segments[segments.length - 1];
      const expanded = expand(x, [...doc, k], [...at, ...segments]);
      target[last] = isMap(target[last]) && isMap(expanded) ? { ...target[last], ...expanded } : expanded;
    }
    return out;
  };
  const out = expand(value, [], []);
  const output = isMap(out) ? out.output : undefined;
  if (isMap(output)) {
    for (const section of ['destinations', 'streams'] as const) {
      const entries = output[section];
      if (!isMap(entries)) continue;
      output[section] = Object.entries(entries).map(([name, entry], i) => {
        origins.move(['output', section, name], ['output', section, i]);
        return isMap(entry) ? { name, ...entry } : entry;
      });
    }
  }
  return out;
}

/** The schema of the field at `path` under a destination or stream, if any (to read a flag's value as its type). */
function fieldSchema(section: 'destinations' | 'streams', field: string[]): { type?: string } | undefined {
  const list = (CONFIG_SCHEMA.properties.output as { properties: Json }).properties[section] as { items: unknown };
  let schema: unknown = list.items;
  for (const f of field) {
    const s = schema as { properties?: Json; additionalProperties?: unknown } | undefined;
    schema = s?.properties?.[f] ?? (isMap(s?.additionalProperties) ? s.additionalProperties : undefined);
    if (schema === undefined) return undefined;
  }
  return schema as { type?: string };
}

/** A flag's text as the value its field takes: a list (comma-separated), a number, a boolean, or the text. */
function coerce(text: string, schema: { type?: string } | undefined): unknown {
  switch (schema?.type) {
    case 'array':
      return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    case 'integer':
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    default:
      return text;
  }
}

/** The first name of the form `base`, `base-2`, ... not in `taken`. */
function freeName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** The runtimes whose socket can be named: those tracee-rs asks (Tracee's). */
const RUNTIMES = Object.keys(DEFAULT_SOCKETS) as RuntimeName[];

/** The file's `enrichment` in `--enrichment`'s words (what parseEnrichment reads), or undefined when it says nothing. */
function enrichmentFlags(e: ConfigFile['enrichment']): string[] | undefined {
  const c = e?.container;
  if (!c) return undefined;
  const flags: string[] = [];
  if (c.enabled === false) return ['none'];
  if (c.cgroupfs?.path != null) flags.push(`container.cgroupfs.path=${c.cgroupfs.path}`);
  if (c.cgroupfs?.force === true) flags.push('container.cgroupfs.force');
  for (const r of RUNTIMES) {
    const socket = c[`${r}-socket`];
    if (socket != null) flags.push(`container.${r}.socket=${socket}`);
  }
  // a socket or a cgroupfs path turns it on already (Tracee's rule)
  if (c.enabled === true && !flags.some((f) => f.includes('='))) flags.unshift('container');
  return flags.length > 0 ? flags : undefined;
}

/**
 * Merges the config file's text (undefined: no file) and the command line
 * into one AgentConfig: each trace option is the flag's value if given,
 * else the file's, else the default; `--output` and `--server` values
 * edit the file's output and server (a destination or stream by name, the
 * stdout destination for `json`/`table`, a destination added otherwise).
 * Throws a ConfigError listing every problem, at its line and column in
 * the file or at its flag.
 */
export function resolveConfig(text: string | undefined, file: string | undefined, argv: ConfigArgs): AgentConfig {
  const issues: ConfigIssue[] = [];
  const origins = new Origins();
  let source: SourceDocument | undefined;
  let value: Json = {};
  const fileName = file ?? 'config';
  if (text !== undefined) {
    const name = fileName;
    const syntax: SourceIssue[] = [];
    const parsed = parseSource(text, name, syntax);
    issues.push(...syntax);
    const docs = parsed.documents;
    if (docs.length > 1) issues.push({ file: name, ...sourcePosition({ doc: docs[1].doc, lines: parsed.lines }, []), path: '', message: 'a config file holds one document; remove the second (after ---)' });
    if (issues.length > 0) throw new ConfigError(issues);
    const doc = docs[0];
    if (doc !== undefined && doc.value !== null && doc.value !== undefined) {
      source = { doc: doc.doc, lines: parsed.lines };
      const normalized = normalize(doc.value, origins);
      if (!isMap(normalized)) {
        issues.push({ file: name, ...sourcePosition(source, []), path: '', message: 'expected a map of options (events:, output:, server:, ...)' });
        throw new ConfigError(issues);
      }
      value = normalized;
    }
  }
  // an issue at a path of the merged configuration, placed where that value came from
  const at = (path: Path, message: string, atKey = false): void => {
    const o = origins.get(path);
    if (o && 'flag' in o) issues.push({ flag: o.flag, path: dottedPath(path), message });
    else if (source) issues.push({ file: fileName, ...sourcePosition(source, o?.doc ?? [], atKey && o?.exact === true), path: dottedPath(path), message });
    // not from the file nor a flag: a default, which is valid by construction
    else issues.push({ file: fileName, path: dottedPath(path), message });
  };

  // the command line's output and server over the file's
  const outputFlags = parseOutputFlags(argv.output ?? []);
  const serverFlags = parseServerFlags(argv.server ?? []);
  for (const p of [...outputFlags.problems, ...serverFlags.problems]) issues.push({ flag: p.flag, path: '', message: p.message });
  const output: Json = isMap(value.output) ? value.output : {};
  const destinations: Json[] = Array.isArray(output.destinations) ? (output.destinations as Json[]) : [];
  const streams: Json[] = Array.isArray(output.streams) ? (output.streams as Json[]) : [];
  const options: Json = isMap(output.options) ? output.options : {};
  const names = () => new Set(destinations.map((d) => (isMap(d) ? String(d.name) : '')));
  const add = (entry: Json, flag: string): void => {
    origins.set(['output', 'destinations', destinations.length], { flag });
    destinations.push(entry);
  };
  const set = (path: Path, target: Json, field: string, v: unknown, flag: string): void => {
    target[field] = v;
    origins.set([...path, field], { flag });
  };
  // a field set by name, or an address, is checked by the schema like the file; the other forms are valid as made
  let edited = false;
  for (const edit of outputFlags.edits) {
    switch (edit.kind) {
      case 'file': {
        const i = destinations.findIndex((d) => isMap(d) && (d.type ?? 'file') === 'file' && (d.path ?? 'stdout') === edit.path);
        if (i >= 0) set(['output', 'destinations', i], destinations[i], 'format', edit.format, edit.flag);
        else add({ name: freeName(edit.path === 'stdout' ? 'stdout' : 'file', names()), type: 'file', format: edit.format, path: edit.path }, edit.flag);
        break;
      }
      case 'webhook':
      case 'otlp':
        if (!destinations.some((d) => isMap(d) && d.type === edit.kind && d.url === edit.url && (edit.kind === 'webhook' || (d.protocol ?? 'http/protobuf') === edit.protocol))) {
          add({ name: freeName(edit.kind, names()), type: edit.kind, url: edit.url, ...(edit.kind === 'otlp' ? { protocol: edit.protocol } : {}) }, edit.flag);
        }
        break;
      case 'option':
        set(['output', 'options'], options, edit.option, true, edit.flag);
        break;
      case 'field': {
        edited = true;
        const list = edit.section === 'destinations' ? destinations : streams;
        let i = list.findIndex((d) => isMap(d) && d.name === edit.name);
        if (i < 0) {
          i = list.length;
          list.push({ name: edit.name });
          origins.set(['output', edit.section, i], { flag: edit.flag });
        }
        let target = list[i];
        const path: Path = ['output', edit.section, i];
        for (const f of edit.field.slice(0, -1)) {
          if (!isMap(target[f])) set(path, target, f, {}, edit.flag);
          path.push(f);
          target = target[f] as Json;
        }
        set(path, target, edit.field[edit.field.length - 1], coerce(edit.value, fieldSchema(edit.section, edit.field)), edit.flag);
        break;
      }
    }
  }
  if (argv['parse-arguments'] !== undefined) set(['output', 'options'], options, 'parse-arguments', argv['parse-arguments'], '--parse-arguments');
  if (argv['exec-env'] !== undefined) set(['output', 'options'], options, 'exec-env', argv['exec-env'], '--exec-env');
  const server: Json = isMap(value.server) ? value.server : {};
  for (const edit of serverFlags.edits) {
    edited ||= edit.field === 'http-address';
    set(['server'], server, edit.field, edit.value, edit.flag);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const merged: Json = { ...value };
  if (destinations.length > 0 || streams.length > 0 || Object.keys(options).length > 0 || 'output' in value) {
    merged.output = { ...output, ...(destinations.length > 0 || 'destinations' in output ? { destinations } : {}), ...(streams.length > 0 || 'streams' in output ? { streams } : {}), ...(Object.keys(options).length > 0 || 'options' in output ? { options } : {}) };
  }
  if (Object.keys(server).length > 0 || 'server' in value) merged.server = server;

  // the shape: checked by the schema (ajv and yaml load only when there is a file or a field edit to check)
  const problems = text !== undefined || edited ? schemaProblems(CONFIG_SCHEMA, merged) : [];
  for (const p of problems) at(p.key, p.message, p.atKey);
  // the values of the sections whose shape is right are checked too: every problem at once
  const shapeOk = (section: string): boolean => !problems.some((p) => p.key.length === 0 || p.key[0] === section);
  const c = merged as ConfigFile;

  // the values: durations, names, references, what each type takes
  const durationOf = (path: Path, text: unknown, positive = true): number | undefined => {
    if (typeof text !== 'string') return undefined;
    try {
      const ms = parseDuration(text);
      if (positive && ms <= 0) at(path, `must be longer than 0, e.g. 10s`);
      return ms;
    } catch (e) {
      at(path, (e as Error).message);
      return undefined;
    }
  };
  // the trace's options: a flag, else the file
  const fileTrace = (k: keyof ConfigFile) => (c[k] ?? undefined) as never;
  const trace = {
    events: argv.events ?? fileTrace('events'),
    scope: argv.scope ?? fileTrace('scope'),
    policy: argv.policy ?? fileTrace('policy'),
    rules: argv.rules ?? c.rules ?? false,
    'rules-dir': argv['rules-dir'] ?? fileTrace('rules-dir'),
    duration: argv.duration ?? fileTrace('duration'),
    'ring-buffer-mb': argv['ring-buffer-mb'] ?? c['ring-buffer-mb'] ?? DEFAULTS.ringBufferBytes / MIB,
    'perf-buffer': argv['perf-buffer'] ?? c['perf-buffer'] ?? DEFAULTS.perfBuffer,
    'legacy-programs': argv['legacy-programs'] ?? c['legacy-programs'] ?? DEFAULTS.legacyPrograms,
    'syscall-hooks': argv['syscall-hooks'] ?? c['syscall-hooks'] ?? DEFAULTS.syscallHooks,
    'rootkit-check-interval': argv['rootkit-check-interval'] ?? fileTrace('rootkit-check-interval'),
    'status-interval': argv['status-interval'] ?? fileTrace('status-interval'),
    'pid-file': argv['pid-file'] ?? fileTrace('pid-file'),
    enrichment: argv.enrichment ?? enrichmentFlags(c.enrichment),
  };
  // the file's values are checked here, at their place; the flags' where the trace reads them (runTrace), as ever
  if (argv.duration === undefined) durationOf(['duration'], c.duration);
  if (argv['rootkit-check-interval'] === undefined) durationOf(['rootkit-check-interval'], c['rootkit-check-interval']);
  if (argv['status-interval'] === undefined) durationOf(['status-interval'], c['status-interval']);
  if (argv.enrichment === undefined && shapeOk('enrichment') && trace.enrichment !== undefined && trace.enrichment[0] !== 'none') {
    try {
      parseEnrichment(trace.enrichment);
    } catch (e) {
      at(['enrichment', 'container'], (e as Error).message.replace(/--enrichment value '[^']*'/, 'enrichment'), true);
    }
  }
  if (argv.policy === undefined && c.policy != null && shapeOk('policy') && ((argv.events === undefined && c.events != null) || (argv.scope === undefined && c.scope != null))) {
    at(['policy'], 'policy cannot be combined with scope or events (as in Tracee): put those events and scopes in a policy');
  }

  // the file's events and scope, by the tracer's own checks (the flags' are checked where the trace starts, as ever);
  // with --rules-dir its signatures are not known yet: the trace checks them when it has loaded them
  const fileEvents = argv.events === undefined && c.events != null && shapeOk('events');
  const fileScope = argv.scope === undefined && c.scope != null && shapeOk('scope');
  if ((fileEvents || fileScope) && trace['rules-dir'] === undefined && trace.policy === undefined) {
    const policy = policyFromFlags(trace.scope ?? [], trace.events ?? DEFAULTS.events, BUILTIN_RULES.map((r) => r.eventName));
    for (const i of checkPolicies([policy])) {
      const [, list, index] = /^\/(scope|rules)\/(\d+)/.exec(i.path) ?? [];
      if (list === 'scope' && fileScope) at(['scope', Number(index)], i.message);
      else if (list === 'rules' && fileEvents) {
        // the events item that names the rule's event
        const event = policy.rules[Number(index)]?.event ?? '';
        const item = (trace.events ?? []).findIndex((e) => e.split(',').some((t) => t.trim().replace(/^-/, '').split('.')[0] === event.replace(/^-/, '')));
        at(['events', Math.max(0, item)], i.message);
      } else if (list === undefined && fileEvents) at(['events'], i.message);
    }
  }

  // destinations: Tracee's defaults, what each type takes
  const out: DestinationConfig[] = [];
  const seen = new Map<string, number>();
  const paths = new Map<string, { name: string; path: string }>();
  const outputOk = shapeOk('output');
  for (const [i, d] of (outputOk ? (c.output?.destinations ?? []) : []).entries()) {
    const p: Path = ['output', 'destinations', i];
    if (seen.has(d.name)) at([...p, 'name'], `destination '${d.name}' is named twice (also output.destinations[${seen.get(d.name)}]); names are unique`);
    seen.set(d.name, i);
    const type: DestinationType = d.type ?? 'file';
    const format: DestinationFormat = d.format ?? (type === 'file' ? 'table' : 'json');
    const only = (field: keyof DestinationFile, types: string) => {
      if (d[field] != null) at([...p, field], `${field} is for ${types} destinations, not ${type}`);
    };
    if (type === 'file') {
      for (const f of ['url', 'headers', 'timeout', 'retries'] as const) only(f, 'webhook and otlp');
      only('protocol', 'otlp');
      const path = d.path ?? 'stdout';
      // the same file however it is spelled (./x, x, /dir/../dir/x), and the standard streams by their /dev names
      const file = STANDARD_STREAMS.get(path) ?? resolvePath(path);
      const other = paths.get(file);
      if (other) at([...p, 'path'], `'${path}' is ${path === other.path ? '' : `the same file as '${other.path}', `}written by destination '${other.name}' already; a path is written by one destination`);
      else paths.set(file, { name: d.name, path });
      out.push({ name: d.name, type, format, path });
      continue;
    }
    only('path', 'file');
    if (type === 'webhook') only('protocol', 'otlp');
    if (d.url == null) {
      at(p, `a ${type} destination needs a url (${type === 'otlp' ? 'http://HOST:4318' : 'http://HOST:PORT/PATH'})`);
      continue;
    }
    let url: URL | undefined;
    try {
      url = new URL(d.url);
    } catch {
      at([...p, 'url'], `'${maskUrl(d.url)}' is not a URL (http://HOST:PORT/PATH)`);
    }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:') at([...p, 'url'], `'${maskUrl(d.url)}': expected an http: or https: URL`);
    const timeoutMs = durationOf([...p, 'timeout'], d.timeout);
    out.push({
      name: d.name,
      type,
      format,
      url: d.url,
      ...(type === 'otlp' ? { protocol: d.protocol ?? 'http/protobuf' } : {}),
      ...(d.headers != null ? { headers: { ...d.headers } } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(d.retries != null ? { retries: d.retries } : {}),
    });
  }
  // none named anywhere: a table on stdout, as the command has always printed
  if (out.length === 0) out.push({ name: 'stdout', type: 'file', format: 'table', path: 'stdout' });

  // streams: every destination in one stream, Tracee's implicit one if no stream names it
  const streamsOut: StreamConfig[] = [];
  const knownEvents = new Set([...EVENTS.map((e) => e.name), ...BUILTIN_RULES.map((r) => r.eventName)]);
  const inStream = new Map<string, string>();
  const streamNames = new Map<string, number>();
  for (const [i, s] of (outputOk ? (c.output?.streams ?? []) : ([] as StreamFile[])).entries()) {
    const p: Path = ['output', 'streams', i];
    if (streamNames.has(s.name)) at([...p, 'name'], `stream '${s.name}' is named twice (also output.streams[${streamNames.get(s.name)}]); names are unique`);
    streamNames.set(s.name, i);
    for (const [j, d] of s.destinations.entries()) {
      if (!out.some((x) => x.name === d)) {
        const [near] = [...out.map((x) => x.name)].filter((n) => n.toLowerCase() === d.toLowerCase());
        at([...p, 'destinations', j], `no destination is named '${d}'${near ? `; did you mean '${near}'?` : ''} (destinations: ${out.map((x) => x.name).join(', ')})`);
      } else if (inStream.has(d)) at([...p, 'destinations', j], `destination '${d}' is in stream '${inStream.get(d)}' already; a destination is in one stream at most (as in Tracee)`);
      else inStream.set(d, s.name);
    }
    // the events a stream passes: known ones (a rules-dir's signatures are known only once loaded)
    if (trace['rules-dir'] === undefined) {
      for (const [j, event] of (s.filters?.events ?? []).entries()) {
        if (!knownEvents.has(event)) {
          const near = nearestNames(event, [...knownEvents], 3, 2);
          at([...p, 'filters', 'events', j], `unknown event '${event}'${near.length > 0 ? `; did you mean ${near.join(', ')}?` : ''} (\`tracee-rs list events\` lists them all)`);
        }
      }
    }
    streamsOut.push({
      name: s.name,
      destinations: [...s.destinations],
      filters: { events: [...(s.filters?.events ?? [])], policies: [...(s.filters?.policies ?? [])], kind: s.filters?.kind ?? 'all', ...(s.filters?.severity != null ? { severity: s.filters.severity } : {}) },
      buffer: { mode: s.buffer?.mode ?? 'drop', size: s.buffer?.size ?? DEFAULT_BUFFER_SIZE },
      implicit: false,
    });
  }
  for (const d of out) {
    if (!inStream.has(d.name)) streamsOut.push({ name: d.name, destinations: [d.name], filters: { events: [], policies: [], kind: 'all' }, buffer: { mode: 'drop', size: DEFAULT_BUFFER_SIZE }, implicit: true });
  }

  // the server, when anything asks for it
  const sv = shapeOk('server') ? c.server : undefined;
  const serverOut = sv && (sv.metrics === true || sv.healthz === true || sv['http-address'] != null) ? { httpAddress: sv['http-address'] ?? DEFAULT_HTTP_ADDRESS, metrics: sv.metrics === true, healthz: sv.healthz === true } : undefined;
  if (serverOut && Number(/:(\d+)$/.exec(serverOut.httpAddress)?.[1]) > 65535) at(['server', 'http-address'], `'${serverOut.httpAddress}': a port is at most 65535`);
  const windowMs = shapeOk('aggregate') ? durationOf(['aggregate', 'window'], c.aggregate?.window) : undefined;
  if (shapeOk('aggregate') && c.aggregate != null && c.aggregate.window == null) at(['aggregate'], 'aggregate needs a window (window: 10s)');

  if (issues.length > 0) throw new ConfigError(issues);
  return {
    ...(file !== undefined ? { file } : {}),
    trace: Object.fromEntries(Object.entries(trace).filter(([, v]) => v !== undefined)) as AgentConfig['trace'],
    output: {
      destinations: out,
      streams: streamsOut,
      options: { parseArguments: c.output?.options?.['parse-arguments'] ?? false, execEnv: c.output?.options?.['exec-env'] ?? DEFAULTS.execEnv },
    },
    ...(serverOut ? { server: serverOut } : {}),
    ...(windowMs !== undefined ? { aggregate: { windowMs } } : {}),
  };
}

/**
 * What a config's streams say about policies that do not exist: each name
 * in a stream's `filters.policies` that none of `policies` (the policy
 * files' names, loaded after the config resolves; undefined: no policy
 * files, so every record's only policy is the unnamed one of events and
 * scopes) has. Such a stream would pass nothing, silently: start, reload
 * and `config validate` refuse it. One line each, naming the stream and
 * the policies there are.
 */
export function streamPolicyProblems(config: AgentConfig, policies: readonly string[] | undefined): string[] {
  const problems: string[] = [];
  for (const [i, s] of config.output.streams.filter((x) => !x.implicit).entries()) {
    for (const [j, name] of s.filters.policies.entries()) {
      if (policies?.includes(name)) continue;
      const where = `output.streams[${i}].filters.policies[${j}] (stream '${s.name}')`;
      if (!policies?.length) {
        problems.push(`${where}: names policy '${name}', but no policy files are given (--policy or trace.policy): the stream would pass nothing`);
        continue;
      }
      const near = nearestNames(name, [...policies], 3, 2);
      problems.push(`${where}: no policy is named '${name}'${near.length > 0 ? `; did you mean ${near.join(', ')}?` : ''} (policies: ${policies.join(', ')})`);
    }
  }
  return problems;
}
