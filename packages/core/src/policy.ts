// Tracee Policies: files in Tracee's two forms (Kubernetes CRD and plain,
// YAML or JSON: `.json` files are strict JSON, others YAML), checked in two
// steps: their shape against POLICY_SCHEMA (ajv), then their scope and
// filter strings by tracee-core's parser (crates/tracee-core/src/policy/),
// which the tracer itself uses. Every problem is reported at its file, line
// and column. The reader and the schema checks (parseSource, schemaProblems,
// sourcePosition) are shared with the CLI's config file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv as AjvClass, ErrorObject } from 'ajv';
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import { loadBinding } from './binding.js';
import { TraceeError } from './errors.js';
import { DEFAULTS } from './generated/core.js';
// LIMITS is imported for the docs' {@link}
// eslint-disable-next-line @typescript-eslint/no-unused-vars
import { CATALOG_NAMES, EVENTS, type LIMITS } from './generated/schema.js';
import { BUILTIN_RULES } from './rules/builtin.js';
import { TREE_EVENTS } from './rules/detect.js';
import type { Rule } from './rules/rule.js';
import { isSignatureRule, planSignatures, signatureIssues } from './rules/signature-events.js';

/** One rule: an event (or set, or `open*` pattern) and the filters its events must pass. */
export interface PolicyRule {
  event: string;
  /** `data.pathname=/etc/*`, `retval<0`, `comm=cat`: all must pass. */
  filters?: string[];
}

/** A policy, whichever form it was written in. */
export interface Policy {
  name: string;
  description?: string;
  /** Scope filters, ANDed (`comm=cat`, `uid>=1000`, `tree=1`, `follow`, `container`); `global` for every process. */
  scope: string[];
  rules: PolicyRule[];
}

/** A policy read from a file, with where it was read. */
export interface LoadedPolicy extends Policy {
  source: { file: string; line: number };
}

const rule = {
  type: 'object',
  required: ['event'],
  additionalProperties: false,
  properties: {
    event: { type: 'string', minLength: 1, description: 'an event name (openat), a set (fs) or a pattern (open*)' },
    filters: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description: 'data.<arg>=value, retval<0, or a scope field (comm=cat); values: x, x*, *x, *x*',
    },
  },
} as const;

const body = {
  scope: { type: 'array', items: { type: 'string' }, description: 'global, or filters such as comm=cat, uid>=1000, tree=1, follow' },
  rules: { type: 'array', minItems: 1, items: rule },
  defaultActions: { type: 'array', items: { enum: ['log'] }, description: "accepted for Tracee's files; events are always logged" },
} as const;

const name = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$' } as const;

/**
 * JSON Schema (draft-07) of one Tracee Policy document: the Kubernetes CRD
 * form (`apiVersion: tracee.aquasec.com/v1beta1`, `kind: Policy`) or the
 * plain form (`type: policy`).
 */
