// Rules from the command line: `tracee-rs --rules` (live), `tracee-rs
// analyze FILE` (recorded events, ours or Tracee's JSON lines) and
// `tracee-rs list rules`.
import { once } from 'node:events';
import { BUILTIN_RULES, ProcessTree, TraceeError, detect, findingJson, findings, loadRules, replay, type Finding, type Rule, type TraceOptions, type TraceStats } from '@tracee/core';
import { cell } from './format.js';

const SEVERITY = ['info', 'low', 'medium', 'high', 'critical'];

function format(f: Finding, output: 'table' | 'json'): string {
  if (output === 'json') return findingJson(f) + '\n';
  const chain = f.ancestry.map((p) => `${p.comm}(${p.hostPid})`).join(' < ');
  const data = Object.entries(f.data).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
  return `${(f.event.timestamp / 1e9).toFixed(6).padEnd(16)} ${f.rule.id.padEnd(9)} ${SEVERITY[f.rule.severity].padEnd(8)} ${f.rule.eventName.padEnd(26)} ${f.event.eventName.padEnd(18)} ${chain}${data ? `  ${data}` : ''}\n`;
}

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** The builtin rules and those of `dir`'s modules. */
async function allRules(dir: string | undefined, fail: (m: string) => never): Promise<Rule[]> {
  try {
    return [...BUILTIN_RULES, ...(dir === undefined ? [] : await loadRules(dir, BUILTIN_RULES))];
  } catch (e) {
    fail(e instanceof TraceeError ? e.message : String(e));
  }
}

/** Runs the rules live until Ctrl-C, SIGTERM or `durationMs`; `how`: the trace's transport and hooks. */
export async function runRules(output: 'table' | 'json', durationMs: number | undefined, rulesDir: string | undefined, fail: (m: string) => never, how: Omit<TraceOptions, 'events' | 'scope' | 'policies'> = {}): Promise<void> {
  const rules = await allRules(rulesDir, fail);
  let count = 0;
  let stats: (() => TraceStats) | undefined;
  await new Promise<void>((resolve) => {
    const sub = findings(rules, {
      ...how,
      onAttach: (info, s) => {
        stats = s;
        process.stderr.write(`tracee-rs: ${rules.length} rules; attached to ${info.programs.length} hooks for ${info.events.length} events (${info.events.join(',')}); BTF: ${info.btf} [case ${info.decisionCase}]\n`);
      },
    }).subscribe({
      next: (f) => {
        count++;
        process.stdout.write(format(f, output));
      },
      error: (e: Error) => fail(e.message),
      complete: resolve,
    });
    const stop = () => {
      sub.unsubscribe();
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (durationMs !== undefined) setTimeout(stop, durationMs);
  });
  // the trace's counters, final once it stopped; as the trace summary, the loss is exact
  const s = stats?.();
  process.stderr.write(`tracee-rs: ${s ? `${s.received} events seen, ${s.lost} lost, ` : ''}${count} findings\n`);
}

/** Runs the builtin rules on recorded events (JSON lines, ours or Tracee's). */
export async function analyze(file: string, output: 'table' | 'json', rulesDir: string | undefined, fail: (m: string) => never): Promise<void> {
  const rules = await allRules(rulesDir, fail);
  let count = 0;
  let text = '';
  await new Promise<void>((resolve) =>
    replay(file)
      // the recorded pids are another time's: nothing from this host's /proc
      .pipe(detect(rules, { tree: new ProcessTree(undefined, false) }))
      .subscribe({
        next: (f) => {
          count++;
          text += format(f, output);
        },
        error: (e: Error) => fail(e.message),
        complete: resolve,
      }),
  );
  await write(text);
  process.stderr.write(`tracee-rs: ${count} findings\n`);
}

/** The builtin rules, a line each, or as JSON. */
export function listRules(json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(BUILTIN_RULES.map(({ detect: _, ...r }) => r), null, 2) + '\n');
    return;
  }
  for (const r of BUILTIN_RULES) {
    const events = [...new Set(r.events.map((e) => e.event))].join(',');
    // Tracee gives some signatures no technique id (TRC-1013): '-' there
    process.stdout.write(`${r.id.padEnd(9)} ${r.eventName.padEnd(26)} ${SEVERITY[r.severity].padEnd(8)} ${`${cell(r.mitre.id)} ${cell(r.mitre.technique)}`.padEnd(52)} ${cell(events)}\n`);
  }
}
