// The values of `--output` and `--server`, in Tracee's forms (its
// docs/docs/flags/output.1.md, server.1.md, outputs/streams.md) and ours
// (otlp:), parsed into edits of the configuration: resolve.ts applies them
// over the config file's values, so a flag overrides the file.
import { nearestNames } from '@tracee/core';
import type { DestinationFormat } from '../output/destination.js';
import type { OtlpProtocol } from './schema.js';

/** One edit that an `--output` value makes. */
export type OutputEdit =
  /** `json`, `table` (stdout), `json:/a,/b`, `table:/path`: a file destination per path, in that format. */
  | { kind: 'file'; format: DestinationFormat; path: string; flag: string }
  /** `webhook:URL` (Tracee's). */
  | { kind: 'webhook'; url: string; flag: string }
  /** `otlp:URL` (http/protobuf), `otlp+grpc:URL` (ours). */
  | { kind: 'otlp'; url: string; protocol: OtlpProtocol; flag: string }
  /** `option:parse-arguments,exec-env` (Tracee's output options). */
  | { kind: 'option'; option: 'parse-arguments' | 'exec-env'; flag: string }
  /** `destinations.NAME.FIELD=VALUE`, `streams.NAME.FIELD[.SUB]=VALUE` (Tracee's): one field of one entry. */
  | { kind: 'field'; section: 'destinations' | 'streams'; name: string; field: string[]; value: string; flag: string };

/** One edit that a `--server` value makes: a field of `server`. */
export interface ServerEdit {
  field: 'http-address' | 'metrics' | 'healthz';
  value: string | boolean;
  flag: string;
}

/** A flag value that is not one of the forms, and why. */
export interface FlagProblem {
  flag: string;
  message: string;
}

const OUTPUT_FORMS = ['table', 'json', 'table:PATH', 'json:PATH', 'webhook:URL', 'otlp:URL', 'otlp+grpc:URL', 'option:parse-arguments', 'option:exec-env', 'destinations.NAME.FIELD=VALUE', 'streams.NAME.FIELD=VALUE'];
const OUTPUT_HELP = `use ${OUTPUT_FORMS.join(', ')}`;
// Tracee's forms that tracee-rs does not have
const TRACEE_OUTPUT: Record<string, string> = {
  forward: "Tracee's Fluent Forward destination; tracee-rs sends to webhook and otlp destinations",
  'table-verbose': "Tracee's verbose table; tracee-rs prints table or json",
  gob: "Tracee's Go encoding; tracee-rs prints table or json",
  gotemplate: "Tracee's Go templates; tracee-rs prints table or json",
  none: "Tracee's; with tracee-rs, name the destinations you want (a config file's output.destinations)",
};
const TRACEE_OPTIONS = new Set(['stack-addresses', 'relative-time', 'exec-hash', 'parse-arguments-fds', 'sort-events']);
const TRACEE_SERVER = new Set(['pprof', 'pyroscope', 'grpc', 'grpc-address']);

/** The edits of `--output` values, in order, and the values that are not a form. */
export function parseOutputFlags(values: readonly string[]): { edits: OutputEdit[]; problems: FlagProblem[] } {
  const edits: OutputEdit[] = [];
  const problems: FlagProblem[] = [];
  for (const value of values) {
    const flag = `--output ${value}`;
    const bad = (message: string) => problems.push({ flag, message });
    const colon = value.indexOf(':');
    const head = colon < 0 ? value : value.slice(0, colon);
    const rest = colon < 0 ? undefined : value.slice(colon + 1);
    if (head === 'table' || head === 'json') {
      const paths = rest === undefined ? ['stdout'] : rest.split(',');
      if (paths.some((p) => p.trim() === '')) bad(`${head}: needs a path after ':' (${head}:/var/log/tracee.log), or nothing for stdout`);
      else for (const path of paths) edits.push({ kind: 'file', format: head, path, flag });
    } else if (head === 'webhook' || head === 'otlp' || head === 'otlp+grpc') {
      if (!rest) bad(`${head} needs a URL: ${head}:http://HOST:PORT/PATH`);
      else if (head === 'webhook') edits.push({ kind: 'webhook', url: rest, flag });
      else edits.push({ kind: 'otlp', url: rest, protocol: head === 'otlp' ? 'http/protobuf' : 'grpc', flag });
    } else if (head === 'option') {
      for (const option of (rest ?? '').split(',')) {
        if (option === 'parse-arguments' || option === 'exec-env') edits.push({ kind: 'option', option, flag });
        else if (TRACEE_OPTIONS.has(option.split('=')[0])) bad(`option ${option} is Tracee's; tracee-rs has option:parse-arguments and option:exec-env`);
        else {
          const [near] = nearestNames(option, ['parse-arguments', 'exec-env'], 1, 3);
          bad(`unknown option '${option}'${near ? `; did you mean ${near}?` : ''} (options: parse-arguments, exec-env)`);
        }
      }
    } else if (/^(destinations|streams)\./.test(value)) {
      const eq = value.indexOf('=');
      const path = (eq < 0 ? value : value.slice(0, eq)).split('.');
      const [section, name, ...field] = path;
      if (eq < 0) bad(`needs a value: ${section}.NAME.FIELD=VALUE`);
      else if (!name || field.length === 0 || field.some((f) => f === '')) bad(`expected ${section}.NAME.FIELD=VALUE`);
      else edits.push({ kind: 'field', section: section as 'destinations' | 'streams', name, field, value: value.slice(eq + 1), flag });
    } else if (TRACEE_OUTPUT[head.split('=')[0]] !== undefined) {
      bad(`${head.split('=')[0]} is ${TRACEE_OUTPUT[head.split('=')[0]]}`);
    } else {
      const [near] = nearestNames(head.split('=')[0].split('.')[0], ['table', 'json', 'webhook', 'otlp', 'option', 'destinations', 'streams'], 1, 2);
      bad(`unknown output '${value}'${near ? `; did you mean ${near}?` : ''} (${OUTPUT_HELP})`);
    }
  }
  return { edits, problems };
}

/** The edits of `--server` values (`metrics`, `healthz`, `http-address=HOST:PORT`), and the values that are not a form. */
export function parseServerFlags(values: readonly string[]): { edits: ServerEdit[]; problems: FlagProblem[] } {
  const edits: ServerEdit[] = [];
  const problems: FlagProblem[] = [];
  for (const value of values) {
    const flag = `--server ${value}`;
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    if ((key === 'metrics' || key === 'healthz') && eq < 0) edits.push({ field: key, value: true, flag });
    else if (key === 'http-address' && eq >= 0) edits.push({ field: key, value: value.slice(eq + 1), flag });
    else if (key === 'metrics' || key === 'healthz') problems.push({ flag, message: `${key} takes no value (--server ${key})` });
    else if (key === 'http-address') problems.push({ flag, message: 'needs an address: http-address=HOST:PORT' });
    else if (TRACEE_SERVER.has(key)) problems.push({ flag, message: `${key} is Tracee's; tracee-rs serves metrics and healthz over HTTP` });
    else {
      const [near] = nearestNames(key, ['metrics', 'healthz', 'http-address'], 1, 3);
      problems.push({ flag, message: `unknown server option '${key}'${near ? `; did you mean ${near}?` : ''} (use metrics, healthz, http-address=HOST:PORT)` });
    }
  }
  return { edits, problems };
}