export const POLICY_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/tracee-rs/tracee-rs/policy.schema.json',
  title: 'Tracee Policy',
  type: 'object',
  if: { required: ['apiVersion'] },
  then: { $ref: '#/definitions/crd' },
  else: { $ref: '#/definitions/plain' },
  definitions: {
    crd: {
      type: 'object',
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      additionalProperties: false,
      properties: {
        apiVersion: { const: 'tracee.aquasec.com/v1beta1' },
        kind: { const: 'Policy' },
        metadata: {
          type: 'object',
          required: ['name'],
          properties: {
            name,
            annotations: { type: 'object', properties: { description: { type: 'string' } }, additionalProperties: { type: 'string' } },
            labels: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        spec: { type: 'object', required: ['scope', 'rules'], additionalProperties: false, properties: body },
      },
    },
    plain: {
      type: 'object',
      required: ['type', 'name', 'scope', 'rules'],
      additionalProperties: false,
      properties: { type: { const: 'policy' }, name, description: { type: 'string' }, ...body },
    },
  },
} as const;

/** One problem in a policy file, where it is. */
export interface PolicyIssue {
  file: string;
  /** 1-based; absent where the problem is the file itself (missing, unreadable, empty). */
  line?: number;
  /** 1-based, with `line`. */
  column?: number;
  /** The policy's name, where the document has one. */
  policy?: string;
  /** Where in the document, e.g. `spec.rules[1].filters[0]`. */
  path: string;
  message: string;
}

/** Policies that cannot be used: every problem, each at its place; `message` is the first, in one line. */
export class PolicyError extends TraceeError {
  constructor(readonly issues: PolicyIssue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    super('EPOLICY', first ? `${formatIssue(first)}${more}` : 'invalid policy');
    this.name = 'PolicyError';
  }
}

/** `file:line:col: policy 'name': path: message`, or `file: message` for a file without a place in it. */
export function formatIssue(i: PolicyIssue): string {
  return `${place(i)}: ${i.policy !== undefined ? `policy '${i.policy}': ` : ''}${i.path ? `${i.path}: ` : ''}${i.message}`;
}

/** `file:line:col`, or `file` alone. */
function place(i: Pick<PolicyIssue, 'file' | 'line' | 'column'>): string {
  return i.line === undefined ? i.file : `${i.file}:${i.line}:${i.column}`;
}

// ajv and yaml are loaded on the first policy file, not with the module:
// together they add ~40 ms to every start-up, policies or not.
const require = createRequire(import.meta.url);
let yamlLib: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => (yamlLib ??= require('yaml') as typeof import('yaml'));

interface Parsed {
  policy: Policy;
  file: string;
  doc: Document;
  lines: LineCounter;
  /** Where the policy's object is in the document (a JSON file may hold an array). */
  at: (string | number)[];
  /** `spec` in the CRD form: where scope and rules live. */
  body: (string | number)[];
}

/** A path in a document as people write it: `spec.rules[1].filters[0]`. */
export const dottedPath = (path: readonly (string | number)[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
const dotted = dottedPath;

/** A YAML or JSON document with where each of its nodes is in its file. */
export interface SourceDocument {
  doc: Document;
  lines: LineCounter;
}

/**
 * Line and column (1-based) of the deepest node on `path` that exists in
 * the document (of the last key itself, not its value, with `atKey`).
 */
export function sourcePosition(p: SourceDocument, path: readonly (string | number)[], atKey = false): { line: number; column: number } {
  let node: unknown = p.doc.contents;
  let range: [number, number, number] | undefined = (node as YamlNode | null)?.range ?? undefined;
  for (const [i, seg] of path.entries()) {
    if (yaml().isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === seg);
      if (!pair) break;
      node = pair.value;
      const key = (pair.key as YamlNode).range;
      range = (atKey && i === path.length - 1 ? key : (pair.value as YamlNode | null)?.range) ?? key ?? range;
    } else if (yaml().isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      range = (node as YamlNode | null)?.range ?? range;
    } else break;
  }
  const { line, col } = p.lines.linePos(range?.[0] ?? 0);
  return { line, column: col };
}
const position = sourcePosition;

function ajvMessage(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `missing required field '${String(params.missingProperty)}'`;
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const field = String(params.additionalProperty);
      const [near] = loadBinding().nearestNames(field, known, 1, 2);
      return `unknown field '${field}'${near !== undefined ? `; did you mean '${near}'?` : ''} (expected: ${known.join(', ')})`;
    }
    case 'const':
      return `expected ${JSON.stringify(params.allowedValue)}`;
    case 'enum':
      return `expected one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type': {
      const type = String(params.type);
      return `expected ${type === 'array' ? 'a list' : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`}`;
    }
    case 'minimum':
      return `expected at least ${String(params.limit)}`;
    case 'maximum':
      return `expected at most ${String(params.limit)}`;
    case 'minItems':
      return `expected at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`;
    case 'minLength':
      return 'expected a non-empty string';
    case 'pattern':
      // a pattern's schema may say in words what it takes
      return (e.parentSchema as { patternDescription?: string } | undefined)?.patternDescription ?? 'expected a name of letters, digits, -, _ and . (starting and ending with a letter or digit)';
    default:
      return e.message ?? e.keyword;
  }
}

