// `tracee-rs policy validate` and `tracee-rs list events`: check what a
// trace would be given, without tracing.
import { EVENTS, PolicyError, SIGNATURES_SET, formatIssue, listEvents, listSignatures, loadPolicies } from '@tracee/core';
import { cell } from './format.js';

/** Checks policy files; prints each policy, or every problem at its line. */
export function policyValidateCommand(paths: string[]): void {
  try {
    const policies = loadPolicies(paths);
    for (const p of policies) {
      const events = p.rules.map((r) => r.event + (r.filters?.length ? ` (${r.filters.join(', ')})` : '')).join(', ');
      process.stdout.write(`ok ${p.source.file}:${p.source.line}: policy '${p.name}': scope ${p.scope.join(' ')}; events ${events}\n`);
    }
    process.stdout.write(`${policies.length} polic${policies.length === 1 ? 'y' : 'ies'} valid\n`);
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    for (const i of e.issues) process.stderr.write(`tracee-rs: error: ${formatIssue(i)}\n`);
    process.exitCode = 1;
  }
}

/** Every event with its sets and arguments, optionally those of one set. */
export function listEventsCommand(tag: string | undefined, json: boolean): void {
  const sets = new Set([...EVENTS.flatMap((e) => e.sets as readonly string[]), SIGNATURES_SET]);
  if (tag !== undefined && !sets.has(tag)) {
    process.stderr.write(`tracee-rs: error: unknown set '${tag}'; the sets are: ${[...sets].sort().join(', ')}\n`);
    process.exitCode = 1;
    return;
  }
  const events = listEvents(tag);
  // the signatures, selectable as events (Tracee's set `signatures`)
  const signatures = tag === undefined || tag === SIGNATURES_SET ? listSignatures() : [];
  if (json) {
    process.stdout.write(JSON.stringify([...events, ...signatures], null, 2) + '\n');
    return;
  }
  const width = Math.max(...events.map((e) => e.name.length), ...signatures.map((s) => s.name.length));
  for (const e of events) {
    const args = e.args.map((a) => `${a.type}${a.type.endsWith('*') ? '' : ' '}${a.name}`).join(', ');
    process.stdout.write(`${e.name.padEnd(width)} ${String(e.id).padStart(4)}  ${cell(e.sets.join(',')).padEnd(28)} (${args})\n`);
  }
  for (const s of signatures) {
    process.stdout.write(`${s.name.padEnd(width)} ${String(s.id).padStart(4)}  ${cell(s.sets.join(',')).padEnd(28)} ${s.signatureId}, needs ${cell(s.needs.join(','))}\n`);
  }
}
