// The default command: trace the host and print events. Pulls batches from
// the tracer only as fast as stdout takes them, so a slow reader backs up
// into the kernel ring, where the loss is counted and reported, not memory.
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { BUILTIN_RULES, PolicyError, SIGNATURES_SET, formatIssue, TraceSession, TraceeError, loadPolicies, loadRules, parseEnrichment, type ContainerEnrichment, type Policy, type Rule, type SyscallHooks, type TraceeEvent } from '@tracee/core';
import type { Agent } from './agent.js';
import type { AgentConfig } from './config/agent-config.js';
import { streamPolicyProblems } from './config/resolve.js';
import { jsonLine, parseDuration, tableHeader, tableRow } from './format.js';
import { mark } from './timing.js';

/** Bytes in a MiB: `--ring-buffer-mb`'s unit. */
export const MIB = 1024 * 1024;

export function fail(message: string): never {
  process.stderr.write(`tracee-rs: error: ${message}\n`);
  process.exit(1);
}

/** Waits until stdout takes more, or fails (the 'error' listener records why). */
async function drained(): Promise<void> {
  try {
    await once(process.stdout, 'drain');
  } catch {
    // EPIPE, ENOSPC...: recorded by the 'error' listener, which stops the trace
  }
}

export interface TraceArgs {
  events?: string[];
  scope?: string[];
  policy?: string[];
  output: 'table' | 'json';
  duration?: string;
  'ring-buffer-mb': number;
  'perf-buffer': boolean;
  'legacy-programs': boolean;
  'syscall-hooks': SyscallHooks;
  'exec-env': boolean;
  'rootkit-check-interval'?: string;
  /** A status line on stderr this often (a duration), or none. */
  'status-interval'?: string;
  /** Where the process id is written while tracing (`tracee-rs reload` signals it). */
  'pid-file'?: string;
  enrichment?: string[];
  'parse-arguments': boolean;
  rules: boolean;
  'rules-dir'?: string;
  /**
   * The whole resolved configuration (--config FILE and the flags), of
   * which the fields above are the trace's part: destinations, streams,
   * server and aggregation are read from it.
   */
  agent?: AgentConfig;
}

/** The message of an error from loading rules, policies or a configuration. */
const messageOf = (e: unknown): string => (e instanceof TraceeError || e instanceof PolicyError ? e.message : String((e as Error).message ?? e));

/** The builtin rules and --rules-dir's: the signatures --events and policies may name. */
async function rulesOf(rulesDir: string | undefined): Promise<Rule[]> {
  return [...BUILTIN_RULES, ...(rulesDir === undefined ? [] : await loadRules(rulesDir, BUILTIN_RULES))];
}

/**
 * The default command: trace until Ctrl-C, SIGTERM or --duration.
 * `reread` reads the configuration again (--config and the flags): on
 * SIGHUP, the policies, rules, destinations and streams are re-read and
 * applied while the programs stay attached.
 */
