// The rule layer alone, from memory (test/bench/rules.mjs): the events of
// FILE (JSON lines, tracee-rs -o json, recorded from the builtin rules'
// trace) parsed once, then pushed through detect() on the one CPU this
// process is pinned to, in two ways:
//   cli      as `tracee-rs --rules` runs it (findings(): byPolicy, each rule
//            gets the events its own policy matched)
//   analyze  as `tracee-rs analyze` runs it (each rule gets every event it
//            names, whatever policies matched it)
// each with every builtin rule at once, then with each rule alone, then
// with none (the process tree and the routing). Each figure is the median
// of RUNS passes after WARM_UP passes, each pass a new detect() and process
// tree over the same events. Checks that every pass of a configuration
// finds the same, that both ways find the same, and that the rules alone
// find what all find together; prints one JSON line:
//   { events, runs, cli: Pass, analyze: Pass, none: Pass,
//     rules: [{ id, eventName, findings, cli: Pass, analyze: Pass }] }
// Pass: { findings, nsPerEvent (median), samples (ns per event) }; cli and
// analyze also have byRule (findings per rule id); a rule alone's also
// addedNsPerEvent (median) and added: its cost beyond no rule, each sample
// the difference with a pass of no rule just before it.
//   node rules-replay.mjs FILE [RUNS]
import { readFileSync } from 'node:fs';
import { Observable } from 'rxjs';
import { BUILTIN_RULES, ProcessTree, detect, parseEventJson } from '../../packages/core/dist/index.js';

const [file, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg ?? 5);
const events = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map(parseEventJson);

const failed = (f) => {
  throw new Error(`rule ${f.rule} failed: ${f.error?.message ?? f.error}`);
};

/** One pass of `events` through detect(rules): ns per event, and the findings as `rule event tid timestamp` keys. */
function pass(rules, byPolicy) {
  const keys = [];
  // the events as trace() emits them: subscriber.next for each
  const source = new Observable((subscriber) => {
    for (const e of events) subscriber.next(e);
    subscriber.complete();
  });
  const t0 = process.hrtime.bigint();
  source
    // the recorded pids are another time's: nothing from this host's /proc (as `tracee-rs analyze`)
    .pipe(detect(rules, { tree: new ProcessTree(undefined, false), byPolicy, onRuleError: failed }))
    .subscribe((f) => keys.push(`${f.rule.id} ${f.event.eventName} ${f.event.hostThreadId} ${f.event.timestamp}`));
  const ns = Number(process.hrtime.bigint() - t0);
  return { nsPerEvent: ns / events.length, keys };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Untimed passes before the timed ones: V8 optimises the hot functions over the first few (a first pass is 2-3x slower). */
const WARM_UP = 3;

/**
 * RUNS timed passes of `rules` after WARM_UP; with `paired`, each after a
 * timed pass of no rule, the rules' own cost being the median of the
 * differences (adjacent in time: the machine's load drifts less between
 * them). Throws if two passes find differently (the replay must be
 * deterministic).
 */
function measure(rules, byPolicy, paired = false) {
  const first = pass(rules, byPolicy);
  for (let i = 1; i < WARM_UP; i++) pass(rules, byPolicy);
  const samples = [];
  const added = [];
  for (let i = 0; i < RUNS; i++) {
    // no forced collection between passes: after one (node --expose-gc, gc()) the next pass ran 3x slower here
    const none = paired ? pass([], byPolicy).nsPerEvent : 0;
    const p = pass(rules, byPolicy);
    if (p.keys.join('\n') !== first.keys.join('\n')) throw new Error(`two passes of ${rules.map((r) => r.id).join(',') || 'no rule'} found differently`);
    samples.push(p.nsPerEvent);
    added.push(p.nsPerEvent - none);
  }
  return { findings: first.keys.length, nsPerEvent: median(samples), samples, ...(paired ? { addedNsPerEvent: median(added), added } : {}), keys: first.keys };
}

const same = (a, b) => [...a].sort().join('\n') === [...b].sort().join('\n');
const cli = measure(BUILTIN_RULES, true);
const analyze = measure(BUILTIN_RULES, false);
if (!same(cli.keys, analyze.keys)) throw new Error(`routing by policy found ${cli.findings}, by event name ${analyze.findings}: not the same findings`);
const rules = BUILTIN_RULES.map((r) => ({ id: r.id, eventName: r.eventName, cli: measure([r], true, true), analyze: measure([r], false, true) }));
if (!same(rules.flatMap((r) => r.cli.keys), cli.keys) || !same(rules.flatMap((r) => r.analyze.keys), cli.keys)) throw new Error('the rules alone found differently from all together');
const none = measure([], false);
const byRule = Object.fromEntries(rules.map((r) => [r.id, r.cli.findings]));
const out = ({ keys: _, ...p }) => p;
console.log(
  JSON.stringify({
    events: events.length,
    runs: RUNS,
    cli: { ...out(cli), byRule },
    analyze: { ...out(analyze), byRule },
    none: out(none),
    rules: rules.map((r) => ({ id: r.id, eventName: r.eventName, findings: r.cli.findings, cli: out(r.cli), analyze: out(r.analyze) })),
  }),
);