/** What a file is read as, by its name: `.json` strict JSON, `.yaml`/`.yml` YAML, others either (YAML, which JSON mostly is). */
function formatOf(file: string): 'JSON' | 'YAML' | 'YAML or JSON' {
  return /\.json$/i.test(file) ? 'JSON' : /\.ya?ml$/i.test(file) ? 'YAML' : 'YAML or JSON';
}

/**
 * Why `text` is not JSON, and where (1-based), or undefined if it is.
 * JSON.parse decides and says why; where, it says only for some errors
 * ("... in JSON at position N"), not for an unexpected token (a trailing
 * comma), which jsonc-parser's scanner locates.
 */
function jsonError(text: string): { line: number; column: number; cause: string } | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    const message = (e as Error).message;
    const at = /in JSON at position (\d+)/.exec(message);
    let pos = at ? Number(at[1]) : undefined;
    if (pos === undefined) {
      const errors: import('jsonc-parser').ParseError[] = [];
      (require('jsonc-parser') as typeof import('jsonc-parser')).parse(text, errors, { disallowComments: true, allowTrailingComma: false });
      pos = errors[0]?.offset ?? text.length;
    }
    const before = text.slice(0, pos);
    // V8's message without its position or its quote of the text
    const cause = message.replace(/ in JSON at position \d+.*$/, '').replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '');
    return { line: before.split('\n').length, column: pos - before.lastIndexOf('\n'), cause };
  }
}

/** A problem in a YAML or JSON file, where it is (`line` absent: the file itself). */
export interface SourceIssue {
  file: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
}

/**
 * Reads YAML or JSON text (`file` names it; by its name `.json` is strict
 * JSON, `.yaml`/`.yml` YAML, others either) into its documents with their
 * places; syntax errors go to `issues` at their line and column, and their
 * documents are given with `errors` true and no value. Policy files and
 * the agent's config file are read by it.
 */
export function parseSource(text: string, file: string, issues: SourceIssue[]): { lines: LineCounter; documents: { doc: Document; value: unknown; errors: boolean }[] } {
  const format = formatOf(file);
  const lines = new (yaml().LineCounter)();
  if (format === 'JSON') {
    // YAML takes what JSON does not (trailing commas, comments, bare words):
    // a .json file is checked as JSON first, then read for its places
    const error = jsonError(text);
    if (error) {
      issues.push({ file, line: error.line, column: error.column, path: '', message: `not valid JSON: ${error.cause}` });
      return { lines, documents: [] };
    }
  }
  const documents: { doc: Document; value: unknown; errors: boolean }[] = [];
  for (const doc of yaml().parseAllDocuments(text, { lineCounter: lines, prettyErrors: false })) {
    if (!('errors' in doc)) continue;
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const { line, col } = lines.linePos(err.pos[0]);
        issues.push({ file, line, column: col, path: '', message: `not valid ${format}: ${err.message.split('\n')[0]}` });
      }
      documents.push({ doc, value: undefined, errors: true });
      continue;
    }
    documents.push({ doc, value: doc.toJS() as unknown, errors: false });
  }
  return { lines, documents };
}

/** `value` as YAML text (`tracee-rs config show`), in the library that reads it. */
export function toYaml(value: unknown): string {
  return yaml().stringify(value, { lineWidth: 0 });
}

/** One way a value breaks a JSON Schema: where (`key`: the node to point at), and why, in words. */
export interface SchemaProblem {
  /** The node that is wrong, e.g. `['rules', 1]`. */
  path: (string | number)[];
  /** The node to point at: `path`, or an unknown field's own key. */
  key: (string | number)[];
  /** `key` is a field's key (an unknown field), not a value. */
  atKey: boolean;
  message: string;
}