export async function runTrace(argv: TraceArgs, reread?: () => AgentConfig): Promise<void> {
  mark('arguments parsed');
  let durationMs: number | undefined;
  try {
    durationMs = argv.duration === undefined ? undefined : parseDuration(argv.duration);
  } catch (e) {
    fail((e as Error).message);
  }
  let rootkitCheckMs: number | undefined;
  try {
    rootkitCheckMs = argv['rootkit-check-interval'] === undefined ? undefined : parseDuration(argv['rootkit-check-interval']);
  } catch (e) {
    fail(`--rootkit-check-interval: ${(e as Error).message}`);
  }
  if (rootkitCheckMs !== undefined && rootkitCheckMs <= 0) fail('--rootkit-check-interval must be longer than 0, e.g. 60s');
  let enrichment: ContainerEnrichment | false | undefined;
  try {
    const given = argv.enrichment;
    enrichment = given === undefined ? undefined : given.length === 1 && given[0] === 'none' ? false : parseEnrichment(given);
  } catch (e) {
    fail((e as Error).message);
  }
  let statusMs: number | undefined;
  try {
    statusMs = argv['status-interval'] === undefined ? undefined : parseDuration(argv['status-interval']);
  } catch (e) {
    fail(`--status-interval: ${(e as Error).message}`);
  }
  if (statusMs !== undefined && statusMs < 100) fail('--status-interval must be at least 100ms, e.g. 10s');
  if (argv['pid-file'] !== undefined) claimPidFile(argv['pid-file']);
  // how the kernel side runs, whatever is traced; the ring's size is
  // checked where the tracer sizes it (tracee-core), for the library too
  const how = {
    ringBufferBytes: argv['ring-buffer-mb'] * MIB,
    perfBuffer: argv['perf-buffer'],
    legacyPrograms: argv['legacy-programs'],
    syscallHooks: argv['syscall-hooks'],
    execEnv: argv['exec-env'],
    rootkitCheckInterval: rootkitCheckMs === undefined ? undefined : rootkitCheckMs / 1000,
    enrichment,
  };
  const selects = argv.policy !== undefined || argv.events !== undefined;
  // destinations, streams, the server, aggregation or a config file: the agent
  const agentMode = argv.agent !== undefined && (await import('./agent.js')).needsAgent(argv.agent);
  if (agentMode && (argv.rules || (argv['rules-dir'] !== undefined && !selects))) {
    // the agent prints findings as events: --rules is every signature selected as an event
    if (argv.policy || argv.events || argv.scope) fail('--rules chooses its own events: it cannot be combined with --policy, --scope or --events (select signatures by name there instead: --events anti_debugging, or --events signatures for all)');
    argv = { ...argv, rules: false, events: [SIGNATURES_SET] };
  }
  if (argv.rules || (argv['rules-dir'] !== undefined && !selects)) {
    if (argv.policy || argv.events || argv.scope) fail('--rules chooses its own events: it cannot be combined with --policy, --scope or --events (select signatures by name there instead: --events anti_debugging, or --events signatures for all)');
    // loaded here: a trace without --rules needs none of it
    return (await import('./rules-command.js')).runRules(argv.output, durationMs, argv['rules-dir'], fail, how);
  }
  // the signatures --events and policies may name: the builtin rules, and --rules-dir's
  let rules: Rule[] = [];
  try {
    rules = await rulesOf(argv['rules-dir']);
  } catch (e) {
    fail(messageOf(e));
  }
  if (argv.policy && (argv.events || argv.scope)) {
    fail('--policy cannot be combined with --scope or --events (as in Tracee): put those events and scopes in a policy');
  }
  let policies: Policy[] | undefined;
  if (argv.policy) {
    try {
      policies = loadPolicies(argv.policy, rules);
    } catch (e) {
      fail(e instanceof PolicyError ? e.message : String((e as Error).message ?? e));
    }
  }
  // a stream filtering on a policy that does not exist would pass nothing
  const streamProblems = argv.agent ? streamPolicyProblems(argv.agent, policies?.map((p) => p.name)) : [];
  for (const line of streamProblems.slice(0, -1)) process.stderr.write(`tracee-rs: error: ${line}\n`);
  if (streamProblems.length > 0) fail(streamProblems[streamProblems.length - 1]);
  // the destinations open before anything is attached: one that cannot fails the start
  let agent: Agent | undefined;
  if (agentMode) {
    try {
      agent = await (await import('./agent.js')).Agent.open(argv.agent!);
    } catch (e) {
      fail(messageOf(e));
    }
  }
  let session: TraceSession;
  try {
    session = TraceSession.start({
      // no events named: the session's default
      ...(policies ? { policies } : { events: argv.events, scope: argv.scope }),
      ...how,
      rules,
      // policies a SIGHUP may replace: from files
      reloadable: argv.agent?.file !== undefined || policies !== undefined,
    });
  } catch (e) {
    await agent?.close(0);
    fail(messageOf(e));
  }
  mark('session started');
  agent?.attach(session);
  const { info } = session;
  for (const d of info.disabled) {
    process.stderr.write(`tracee-rs: warning: ${d.events.join(',')} unavailable on this kernel: ${d.reason}\n`);
  }
  const names = info.events.length <= 16 ? info.events.join(',') : `${info.events.slice(0, 8).join(',')},...`;
  const scoped = policies ? `; ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'} (${policies.map((p) => p.name).join(', ')})` : argv.scope ? `; scope ${argv.scope.join(' ')}` : '';
  process.stderr.write(
    `tracee-rs: attached to ${info.programs.length} hooks for ${info.events.length} events (${names})${scoped}; syscalls: ${info.syscallHooks}; BTF: ${info.btf} [case ${info.decisionCase}]; via ${info.transport}${info.rootkitChecks ? `; rootkit checks: ${info.rootkitChecks}` : ''}${agent?.serverAddress ? `; server: http://${agent.serverAddress}` : ''}\n`,
  );

  const stop = (): void => session.stop();
  const nativeJson = !agent && argv.output === 'json' && !session.hasSignatures;
  const printed = { count: 0 };
  const summary = (): void => {
    const stats = session.stats();
    const filtered = stats.filtered > 0 ? `, ${stats.filtered} dropped by event filters` : '';
    const checks = info.rootkitChecks ? `, ${stats.rootkitChecks} rootkit checks` : '';
    // read from the kernel, not taken when the trace stopped: a reader that had stopped taking (a blocking destination)
    const undelivered = stats.undelivered > 0 ? `, ${stats.undelivered} of them read from the kernel but not taken when the trace stopped` : '';
    const count = nativeJson ? session.written : printed.count;
    process.stderr.write(`tracee-rs: ${stats.received} events seen${undelivered}, ${stats.lost} lost${filtered}, ${count} ${agent ? 'handed to the destinations (each one\'s sent and dropped below)' : 'printed'}${checks}\n`);
    if (agent) for (const line of (agentSummary ?? (() => []))(agent)) process.stderr.write(`tracee-rs: ${line}\n`);
  };
  const agentSummary = agent && (await import('./agent.js')).destinationSummary;
  // SIGHUP: the configuration read again and applied, the programs attached
  // throughout; what cannot be applied is refused and the running one stays
  let reloading = Promise.resolve();
  const onReload = (): void => {
    reloading = reloading.then(() => reloadConfig(session, agent, argv, reread));
  };
  process.on('SIGHUP', onReload);
  // SIGUSR1: logrotate moved the files
  const onReopen = (): void => agent?.reopen();
  process.on('SIGUSR1', onReopen);
  // a destination that drops or fails says so while it happens, not only at exit
  const unwatch = agent && (await import('./agent.js')).watchDestinations(agent, (line) => process.stderr.write(`tracee-rs: warning: ${line}\n`));
  // on, not once: a second Ctrl-C must not kill the process mid-summary.
  // The first stops the trace; what was taken is still printed. One more
  // while output is pending (a reader that takes no more) abandons it.
  let signalled = false;
  let signalledAt = 0;
  const onSignal = (): void => {
    if (!signalled) {
      signalled = true;
      signalledAt = Date.now();
      return stop();
    }
    // the same stop again (timeout(1) and kill(1) of a process group signal
    // it twice at once): not a second Ctrl-C
    if (Date.now() - signalledAt < 1000) return;
    summary();
    fail(agent ? 'stopped again while the destinations were sending what they held (what they had not sent is counted as dropped)' : 'stopped with output still pending: the reader of stdout took no more (what it took is counted as printed)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const timer = durationMs === undefined ? undefined : setTimeout(stop, durationMs);
  // asked for: a line now and then, for a person watching a long or background run
  const status = statusMs === undefined ? undefined : statusLines(session, agent, statusMs);
  let readerGone = false;
  let writeError: Error | undefined;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // The reader went away (e.g. `| head`): stop tracing; not an error.
    // Another write error (ENOSPC...) stops it too, and is the exit's reason.
    if (e.code !== 'EPIPE') writeError ??= e;
    readerGone = true;
    stop();
  });

  const parse = argv['parse-arguments'];
  let failure: unknown;
  try {
    if (agent) {
      await agent.run(session, printed);
    } else if (nativeJson) {
      // written by tracee-core from the records, on a thread of its own
      printed.count = (await session.writeJson(process.stdout.fd, { parseArguments: parse })).written;
    } else {
      await printEvents(session, argv.output === 'json' ? (e: TraceeEvent) => jsonLine(e, parse) : tableRow, argv.output === 'table', () => readerGone, printed);
    }
  } catch (e) {
    failure = e;
  }
  if (timer) clearTimeout(timer);
  if (status) clearInterval(status);
  unwatch?.();
  process.off('SIGHUP', onReload);
  process.off('SIGUSR1', onReopen);
  await reloading;
  await agent?.close();
  if (argv['pid-file'] !== undefined) rmSync(argv['pid-file'], { force: true });
  summary();
  if (writeError) fail(`writing events to stdout failed: ${writeError.message}`);
  if (failure) fail(failure instanceof Error ? failure.message : String(failure));
}


