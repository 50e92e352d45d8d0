#!/usr/bin/env node
// tracee-rs: the command line of tracee-rs (yargs). Each command lives in
// its own module; this file only wires them.
// first: it reads TRACEE_TIMING before anything else runs
import { mark } from './timing.js';
import { createRequire } from 'node:module';
import { DEFAULTS, EVENT_SETS, LIMITS, SCOPE_SYNTAX, SIGNATURES_SET, nearestNames } from '@tracee/core';
import type { Arguments, Argv } from 'yargs';

/** A lister whose reader left (`| head`): done, quietly, as other Unix tools. */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
}
import { fail, MIB, runTrace } from './trace-command.js';
import { traceArgs, type AgentConfig } from './config/agent-config.js';
import { loadConfig } from './config/load.js';
import { ConfigError, type ConfigArgs } from './config/resolve.js';

/**
 * The configuration --config and the flags make, or exit 1 with every
 * problem, one line each: nothing is attached before it is whole.
 */
function configOrFail(argv: ConfigArgs & { config?: string }): AgentConfig {
  try {
    return loadConfig(argv);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const lines = e.lines();
    for (const line of lines.slice(0, -1)) process.stderr.write(`tracee-rs: error: ${line}\n`);
    return fail(lines[lines.length - 1]);
  }
}
import { DEFAULT_HTTP_ADDRESS } from './server/address.js';
import { DEFAULT_PID_FILE } from './reload-command.js';

// The other commands' modules are loaded when run: tracing, the command
// that must start fast, loads none of them.
const btfCommand = () => import('./btf-command.js');
const policyCommand = () => import('./policy-command.js');
const configCommand = () => import('./config-command.js');
const rulesCommand = () => import('./rules-command.js');

// yargs's CommonJS build: its ES module build lays help out with cliui's
// ES module build, which cuts lines at the width in the middle of words
// ("selected ev" / "ent"); the CommonJS one wraps at spaces (wrap-ansi).
const require = createRequire(import.meta.url);
const yargs = require('yargs') as (args: readonly string[]) => Argv;
const { hideBin } = require('yargs/helpers') as typeof import('yargs/helpers');
mark('modules loaded');

/** Columns of help: the terminal's, up to 100; 80 when not a terminal (a pipe, a file). */
const HELP_WIDTH = process.stdout.isTTY ? Math.min(100, process.stdout.columns) : 80;

/** The top-level commands, besides the default one (tracing). */
const COMMANDS = ['btf', 'policy', 'config', 'list', 'analyze', 'doctor', 'status', 'reload'];

/** The options yargs knows in the running command (its instance's, not typed by @types/yargs). */
interface KnownOptions {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
}