const validators = new WeakMap<object, ReturnType<AjvClass['compile']>>();

/**
 * The problems of `value` against a JSON Schema (draft-07), each once, in
 * words (an unknown field with the nearest known one: "did you mean"); none
 * when it is valid. The schema is compiled on its first use (ajv, every
 * error, unknown keywords allowed: `description` and such).
 */
export function schemaProblems(schema: object, value: unknown): SchemaProblem[] {
  let validate = validators.get(schema);
  if (!validate) {
    const { Ajv } = require('ajv') as typeof import('ajv');
    validate = new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
    validators.set(schema, validate);
  }
  if (validate(value)) return [];
  const seen = new Set<string>();
  const out: SchemaProblem[] = [];
  // an if/then/else wrapper's own errors say nothing the inner ones do not
  for (const e of (validate.errors ?? []).filter((e) => e.keyword !== 'if')) {
    const path = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    const atKey = e.keyword === 'additionalProperties';
    const key = atKey ? [...path, String((e.params as { additionalProperty: string }).additionalProperty)] : path;
    const message = ajvMessage(e);
    if (seen.has(dotted(key) + message)) continue;
    seen.add(dotted(key) + message);
    out.push({ path, key, atKey, message });
  }
  return out;
}

function readDocuments(file: string, issues: PolicyIssue[]): Parsed[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    issues.push({ file, path: '', message: `cannot read it: ${(e as Error).message}` });
    return [];
  }
  const empty = (): Parsed[] => {
    issues.push({ file, path: '', message: 'empty policy file: it holds no policy; write one (apiVersion: tracee.aquasec.com/v1beta1, kind: Policy, metadata, spec) or remove the file' });
    return [];
  };
  if (text.trim() === '') return empty();
  const reported = issues.length;
  const source = parseSource(text, file, issues);
  // not JSON: said, and no document to read
  if (source.documents.length === 0 && issues.length > reported) return [];
  const { lines } = source;
  const out: Parsed[] = [];
  let documents = 0;
  for (const { doc, value, errors } of source.documents) {
    if (errors) {
      documents++;
      continue;
    }
    if (value === null || value === undefined) continue; // an empty document (e.g. after a trailing ---)
    const items: [unknown, (string | number)[]][] = Array.isArray(value) ? value.map((v, i) => [v, [i]]) : [[value, []]];
    documents += items.length;
    for (const [item, at] of items) {
      const p = { doc, lines };
      const problems = schemaProblems(POLICY_SCHEMA, item);
      if (problems.length > 0) {
        const named = item as { name?: unknown; metadata?: { name?: unknown } } | null;
        const policy = typeof named?.metadata?.name === 'string' ? named.metadata.name : typeof named?.name === 'string' ? named.name : undefined;
        for (const e of problems) {
          issues.push({ file, ...position(p, [...at, ...e.key], e.atKey), ...(policy !== undefined ? { policy } : {}), path: dotted([...at, ...e.path]), message: e.message });
        }
        continue;
      }
      // validated against POLICY_SCHEMA just above: its shape, read field by field
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const v = item as Record<string, any>;
      const crd = 'apiVersion' in v;
      const spec = crd ? v.spec : v;
      out.push({
        policy: {
          name: crd ? v.metadata.name : v.name,
          ...(crd ? (v.metadata.annotations?.description !== undefined ? { description: v.metadata.annotations.description } : {}) : v.description !== undefined ? { description: v.description } : {}),
          scope: spec.scope,
          rules: spec.rules.map((r: PolicyRule) => ({ event: r.event, filters: r.filters ?? [] })),
        },
        file,
        doc,
        lines,
        at,
        body: crd ? [...at, 'spec'] : at,
      });
    }
  }
  // comments only, `---` only, or an empty JSON list
  return documents === 0 ? empty() : out;
}

