// The rule bench's live side (test/bench/rules.mjs): the builtin rules'
// trace, as `tracee-rs --rules` runs it (findings(): one policy per rule,
// one for the process tree). Prints "ready" once attached; on SIGINT or
// SIGTERM stops and prints one JSON line.
//   node rules-trace.mjs record FILE   every event traced, as JSON lines
//                                      (traceeJson) to FILE; prints
//                                      {received, lost, recorded}
//   node rules-trace.mjs latency RULE FLUSH_MS
//                                      every finding of RULE (an id) as
//                                      [event timestamp, arrival, host pid],
//                                      the first two in ns (CLOCK_BOOTTIME,
//                                      CLOCK_MONOTONIC: process.hrtime), the
//                                      trace's flushIntervalMs FLUSH_MS;
//                                      prints {received, lost, findings,
//                                      samples}
import { createWriteStream } from 'node:fs';
import { BUILTIN_RULES, findings, rulePolicies, trace, traceeJson } from '../../packages/core/dist/index.js';

const [mode, arg] = process.argv.slice(2);
let stats;
const onAttach = (_, s) => {
  stats = s;
  console.log('ready');
};
const fail = (e) => {
  console.error(e.message);
  process.exit(1);
};

let sub;
let result;
if (mode === 'record') {
  const out = createWriteStream(arg);
  let recorded = 0;
  // what findings(BUILTIN_RULES) traces
  sub = trace({ execEnv: BUILTIN_RULES.some((r) => r.execEnv), policies: rulePolicies(BUILTIN_RULES), onAttach }).subscribe({
    next: (e) => {
      out.write(traceeJson(e) + '\n');
      recorded++;
    },
    error: fail,
  });
  result = async () => {
    await new Promise((r) => out.end(r));
    return { recorded };
  };
} else if (mode === 'latency') {
  const samples = [];
  let count = 0;
  sub = findings(BUILTIN_RULES, { onAttach, flushIntervalMs: Number(process.argv[4]) }).subscribe({
    next: (f) => {
      const arrival = process.hrtime.bigint();
      count++;
      if (f.rule.id === arg) samples.push([f.event.timestamp, Number(arrival), f.event.hostProcessId]);
    },
    error: fail,
  });
  result = async () => ({ findings: count, samples });
} else {
  fail(new Error(`usage: rules-trace.mjs record FILE | latency RULE FLUSH_MS (not ${mode})`));
}

const stop = async () => {
  const s = stats();
  sub.unsubscribe();
  console.log(JSON.stringify({ received: s.received, lost: s.lost, ...(await result()) }));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