/**
 * Prints every event as `format` makes its line (a table's, with its
 * header, or JSON with findings), pulling the next batch only once
 * stdout has taken the last; counts them in `printed`.
 */
async function printEvents(session: TraceSession, format: (e: TraceeEvent) => string, header: boolean, readerGone: () => boolean, printed: { count: number }): Promise<void> {
  if (header) process.stdout.write(tableHeader());
  for (let batch: TraceeEvent[] | null; (batch = await session.next()) !== null; ) {
    if (readerGone() || process.stdout.destroyed) continue;
    if (printed.count === 0 && batch.length > 0) mark('first batch');
    let text = '';
    for (const e of batch) text += format(e);
    const more = process.stdout.write(text);
    if (printed.count === 0 && batch.length > 0) mark('first event written');
    printed.count += batch.length;
    if (!more) await drained();
  }
}

/**
 * SIGHUP: reads the configuration again (--config, the flags, the policy
 * files and --rules-dir) and applies it while every program stays
 * attached: policies and rules through TraceSession.reload, destinations
 * and streams through the agent. Anything that cannot be applied is
 * refused, with its reasons, and the running configuration stays.
 * Options that only a start can change are named and left as they are.
 */
async function reloadConfig(session: TraceSession, agent: Agent | undefined, argv: TraceArgs, reread: (() => AgentConfig) | undefined): Promise<void> {
  const refuse = (lines: string[]): void => {
    for (const line of lines) process.stderr.write(`tracee-rs: reload refused: ${line}\n`);
    process.stderr.write('tracee-rs: the running configuration stays\n');
    agent?.metrics.countReload('refused');
  };
  if (!argv.agent?.file && !argv.policy) {
    refuse(['nothing to re-read: the policies came from flags (give --config or --policy files to reload them)']);
    return;
  }
  let next: AgentConfig | undefined;
  try {
    next = reread?.();
  } catch (e) {
    const lines = (e as { lines?: () => string[] }).lines?.() ?? [messageOf(e)];
    refuse(lines);
    return;
  }
  const trace = next?.trace ?? argv;
  try {
    const rules = await rulesOf(trace['rules-dir']);
    const policies = trace.policy ? loadPolicies(trace.policy, rules) : undefined;
    const streamProblems = next ? streamPolicyProblems(next, policies?.map((p) => p.name)) : [];
    if (streamProblems.length > 0) return refuse(streamProblems);
    // the destinations first: one that cannot open refuses the whole reload
    const previous = agent?.config;
    if (agent && next) agent.replace(next);
    try {
      await session.reload({ ...(policies ? { policies } : { events: trace.rules ? [SIGNATURES_SET] : trace.events, scope: trace.scope }), rules });
    } catch (e) {
      if (agent && previous) agent.replace(previous);
      throw e;
    }
    const kept = next ? restartOnly(argv, next) : [];
    if (kept.length) process.stderr.write(`tracee-rs: warning: ${kept.join(', ')} changed: applied at the next start only\n`);
    const names = session.info.policies.length;
    agent?.metrics.countReload('applied');
    process.stderr.write(`tracee-rs: reloaded${policies ? `: ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'} (${policies.map((p) => p.name).join(', ')})` : ''}${agent && next ? `; destinations: ${next.output.destinations.map((d) => d.name).join(', ')}` : ''} (policy bits in use: ${names})\n`);
  } catch (e) {
    // every problem of the policy files, each at its place; tracee-core's refusals without their 'reload: '
    refuse(e instanceof PolicyError ? e.issues.map(formatIssue) : [messageOf(e).replace(/^reload: /, '')]);
  }
}

/** The options a reload does not apply (they shape what was loaded and attached): those `next` changes. */
function restartOnly(argv: TraceArgs, next: AgentConfig): string[] {
  const keys = ['ring-buffer-mb', 'perf-buffer', 'legacy-programs', 'syscall-hooks', 'exec-env', 'rootkit-check-interval', 'enrichment'] as const;
  const changed: string[] = keys.filter((k) => JSON.stringify(argv[k]) !== JSON.stringify(k === 'exec-env' ? next.output.options.execEnv : next.trace[k])).map((k) => `--${k}`);
  if (JSON.stringify(argv.agent?.server) !== JSON.stringify(next.server)) changed.push('server');
  return changed;
}

/**
 * Writes this process's id into `path` (what `tracee-rs reload` signals);
 * fails when a live process holds it already (another tracee-rs), or it
 * cannot be written. Removed at exit.
 */
function claimPidFile(path: string): void {
  let held: number | undefined;
  try {
    held = Number(readFileSync(path, 'utf8').trim());
  } catch {
    // none yet
  }
  if (held && held !== process.pid && existsSync(`/proc/${held}`)) fail(`--pid-file ${path}: process ${held} holds it (another tracee-rs?); stop it, or give another file`);
  try {
    writeFileSync(path, `${process.pid}\n`);
  } catch (e) {
    fail(`--pid-file ${path}: cannot write it: ${(e as Error).message}`);
  }
  // removed whichever way the process ends
  process.once('exit', () => {
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
    } catch {
      // gone already
    }
  });
}

/** A status line on stderr every `ms`: the rate since the last, what was lost, each destination's sent and dropped. */
function statusLines(session: TraceSession, agent: Agent | undefined, ms: number): NodeJS.Timeout {
  let last = { at: Date.now(), received: 0 };
  const timer = setInterval(() => {
    const s = session.stats();
    const now = Date.now();
    const rate = Math.round(((s.received - last.received) * 1000) / Math.max(1, now - last.at));
    last = { at: now, received: s.received };
    const ratio = s.received + s.lost > 0 ? ` (${((100 * s.lost) / (s.received + s.lost)).toFixed(2)}%)` : '';
    const destinations = agent ? Object.entries(agent.stats()).map(([name, d]) => `; ${name}: ${d.sent} sent, ${d.dropped} dropped${d.queued ? `, ${d.queued} queued` : ''}`).join('') : '';
    process.stderr.write(`tracee-rs: status: ${rate} events/s; ${s.received} seen, ${s.lost} lost${ratio}${destinations}\n`);
  }, ms);
  timer.unref();
  return timer;
}