/** The policy files a path names: itself, or a directory's *.yaml, *.yml and *.json (not recursive). */
function policyFiles(path: string, issues: PolicyIssue[]): string[] {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    issues.push({ file: path, path: '', message: `no such file or directory (${(e as NodeJS.ErrnoException).code})` });
    return [];
  }
  if (!st.isDirectory()) return [path];
  const files = readdirSync(path).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort().map((f) => join(path, f));
  if (files.length === 0) issues.push({ file: path, path: '', message: 'the directory has no policy files (*.yaml, *.yml, *.json)' });
  return files;
}

/**
 * Reads Tracee Policy files (or directories of them) and checks them fully:
 * the shape, every event name (signatures among them: `rules`, default the
 * builtin ones), scope and filter, the names' uniqueness and the limit of
 * {@link LIMITS}`.MAX_POLICIES`. Throws a {@link PolicyError} listing every
 * problem at its file, line and column.
 */
export function loadPolicies(paths: string | readonly string[], rules: readonly Rule[] = BUILTIN_RULES): LoadedPolicy[] {
  const issues: PolicyIssue[] = [];
  const parsed: Parsed[] = [];
  // files in the order given (a directory's sorted): the order of the report
  const order = new Map<string, number>();
  for (const path of typeof paths === 'string' ? [paths] : paths) {
    order.set(path, order.size);
    for (const file of policyFiles(path, issues)) {
      order.set(file, order.size);
      parsed.push(...readDocuments(file, issues));
    }
  }
  if (issues.length === 0 && parsed.length === 0) {
    issues.push({ file: [paths].flat().join(', '), path: '', message: 'no policy files given' });
  }
  // the policies whose shape is right are checked further whatever the
  // others' problems: every problem is reported at once
  if (parsed.length > 0) {
    // the policy's name lives in metadata in the CRD form
    const namePath = (p: Parsed) => (p.body.length > p.at.length ? [...p.at, 'metadata', 'name'] : [...p.at, 'name']);
    for (const i of checkPolicies(parsed.map((p) => p.policy), rules)) {
      const p = parsed[Math.min(i.policy, parsed.length - 1)];
      const rel = i.path.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const path = rel[0] === 'name' ? namePath(p) : [...p.body, ...rel];
      // a name used twice: where it was first, too
      const first = rel[0] === 'name' ? parsed.find((q) => q.policy.name === i.name && q !== p) : undefined;
      const message = first ? `${i.message} (first at ${place({ file: first.file, ...position(first, namePath(first)) })})` : i.message;
      issues.push({ file: p.file, ...position(p, path), policy: i.name, path: dotted(path), message });
    }
  }
  // in reading order: the first one reported is the first one met
  issues.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (issues.length > 0) throw new PolicyError(issues);
  return parsed.map((p) => ({ ...p.policy, source: { file: p.file, line: position(p, p.at).line } }));
}

/**
 * tracee-core's checks of policies, without loading anything: `path` is a
 * JSON pointer into the policy. Rules naming one of `rules` (signatures as
 * events) are checked here; the rest by the tracer's own parser.
 */
