// Users' rule modules: every *.js / *.mjs / *.ts / *.mts file of a
// directory, whose default export, or export `rules`, is a Rule or a list of
// them. TypeScript is run as Node runs it where Node strips types (22.6+),
// else compiled on import by the `typescript` package (ts-hooks.ts).
import { readdirSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TraceeError } from '../errors.js';
import { EVENTS } from '../generated/schema.js';
import { ruleEventId, type Rule } from './rule.js';
import { SIGNATURES_SET } from './signature-events.js';

/** Names a rule's eventName cannot take: the catalog's events and sets (a signature is selected by its name). */
const TAKEN_NAMES = new Set<string>([...EVENTS.map((e) => e.name), ...EVENTS.flatMap((e) => e.sets as readonly string[]), SIGNATURES_SET]);

const REQUIRED: (keyof Rule)[] = ['id', 'eventName', 'name', 'description', 'severity', 'mitre', 'events', 'detect'];

/** What is wrong with `value` as a rule, or undefined. */
function problem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const r = value as Partial<Rule>;
  const missing = REQUIRED.filter((k) => r[k] === undefined);
  if (missing.length) return `missing ${missing.join(', ')}`;
  if (typeof r.detect !== 'function') return 'detect is not a function (it returns an RxJS operator)';
  if (!Array.isArray(r.events) || r.events.length === 0 || r.events.some((e) => typeof e?.event !== 'string')) return 'events must list at least one { event, filters? }';
  if (![0, 1, 2, 3, 4].includes(r.severity as number)) return 'severity must be 0 to 4';
  if (r.eventId !== undefined && !(Number.isSafeInteger(r.eventId) && r.eventId >= 0)) return 'eventId must be a non-negative integer';
  return undefined;
}

let tsHooks = false;

/** Where Node does not strip types: registers ts-hooks with the typescript package found from `dir` or from here. */
function compileTypeScript(dir: string, file: string): void {
  if ((process.features as { typescript?: unknown }).typescript !== undefined || tsHooks) return;
  let typescript: string | undefined;
  for (const from of [join(resolve(dir), 'rules.js'), import.meta.url]) {
    try {
      typescript = createRequire(from).resolve('typescript');
      break;
    } catch {
      // not there: the next place
    }
  }
  if (!typescript) {
    throw new TraceeError('EINVAL', `${file}: a TypeScript rule module needs Node 22.6+ (which strips types) or the typescript package (npm install typescript, beside the rules or globally); or compile it to .js`);
  }
  register(new URL('./ts-hooks.js', import.meta.url), { data: { typescript: pathToFileURL(typescript).href } });
  tsHooks = true;
}

/**
 * Loads the rules of every module in `dir`; throws a TraceeError naming the
 * file and what is wrong (a module that fails to load, an export that is
 * not a rule, an id used twice).
 */
export async function loadRules(dir: string, taken: readonly Rule[] = []): Promise<Rule[]> {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.m?[jt]s$/.test(f) && !/\.d\.m?ts$/.test(f))
      .sort();
  } catch (e) {
    throw new TraceeError('EINVAL', `--rules-dir ${dir}: ${(e as Error).message}`);
  }
  const tsFile = files.find((f) => /\.m?ts$/.test(f));
  if (tsFile) compileTypeScript(dir, join(dir, tsFile));
  const ids = new Set(taken.map((r) => r.id));
  const eventIds = new Map(taken.map((r) => [ruleEventId(r), r.id]));
  const eventNames = new Map(taken.map((r) => [r.eventName, r.id]));
  const out: Rule[] = [];
  for (const f of files) {
    const file = join(dir, f);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
    } catch (e) {
      throw new TraceeError('EINVAL', `${file}: the module does not load: ${(e as Error).message.split('\n')[0]}`);
    }
    const exported = mod.default ?? mod.rules;
    if (exported === undefined) throw new TraceeError('EINVAL', `${file}: exports no rule (export default a rule, or a list of rules)`);
    for (const [i, r] of (Array.isArray(exported) ? exported : [exported]).entries()) {
      const why = problem(r);
      if (why) throw new TraceeError('EINVAL', `${file}: export ${Array.isArray(exported) ? `[${i}] ` : ''}is not a rule: ${why}`);
      const rule = r as Rule;
      if (ids.has(rule.id)) throw new TraceeError('EINVAL', `${file}: rule id ${rule.id} is already taken; ids must be unique`);
      ids.add(rule.id);
      const eventId = ruleEventId(rule);
      const other = eventIds.get(eventId);
      if (other !== undefined) throw new TraceeError('EINVAL', `${file}: rule ${rule.id}'s eventId ${eventId} is rule ${other}'s too; give it an eventId of its own`);
      eventIds.set(eventId, rule.id);
      if (TAKEN_NAMES.has(rule.eventName)) throw new TraceeError('EINVAL', `${file}: rule ${rule.id}'s eventName '${rule.eventName}' is an event or set of the catalog; a rule's findings need a name of their own`);
      const sameName = eventNames.get(rule.eventName);
      if (sameName !== undefined) throw new TraceeError('EINVAL', `${file}: rule ${rule.id}'s eventName '${rule.eventName}' is rule ${sameName}'s too; event names must be unique`);
      eventNames.set(rule.eventName, rule.id);
      out.push(rule);
    }
  }
  return out;
}