const camelCase = (s: string): string => s.replace(/-+([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Fails on arguments the running command does not take, each named once as
 * typed (`--bogus-flag`; yargs's own strict check names each spelling it
 * made of it: `bogus-flag, bogusFlag`) with the nearest known option or
 * command. Runs before yargs's validation (which still catches the rest).
 */
function unknownArguments(argv: Arguments, y: Argv): void {
  const { key, alias } = (y as unknown as { getOptions(): KnownOptions }).getOptions();
  const names = [...Object.keys(key), ...Object.values(alias).flat()];
  const known = new Set([...names, ...names.map(camelCase)]);
  const long = names.filter((n) => n.length > 1);
  const unknown: string[] = [];
  const args = hideBin(process.argv);
  const end = args.indexOf('--');
  for (const arg of end < 0 ? args : args.slice(0, end)) {
    // options only: `-` is standard input, `-1` a number
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) continue;
    const name = arg.replace(/^--?/, '').split('=')[0];
    // `--no-x` negates x; `-abc` is -a with a value or with more flags (yargs checks those)
    const ok = arg.startsWith('--') ? known.has(name) || (name.startsWith('no-') && known.has(name.slice(3))) : known.has(name) || known.has(name[0]);
    if (!ok && !unknown.includes(arg.split('=')[0])) unknown.push(arg.split('=')[0]);
  }
  const near = (typed: string): string => {
    const [best] = nearestNames(typed.replace(/^--?/, ''), long, 1, 2);
    return best === undefined ? '' : `did you mean --${best}?`;
  };
  // a word where the default command takes none: a misspelt command
  const stray = argv._.length > 0 && !COMMANDS.includes(String(argv._[0])) ? String(argv._[0]) : undefined;
  if (stray !== undefined && unknown.length === 0) {
    const [best] = nearestNames(stray, COMMANDS, 1, 2);
    fail(`unknown command '${stray}'${best === undefined ? '' : `; did you mean ${best}?`} (see tracee-rs --help)`);
  }
  if (unknown.length === 1) {
    const hint = near(unknown[0]);
    fail(`unknown option ${unknown[0]}${hint ? `; ${hint}` : ''} (see tracee-rs --help)`);
  }
  if (unknown.length > 1) {
    fail(`unknown options ${unknown.map((u) => (near(u) ? `${u} (${near(u)})` : u)).join(', ')} (see tracee-rs --help)`);
  }
}

/** What is traced when nothing is named, as help says it. */
const defaultEvents = DEFAULTS.events.map((e) => ((EVENT_SETS as readonly string[]).includes(e) ? `the set '${e}'` : `'${e}'`)).join(', ');

/**
 * The trace command's options (also `config show`'s, which resolves them
 * without tracing). No yargs defaults: an option not given is undefined, so
 * the config file's value applies (the defaults are filled in by
 * resolveConfig; help shows them).
 */
function traceOptions<T>(y: Argv<T>) {
  return y
    .option('events', {
      alias: 'e',
      type: 'string',
      array: true,
      describe: `events, comma-separated (default: ${defaultEvents}): names (openat, sched_process_exec), sets (${EVENT_SETS.join(', ')}), patterns (open*), exclusions (-close), filters (openat.data.pathname=/etc/*, openat.retval<0, openat.scope.comm=cat); signatures by their event name (anti_debugging) or all (${SIGNATURES_SET}): their findings are events`,
    })
    .option('scope', {
      alias: 's',
      type: 'string',
      array: true,
      describe: `which processes, as Tracee: ${SCOPE_SYNTAX.join(', ')}; != negates; flags AND, values (a,b) OR`,
    })
    .option('rules', {
      type: 'boolean',
      defaultDescription: 'false',
      describe: 'run the builtin rules (tracee-rs list rules) and print their findings instead of events; only the events they need are traced',
    })
    .option('rules-dir', {
      type: 'string',
      describe: 'also run the rules of the *.js/*.mjs/*.ts/*.mts modules in this directory (default export: a rule or a list); implies --rules, unless --events or --policy select signatures by name (then these rules can be named too)',
    })
    .option('policy', {
      alias: 'p',
      type: 'string',
      array: true,
      describe: `Tracee Policy files or directories (YAML or JSON, CRD or plain form; up to ${LIMITS.MAX_POLICIES} policies); not with --scope/--events`,
    })
    .option('output', {
      alias: 'o',
      type: 'string',
      array: true,
      defaultDescription: 'table',
      describe:
        "table: aligned columns, arguments decoded; json: one JSON object per line, as Tracee prints events. As Tracee's: json:FILE, table:FILE, webhook:URL, option:parse-arguments, option:exec-env, destinations.NAME.FIELD=VALUE (type, format, path, url), streams.NAME.FIELD=VALUE (destinations, filters.events, ...); ours: otlp:URL (OTLP/HTTP), otlp+grpc:URL",
    })
    .option('parse-arguments', {
      type: 'boolean',
      defaultDescription: 'false',
      describe: 'in JSON, arguments as people read them (O_RDONLY|O_CLOEXEC, AT_FDCWD, SIGCHLD) instead of raw numbers',
    })
    .option('duration', {
      alias: 'd',
      type: 'string',
      // given twice: the last one, as most tools take it
      coerce: (v: string | string[]) => (Array.isArray(v) ? v[v.length - 1] : v),
      describe: 'stop after this long, e.g. 10s, 500ms, 2m (default: until Ctrl-C or SIGTERM)',
    })
    .option('ring-buffer-mb', {
      type: 'number',
      defaultDescription: String(DEFAULTS.ringBufferBytes / MIB),
      describe: 'size of the kernel ring buffer in MiB (a power of two)',
    })
    .option('perf-buffer', {
      type: 'boolean',
      defaultDescription: String(DEFAULTS.perfBuffer),
      describe: 'send records through a perf buffer even where the kernel has a BPF ring buffer (used anyway before Linux 5.8)',
    })
    .option('legacy-programs', {
      type: 'boolean',
      defaultDescription: String(DEFAULTS.legacyPrograms),
      describe: 'load the programs for kernels before 5.2 (no BPF global data; perf buffer, monotonic clock) even on newer ones',
    })
    .option('exec-env', {
      type: 'boolean',
      defaultDescription: String(DEFAULTS.execEnv),
      describe: "execve's envp as its strings, not an address (Tracee's --output option:exec-env)",
    })
    .option('rootkit-check-interval', {
      type: 'string',
      coerce: (v: string | string[]) => (Array.isArray(v) ? v[v.length - 1] : v),
      describe: `how often hooked_syscall and hooked_proc_fops check the kernel after the check at start, e.g. 60s, 5m (default ${DEFAULTS.rootkitCheckIntervalS}s)`,
    })
    .option('status-interval', {
      type: 'string',
      coerce: (v: string | string[]) => (Array.isArray(v) ? v[v.length - 1] : v),
      describe: "a status line on stderr this often, e.g. 10s: events/s, lost, each destination's sent and dropped (default: none; the summary at exit only)",
    })
    .option('pid-file', {
      type: 'string',
      describe: 'write the process id here while tracing, removed at exit: what `tracee-rs reload` signals',
    })
    .option('enrichment', {
      type: 'string',
      array: true,
      describe:
        "container runtimes to ask for names, images and pods, as Tracee's --enrichment: container (every runtime at its default socket: the default where a socket exists), container.<docker|containerd|crio|podman>.socket=PATH (only those given); none: ask no runtime (events carry container ids only)",
    })
    .option('syscall-hooks', {
      choices: DEFAULTS.syscallHooksModes,
      defaultDescription: DEFAULTS.syscallHooks,
      describe: `raw: raw tracepoints sys_enter/sys_exit (every syscall runs the program); per-syscall: the tracepoints of the selected syscalls only (needs tracefs); auto: per-syscall for up to ${DEFAULTS.perSyscallMax} syscalls where tracefs has them`,
    })
    .option('server', {
      type: 'string',
      array: true,
      describe: "the HTTP server, as Tracee's --server: metrics (Prometheus, at /metrics), healthz (/healthz), http-address=HOST:PORT (default 127.0.0.1:3366)",
    })
    .option('config', {
      type: 'string',
      coerce: (v: string | string[]) => (Array.isArray(v) ? v[v.length - 1] : v),
      describe: 'read options from this YAML or JSON file (tracee-rs config schema; docs/config.md); flags given override it',
    });
}

await yargs(hideBin(process.argv))
  .scriptName('tracee-rs')
  .usage('$0 [options]\n\nTrace this Linux host with eBPF and print every selected event (needs root).')
  .command(
    '$0',
    'trace the host and print events (default)',
    traceOptions,
    (argv) => runTrace(traceArgs(configOrFail(argv)), () => loadConfig(argv)),
  )
  .command('btf', 'which BTF tracee-rs uses on this kernel, and the minimized BTFs it embeds', (y) =>
    y
      .command(
        'info',
        'the environment read, the load decision (Tracee\'s cases 1-5) and the embedded key',
        (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
        async (argv) => (await btfCommand()).btfInfoCommand(argv.json),
      )
      .command(
        'list',
        'the kernels whose minimized BTF is embedded',
        (y) => y.option('report', { type: 'boolean', default: false, describe: 'print the build\'s size report instead' }),
        async (argv) => (await btfCommand()).btfListCommand(argv.report),
      )
      .command(
        'extract <key>',
        'write one embedded minimized BTF to a file',
        (y) =>
          y
            .positional('key', { type: 'string', demandOption: true, describe: 'id/version/arch/release, as `btf list` prints it' })
            .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'file to write' }),
        async (argv) => (await btfCommand()).btfExtractCommand(argv.key, argv.output),
      )
      .demandCommand(1, 'name a btf command: info, list or extract')
      .example('$0 btf info', 'explain which BTF a trace would use here, and why')
      .example('$0 btf extract centos/8/x86_64/4.18.0-305.el8.x86_64 -o 4.18.btf', 'write one minimized BTF'),
  )
  .command('policy', 'Tracee Policy files', (y) =>
    y
      .command(
        'validate <paths..>',
        'check policy files (shape, events, scopes, filters) without tracing; every problem at its line',
        (y) => y.positional('paths', { type: 'string', array: true, demandOption: true, describe: 'files or directories' }),
        async (argv) => (await policyCommand()).policyValidateCommand(argv.paths as string[]),
      )
      .demandCommand(1, 'name a policy command: validate'),
  )
  .command('config', "the agent's configuration file (--config): check it, print what it resolves to, its schema", (y) =>
    y
      .command(
        'validate <file>',
        'check a config file (YAML or JSON) without tracing; every problem at its line and column',
        (y) => y.positional('file', { type: 'string', demandOption: true, describe: 'the config file' }),
        async (argv) => (await configCommand()).configValidateCommand(argv.file),
      )
      .command(
        'show',
        'print the configuration --config and the other flags make, as YAML (every default filled in, secrets masked)',
        (y) => traceOptions(y),
        async (argv) => (await configCommand()).configShowCommand(argv),
      )
      .command('schema', "print the config file's JSON Schema", {}, async () => (await configCommand()).configSchemaCommand())
      .demandCommand(1, 'name a config command: validate, show or schema'),
  )
  .command('list', 'what can be traced', (y) =>
    y
      .middleware(quietOnClosedPipe)
      .command(
        'rules',
        'the builtin rules: id, event name, severity, MITRE ATT&CK technique, the events they need',
        (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
        async (argv) => (await rulesCommand()).listRules(argv.json),
      )
      .command(
        'events',
        'every event with its id, sets and arguments',
        (y) =>
          y
            .option('tag', { alias: 't', type: 'string', describe: `only the events of one set (${EVENT_SETS.join(', ')}; ${SIGNATURES_SET}: the rules selectable as events)` })
            .option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
        async (argv) => (await policyCommand()).listEventsCommand(argv.tag, argv.json),
      )
      .demandCommand(1, 'name a list command: events, rules'),
  )
  .command(
    'analyze <file>',
    'run the builtin rules on recorded events: JSON lines of tracee-rs -o json, or of Tracee',
    (y) =>
      y
        .positional('file', { type: 'string', demandOption: true, describe: 'a file of events, one JSON object per line; - for standard input' })
        .option('output', { alias: 'o', choices: ['table', 'json'] as const, default: 'table' as const, describe: 'table, or JSON lines shaped as Tracee\'s detections' })
        .option('rules-dir', { type: 'string', describe: 'also run the rules of the modules in this directory' }),
    // yargs gives '-' (standard input) as ''
    async (argv) => (await rulesCommand()).analyze(argv.file === '' ? '-' : argv.file, argv.output, argv['rules-dir'], fail),
  )
  .command(
    'reload',
    'ask a running tracee-rs to re-read its configuration and policies and apply them while attached (SIGHUP to the process of --pid-file)',
    (y) => y.option('pid-file', { type: 'string', default: DEFAULT_PID_FILE, describe: 'the --pid-file the agent was started with' }),
    async (argv) => (await import('./reload-command.js')).reloadCommand(argv['pid-file']),
  )
  .command(
    'doctor',
    'preflight: privileges, lockdown, kernel BTF, the embedded match, ring buffer, BPF LSM, kprobes, tracefs; exit 0 if tracing can start',
    (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
    async (argv) => (await import('./doctor-command.js')).doctorCommand(argv.json),
  )
  .command(
    'status',
    'ask a running agent (started with --server healthz,metrics) how it is: health, events, losses, rate, ring buffer, findings, destinations; exit 0 healthy, 1 not, 2 nothing answers',
    (y) =>
      y
        .option('address', { type: 'string', default: DEFAULT_HTTP_ADDRESS, describe: "the agent's server.http-address, [host]:port (no host: this machine)" })
        .option('interval', { type: 'string', default: '1s', describe: 'the event rate is measured over this long between two reads of /metrics (0: no rate)' }),
    async (argv) => {
      process.exitCode = await (await import('./status-command.js')).statusCommand(argv);
    },
  )
  .example('$0 --events execve,openat --output json', 'JSON lines of every execve and openat on the host')
  .example('$0 -e fs -o table -d 10s', 'a table of file-system syscalls for 10 seconds')
  .example('$0 -e sched_process_exec,sched_process_exit', 'process starts and exits')
  .example('$0 -e syscalls --ring-buffer-mb 64 -o json > trace.jsonl', 'every syscall, with a larger kernel ring for bursts')
  .example("$0 -s comm=bash -s follow -e execve,openat.data.pathname='/etc/*'", 'what bash and its children execute, and which files under /etc they open')
  .example('$0 -p ./policies/', 'trace as the Tracee Policies in a directory say; each event names the policies it matched')
  .example('$0 policy validate ./policies/', 'check policy files without tracing')
  .example('$0 --config agent.yaml --server metrics', 'run as the config file says, with Prometheus metrics at 127.0.0.1:3366/metrics')
  .example('$0 -o json:/var/log/tracee.jsonl -o otlp:http://127.0.0.1:4318', 'JSON lines to a file and OpenTelemetry logs to a collector')
  .example('$0 list events --tag fs', 'the file-system events and their arguments')
  .example('$0 --rules -o json', 'detections of the builtin rules (reverse shells, code injection, persistence, ...) as JSON lines')
  .example('$0 analyze events.jsonl', 'the builtin rules on recorded events')
  .example('$0 btf info', 'which BTF tracee-rs would use on this kernel, and why')
  .example('$0 doctor', 'what this host allows, and what is missing')
  .example('$0 status', 'health, event counts, losses and rate of the agent running here with --server healthz,metrics')
  .example('$0 -e execve --perf-buffer', 'the transport of kernels before 5.8, on this one')
  .example('$0 -e execve --legacy-programs', 'the programs of kernels before 5.2, on this one')
  .epilogue('Once every program is attached, one line on stderr says so; at exit a summary line gives events seen and lost.')
  .middleware(unknownArguments as (argv: Arguments) => void, true)
  .strict()
  .help()
  .version(false)
  .wrap(HELP_WIDTH)
  // one line, whatever yargs says (its messages may span several)
  .fail((msg, err) => fail((err ? err.message : `${msg} (see tracee-rs --help)`).replace(/\s*\n\s*/g, ' ')))
  .parseAsync();