export function checkPolicies(policies: readonly Policy[], rules: readonly Rule[] = BUILTIN_RULES): { policy: number; name: string; path: string; message: string; code: string }[] {
  const issues: { policy: number; name: string; path: string; message: string; code: string }[] = signatureIssues(policies, rules).map((i) => ({ ...i, name: policies[i.policy].name }));
  const reported = new Set(issues.map((i) => `${i.policy} ${i.path}`));
  // the plain rules, by the tracer's parser; their indices mapped back
  const indices: number[][] = [];
  const plain = policies.map((p) => {
    const kept = p.rules.map((r, i) => [r, i] as const).filter(([r]) => !isSignatureRule(r, rules));
    indices.push(kept.map(([, i]) => i));
    // signatures only: the scope is still checked, with a stand-in event
    return { ...p, rules: kept.length > 0 ? kept.map(([r]) => r) : [{ event: TREE_EVENTS[0] }] };
  });
  for (const i of loadBinding().checkPolicies(plain.map(toNative))) {
    const m = /^\/rules\/(\d+)(.*)$/.exec(i.path);
    const issue = m ? { ...i, path: `/rules/${indices[i.policy]?.[Number(m[1])] ?? m[1]}${m[2]}` } : i;
    // a misspelt signature is said once, as one
    if (!reported.has(`${issue.policy} ${issue.path}`)) issues.push(issue);
  }
  if (issues.length === 0) {
    try {
      planSignatures(policies, rules);
    } catch (e) {
      // the policy it names, if any
      const message = (e as Error).message;
      const named = /^policy '([^']*)': /.exec(message);
      const policy = Math.max(0, named ? policies.findIndex((p) => p.name === named[1]) : 0);
      issues.push({ policy, name: policies[policy]?.name ?? '', path: named ? '/rules' : '', message: named ? message.slice(named[0].length) : message, code: 'EPOLICY' });
    }
  }
  return issues;
}

export function toNative(p: Policy): { name: string; scope: string[]; rules: { event: string; filters: string[] }[] } {
  return { name: p.name, scope: [...p.scope], rules: p.rules.map((r) => ({ event: r.event, filters: [...(r.filters ?? [])] })) };
}

const OPERATOR = /!=|<=|>=|=|<|>/;

/** Whether a comma-separated piece of --events starts a new event (not a value of the filter before it). */
function isEventToken(piece: string, signatures: ReadonlySet<string>): boolean {
  const word = piece.replace(/^-/, '');
  const op = OPERATOR.exec(word);
  const head = op ? word.slice(0, Math.max(0, word.indexOf('.'))) : word;
  if (CATALOG_NAMES.has(head) || signatures.has(head)) return true;
  if (!/^\*?[a-z0-9_]+\*?$/.test(head) || !head.includes('*')) return false;
  const inner = head.replace(/\*/g, '');
  return EVENTS.some((e) => e.name.includes(inner));
}

/**
 * The policy Tracee makes of its --scope and --events flags (named "",
 * as Tracee's): `--scope` filters as they are (each flag one filter, its
 * comma-separated values ORed); `--events` names, sets, patterns,
 * `-name` exclusions and per-event filters (`openat.data.pathname=/etc/*`,
 * `openat.retval<0`, `openat.scope.comm=cat`), which also select the event;
 * `signatures`: the names of the signatures that may be selected (so a
 * signature's name after a filter starts a new rule).
 */
export function policyFromFlags(scope: readonly string[] = [], events: readonly string[] = DEFAULTS.events, signatures: Iterable<string> = []): Policy {
  const names = new Set([...signatures, 'signatures']);
  // split on commas, except inside a filter's value list (`...pathname=/a,/b`)
  const tokens: string[] = [];
  for (const flag of events) {
    let prevIsFilter = false;
    for (const piece of flag.split(',').map((s) => s.trim())) {
      if (prevIsFilter && !isEventToken(piece, names)) {
        tokens[tokens.length - 1] += `,${piece}`;
        continue;
      }
      if (piece) tokens.push(piece);
      prevIsFilter = OPERATOR.test(piece);
    }
  }
  const rules: PolicyRule[] = [];
  const ruleFor = (event: string): PolicyRule => {
    let r = rules.find((x) => x.event === event);
    if (!r) rules.push((r = { event, filters: [] }));
    return r;
  };
  for (const t of tokens) {
    const op = OPERATOR.exec(t);
    const dot = t.indexOf('.');
    if (op && dot > 0 && dot < op.index) ruleFor(t.slice(0, dot)).filters!.push(t.slice(dot + 1));
    else ruleFor(t);
  }
  return { name: '', scope: scope.length > 0 ? [...scope] : ['global'], rules };
}
