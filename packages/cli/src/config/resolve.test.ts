// resolveConfig: every CLI form of --output and --server, the config file
// (nested, Tracee's flat keys, YAML and JSON, Tracee's documented example),
// flags over the file, and every problem at its line and column.
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '@tracee/core';
import { DEFAULT_BUFFER_SIZE, stdoutDestination, traceArgs, type AgentConfig, type DestinationConfig, type StreamConfig } from './agent-config.js';
import { ConfigError, resolveConfig, streamPolicyProblems, type ConfigArgs } from './resolve.js';

const flags = (argv: ConfigArgs): AgentConfig => resolveConfig(undefined, undefined, argv);
const file = (text: string, argv: ConfigArgs = {}, name = 'agent.yaml'): AgentConfig => resolveConfig(text, name, argv);
/** The problems, one line each, of a configuration that must fail. */
function problems(text: string | undefined, argv: ConfigArgs = {}, name = 'agent.yaml'): string[] {
  try {
    resolveConfig(text, text === undefined ? undefined : name, argv);
  } catch (e) {
    if (e instanceof ConfigError) return e.lines();
    throw e;
  }
  throw new Error('the configuration was accepted');
}
const implicit = (name: string): StreamConfig => ({ name, destinations: [name], filters: { events: [], policies: [], kind: 'all' }, buffer: { mode: 'drop', size: DEFAULT_BUFFER_SIZE }, implicit: true });
const STDOUT_TABLE: DestinationConfig = { name: 'stdout', type: 'file', format: 'table', path: 'stdout' };

describe('resolveConfig: the command line', () => {
  it('nothing given: a table on stdout in its implicit stream, and the defaults of every trace option', () => {
    const c = flags({});
    expect(c).toEqual({
      trace: { rules: false, 'ring-buffer-mb': DEFAULTS.ringBufferBytes / (1024 * 1024), 'perf-buffer': DEFAULTS.perfBuffer, 'legacy-programs': DEFAULTS.legacyPrograms, 'syscall-hooks': DEFAULTS.syscallHooks },
      output: { destinations: [STDOUT_TABLE], streams: [implicit('stdout')], options: { parseArguments: false, execEnv: false } },
    });
    // runTrace's arguments as the command gave them before --config
    expect(traceArgs(c)).toEqual({ ...c.trace, output: 'table', 'parse-arguments': false, 'exec-env': false, agent: c });
  });

  it('-o json / -o table: the stdout destination in that format (runTrace prints it as before); the last one given wins', () => {
    expect(flags({ output: ['json'] }).output.destinations).toEqual([{ ...STDOUT_TABLE, format: 'json' }]);
    expect(traceArgs(flags({ output: ['json'] })).output).toBe('json');
    expect(traceArgs(flags({ output: ['table'] })).output).toBe('table');
    expect(flags({ output: ['json', 'table'] }).output.destinations).toEqual([STDOUT_TABLE]);
    // json:stdout is the same destination
    expect(flags({ output: ['table', 'json:stdout'] }).output.destinations).toEqual([{ ...STDOUT_TABLE, format: 'json' }]);
  });

  it('json:FILE, table:FILE, several paths: a file destination each, and none on stdout (as Tracee)', () => {
    const c = flags({ output: ['json:/var/log/a.jsonl,/var/log/b.jsonl', 'table:/tmp/t.txt'] });
    expect(c.output.destinations).toEqual([
      { name: 'file', type: 'file', format: 'json', path: '/var/log/a.jsonl' },
      { name: 'file-2', type: 'file', format: 'json', path: '/var/log/b.jsonl' },
      { name: 'file-3', type: 'file', format: 'table', path: '/tmp/t.txt' },
    ]);
    expect(c.output.streams.map((s) => s.name)).toEqual(['file', 'file-2', 'file-3']);
    expect(stdoutDestination(c)).toBeUndefined();
  });

  it('webhook:URL (Tracee), otlp:URL and otlp+grpc:URL (ours): JSON by default, the protocol from the form', () => {
    expect(flags({ output: ['webhook:http://127.0.0.1:8080/events', 'otlp:http://127.0.0.1:4318', 'otlp+grpc:http://127.0.0.1:4317', 'json'] }).output.destinations).toEqual([
      { name: 'webhook', type: 'webhook', format: 'json', url: 'http://127.0.0.1:8080/events' },
      { name: 'otlp', type: 'otlp', format: 'json', url: 'http://127.0.0.1:4318', protocol: 'http/protobuf' },
      { name: 'otlp-2', type: 'otlp', format: 'json', url: 'http://127.0.0.1:4317', protocol: 'grpc' },
      { name: 'stdout', type: 'file', format: 'json', path: 'stdout' },
    ]);
  });

  it("destinations.NAME.FIELD=VALUE (Tracee's): type, format, path, url; ours: protocol, headers.KEY, timeout, retries", () => {
    const c = flags({
      output: [
        'destinations.w.type=webhook',
        'destinations.w.url=http://siem:8080/in',
        'destinations.w.headers.Authorization=Bearer abc',
        'destinations.w.timeout=2s',
        'destinations.w.retries=5',
        'destinations.f.format=json',
        'destinations.f.path=/var/log/tracee.jsonl',
        'destinations.o.type=otlp',
        'destinations.o.url=http://collector:4317',
        'destinations.o.protocol=grpc',
      ],
    });
    expect(c.output.destinations).toEqual([
      { name: 'w', type: 'webhook', format: 'json', url: 'http://siem:8080/in', headers: { Authorization: 'Bearer abc' }, timeoutMs: 2000, retries: 5 },
      { name: 'f', type: 'file', format: 'json', path: '/var/log/tracee.jsonl' },
      { name: 'o', type: 'otlp', format: 'json', url: 'http://collector:4317', protocol: 'grpc' },
    ]);
    // a destination named only by its format: Tracee's `destinations.stdout_json.format=json`, a file on stdout
    expect(flags({ output: ['destinations.stdout_json.format=json'] }).output.destinations).toEqual([{ name: 'stdout_json', type: 'file', format: 'json', path: 'stdout' }]);
  });

  it('streams.NAME.FIELD=VALUE: destinations, filters (events, policies; ours: kind, severity), buffer; the others get implicit streams', () => {
    const c = flags({
      output: [
        'json',
        'webhook:http://siem/in',
        'streams.alerts.destinations=webhook',
        'streams.alerts.filters.events=anti_debugging,sched_process_exec',
        'streams.alerts.filters.policies=prod',
        'streams.alerts.filters.kind=findings',
        'streams.alerts.filters.severity=2',
        'streams.alerts.buffer.mode=drop',
        'streams.alerts.buffer.size=64',
      ],
    });
    expect(c.output.streams).toEqual([
      { name: 'alerts', destinations: ['webhook'], filters: { events: ['anti_debugging', 'sched_process_exec'], policies: ['prod'], kind: 'findings', severity: 2 }, buffer: { mode: 'drop', size: 64 }, implicit: false },
      implicit('stdout'),
    ]);
  });

  it("option:parse-arguments, option:exec-env (Tracee's), comma-separated too, and the flags --parse-arguments, --exec-env", () => {
    expect(flags({ output: ['option:parse-arguments'] }).output.options).toEqual({ parseArguments: true, execEnv: false });
    expect(flags({ output: ['option:exec-env'] }).output.options).toEqual({ parseArguments: false, execEnv: true });
    expect(flags({ output: ['option:parse-arguments,exec-env', 'json'] }).output).toMatchObject({ options: { parseArguments: true, execEnv: true }, destinations: [{ name: 'stdout', format: 'json' }] });
    const c = flags({ 'parse-arguments': true, 'exec-env': true });
    expect(c.output.options).toEqual({ parseArguments: true, execEnv: true });
    expect(traceArgs(c)).toMatchObject({ 'parse-arguments': true, 'exec-env': true });
    // options alone name no destination: the table on stdout stays
    expect(flags({ output: ['option:parse-arguments'] }).output.destinations).toEqual([STDOUT_TABLE]);
  });

  it('--server metrics, healthz, http-address=HOST:PORT; absent when none is given', () => {
    expect(flags({}).server).toBeUndefined();
    expect(flags({ server: ['metrics'] }).server).toEqual({ httpAddress: '127.0.0.1:3366', metrics: true, healthz: false });
    expect(flags({ server: ['healthz', 'http-address=:9090'] }).server).toEqual({ httpAddress: ':9090', metrics: false, healthz: true });
    expect(flags({ server: ['metrics', 'healthz', 'http-address=[::1]:3366'] }).server).toEqual({ httpAddress: '[::1]:3366', metrics: true, healthz: true });
  });

  it('trace options pass through as given', () => {
    const argv: ConfigArgs = { events: ['execve,openat'], scope: ['comm=bash'], duration: '10s', 'ring-buffer-mb': 64, 'perf-buffer': true, 'legacy-programs': true, 'syscall-hooks': 'raw', 'rootkit-check-interval': '5m', enrichment: ['none'], rules: false };
    expect(flags(argv).trace).toEqual(argv);
  });

  it('a form that is not one: the flag as typed and why, every one at once', () => {
    expect(
      problems(undefined, {
        output: ['jsn', 'forward:tcp://127.0.0.1:24224', 'option:stack-addresses', 'option:parse-argument', 'json:', 'webhook:', 'destinations.x', 'destinations.x.tpye=file', 'destinations.w.type=webhook', 'streams.s.destinations=nowhere'],
        server: ['pprof', 'metric', 'metrics=true', 'http-address'],
      }),
    ).toEqual([
      "--output jsn: unknown output 'jsn'; did you mean json? (use table, json, table:PATH, json:PATH, webhook:URL, otlp:URL, otlp+grpc:URL, option:parse-arguments, option:exec-env, destinations.NAME.FIELD=VALUE, streams.NAME.FIELD=VALUE)",
      "--output forward:tcp://127.0.0.1:24224: forward is Tracee's Fluent Forward destination; tracee-rs sends to webhook and otlp destinations",
      "--output option:stack-addresses: option stack-addresses is Tracee's; tracee-rs has option:parse-arguments and option:exec-env",
      "--output option:parse-argument: unknown option 'parse-argument'; did you mean parse-arguments? (options: parse-arguments, exec-env)",
      "--output json:: json: needs a path after ':' (json:/var/log/tracee.log), or nothing for stdout",
      '--output webhook:: webhook needs a URL: webhook:http://HOST:PORT/PATH',
      '--output destinations.x: needs a value: destinations.NAME.FIELD=VALUE',
      "--server pprof: pprof is Tracee's; tracee-rs serves metrics and healthz over HTTP",
      "--server metric: unknown server option 'metric'; did you mean metrics? (use metrics, healthz, http-address=HOST:PORT)",
      '--server metrics=true: metrics takes no value (--server metrics)',
      '--server http-address: needs an address: http-address=HOST:PORT',
    ]);
    // once the forms are right: the fields, by the schema, and what each type needs
    expect(problems(undefined, { output: ['destinations.x.tpye=file', 'destinations.w.type=webhook', 'destinations.o.type=otlp', 'destinations.o.url=ftp://h/', 'destinations.f.retries=2', 'streams.s.destinations=nowhere', 'streams.s.filters.severity=9'], server: ['http-address=localhost'] })).toEqual([
      "--output destinations.x.tpye=file: unknown field 'tpye'; did you mean 'type'? (expected: name, type, format, path, url, protocol, headers, timeout, retries)",
      '--output streams.s.filters.severity=9: expected at most 4',
      '--server http-address=localhost: expected HOST:PORT, :PORT or [IPv6]:PORT',
    ]);
    expect(problems(undefined, { output: ['destinations.w.type=webhook', 'destinations.o.type=otlp', 'destinations.o.url=ftp://h/', 'destinations.f.retries=2', 'streams.s.destinations=nowhere', 'destinations.W.format=json', 'streams.t.destinations=W,W'] })).toEqual([
      '--output destinations.w.type=webhook: a webhook destination needs a url (http://HOST:PORT/PATH)',
      "--output destinations.o.url=ftp://h/: 'ftp://h/': expected an http: or https: URL",
      '--output destinations.f.retries=2: retries is for webhook and otlp destinations, not file',
      // f and W both write to stdout, the default path
      "--output destinations.W.format=json: 'stdout' is written by destination 'f' already; a path is written by one destination",
      "--output streams.s.destinations=nowhere: no destination is named 'nowhere' (destinations: o, f, W)",
      "--output streams.t.destinations=W,W: destination 'W' is in stream 't' already; a destination is in one stream at most (as in Tracee)",
    ]);
  });
});

describe('resolveConfig: the config file', () => {
  it("Tracee's documented streams example (docs/docs/outputs/streams.md) is taken as written", () => {
    // Tracee's forward destination is not ours: that one is left out of the example
    const c = file(`output:
    destinations:
    - name: json_destination
      format: json

    - name: webhook_destination
      type: webhook
      format: json
      url: http://localhost:8080/processes?timeout=5s

    streams:
    - name: tracing
      destinations:
        - json_destination

    - name: processes
      destinations:
        - webhook_destination
      filters:
        events:
          - sched_process_exec
          - sched_process_fork
          - sched_process_exit
      buffer:
        mode: drop
`);
    expect(c.output.destinations).toEqual([
      { name: 'json_destination', type: 'file', format: 'json', path: 'stdout' },
      { name: 'webhook_destination', type: 'webhook', format: 'json', url: 'http://localhost:8080/processes?timeout=5s' },
    ]);
    expect(c.output.streams).toEqual([
      { name: 'tracing', destinations: ['json_destination'], filters: { events: [], policies: [], kind: 'all' }, buffer: { mode: 'drop', size: DEFAULT_BUFFER_SIZE }, implicit: false },
      { name: 'processes', destinations: ['webhook_destination'], filters: { events: ['sched_process_exec', 'sched_process_fork', 'sched_process_exit'], policies: [], kind: 'all' }, buffer: { mode: 'drop', size: DEFAULT_BUFFER_SIZE }, implicit: false },
    ]);
    // and its first one, with Tracee's block mode
    expect(file('output:\n    destinations:\n    - name: json_destination\n      format: json\n    streams:\n    - name: tracing\n      destinations: ["json_destination"]\n      filters:\n        events: []\n        policies: []\n      buffer:\n        mode: block # or drop\n        size: 1024\n').output.streams[0].buffer).toEqual({ mode: 'block', size: 1024 });
  });

  it("Tracee's flat CLI-style keys (docs/docs/flags/config.1.md) and destinations as a map by name mean the nested form", () => {
    const nested = file('output:\n  destinations:\n    - name: stdout_destination\n      type: file\n      format: json\n      path: stdout\nserver:\n  http-address: ":3366"\n  metrics: true\n  healthz: true\nenrichment:\n  container:\n    enabled: true\n');
    const flat = file(
      'output.destinations.stdout_destination.type: file\noutput.destinations.stdout_destination.format: json\noutput.destinations.stdout_destination.path: stdout\nenrichment.container.enabled: true\nserver.http-address: ":3366"\nserver.metrics: true\nserver.healthz: true\n',
    );
    const map = file('output:\n  destinations:\n    stdout_destination:\n      type: file\n      format: json\n      path: stdout\nserver: {http-address: ":3366", metrics: true, healthz: true}\nenrichment: {container.enabled: true}\n');
    expect(nested.output.destinations).toEqual([{ name: 'stdout_destination', type: 'file', format: 'json', path: 'stdout' }]);
    expect(nested.server).toEqual({ httpAddress: ':3366', metrics: true, healthz: true });
    expect(nested.trace.enrichment).toEqual(['container']);
    expect(flat).toEqual(nested);
    expect(map).toEqual(nested);
    // the flat form's errors are at its keys
    expect(problems('output.destinations.a.type: file\noutput.destinations.a.tpye: file\n')).toEqual([
      "agent.yaml:2:1: output.destinations[0].tpye: unknown field 'tpye'; did you mean 'type'? (expected: name, type, format, path, url, protocol, headers, timeout, retries)",
    ]);
  });

  it('every trace option, in YAML and in JSON', () => {
    const yaml = `events: [execve, openat]
scope: [comm=bash, follow]
rules-dir: /etc/tracee-rs/rules
duration: 10s
ring-buffer-mb: 64
perf-buffer: true
legacy-programs: true
syscall-hooks: raw
rootkit-check-interval: 5m
enrichment:
  container:
    cgroupfs: {path: /host/sys/fs/cgroup, force: true}
    docker-socket: /run/docker.sock
output:
  options: {parse-arguments: true, exec-env: true}
aggregate:
  window: 30s
`;
    const c = file(yaml);
    expect(c.trace).toEqual({
      events: ['execve', 'openat'],
      scope: ['comm=bash', 'follow'],
      rules: false,
      'rules-dir': '/etc/tracee-rs/rules',
      duration: '10s',
      'ring-buffer-mb': 64,
      'perf-buffer': true,
      'legacy-programs': true,
      'syscall-hooks': 'raw',
      'rootkit-check-interval': '5m',
      enrichment: ['container.cgroupfs.path=/host/sys/fs/cgroup', 'container.cgroupfs.force', 'container.docker.socket=/run/docker.sock'],
    });
    expect(c.output.options).toEqual({ parseArguments: true, execEnv: true });
    expect(c.aggregate).toEqual({ windowMs: 30_000 });
    const json = JSON.stringify({ policy: ['/etc/tracee-rs/policies'], rules: true, enrichment: { container: { enabled: false } }, server: { metrics: true } });
    expect(file(json, {}, 'agent.json')).toMatchObject({ file: 'agent.json', trace: { policy: ['/etc/tracee-rs/policies'], rules: true, enrichment: ['none'] }, server: { metrics: true } });
  });

  it('flags override the file: trace options, a destination by name, the stdout destination, server fields; the rest of the file stays', () => {
    const text = `events: [execve]
ring-buffer-mb: 64
perf-buffer: true
output:
  destinations:
    - {name: out, path: stdout, format: table}
    - {name: siem, type: webhook, url: "http://siem:8080/in", headers: {Authorization: Bearer x}}
  streams:
    - {name: alerts, destinations: [siem], filters: {kind: findings}}
  options: {exec-env: true}
server: {metrics: true, http-address: "127.0.0.1:9000"}
`;
    const c = file(text, { events: ['openat'], 'ring-buffer-mb': 16, 'perf-buffer': false, output: ['json', 'destinations.siem.url=http://other:8080/in', 'otlp:http://collector:4318', 'option:parse-arguments'], server: ['healthz', 'http-address=:3366'] });
    expect(c.trace).toMatchObject({ events: ['openat'], 'ring-buffer-mb': 16, 'perf-buffer': false });
    expect(c.output.destinations).toEqual([
      { name: 'out', type: 'file', format: 'json', path: 'stdout' },
      { name: 'siem', type: 'webhook', format: 'json', url: 'http://other:8080/in', headers: { Authorization: 'Bearer x' } },
      { name: 'otlp', type: 'otlp', format: 'json', url: 'http://collector:4318', protocol: 'http/protobuf' },
    ]);
    expect(c.output.streams.map((s) => [s.name, s.destinations, s.filters.kind, s.implicit])).toEqual([
      ['alerts', ['siem'], 'findings', false],
      ['out', ['out'], 'all', true],
      ['otlp', ['otlp'], 'all', true],
    ]);
    expect(c.output.options).toEqual({ parseArguments: true, execEnv: true });
    expect(c.server).toEqual({ httpAddress: ':3366', metrics: true, healthz: true });
    // a flag given false overrides the file's true
    expect(file('perf-buffer: true\noutput: {options: {parse-arguments: true}}\n', { 'perf-buffer': false, 'parse-arguments': false })).toMatchObject({ trace: { 'perf-buffer': false }, output: { options: { parseArguments: false } } });
  });

  it('every problem of the file at its line and column: syntax, unknown keys with the nearest known, types, values', () => {
    expect(problems('events: [execve\nscope: [comm=bash]\n')).toEqual(['agent.yaml:2:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']);
    expect(
      problems(`evnts: [execve]
ring-buffer-mb: lots
output:
  destinatons: []
  destinations:
    - name: a
      tpye: file
    - name: "has space"
      type: fwd
  streams:
    - name: s
server:
  metrics: yes please
  pprof: true
aggregate: {window: soon}
duration: forever
`),
    ).toEqual([
      "agent.yaml:1:1: evnts: unknown field 'evnts'; did you mean 'events'? (expected: events, scope, policy, rules, rules-dir, duration, ring-buffer-mb, perf-buffer, legacy-programs, syscall-hooks, rootkit-check-interval, status-interval, pid-file, enrichment, output, server, aggregate)",
      'agent.yaml:2:17: ring-buffer-mb: expected a number',
      "agent.yaml:4:3: output.destinatons: unknown field 'destinatons'; did you mean 'destinations'? (expected: destinations, streams, options)",
      "agent.yaml:7:7: output.destinations[0].tpye: unknown field 'tpye'; did you mean 'type'? (expected: name, type, format, path, url, protocol, headers, timeout, retries)",
      'agent.yaml:8:13: output.destinations[1].name: expected a name of letters, digits, - and _ (starting with a letter or digit)',
      'agent.yaml:9:13: output.destinations[1].type: expected one of: "file", "webhook", "otlp"',
      "agent.yaml:11:7: output.streams[0]: missing required field 'destinations'",
      'agent.yaml:13:12: server.metrics: expected a boolean',
      "agent.yaml:14:3: server.pprof: unknown field 'pprof' (expected: http-address, metrics, healthz)",
      "agent.yaml:15:21: aggregate.window: invalid duration 'soon': use e.g. 10s, 500ms, 2m or 1h",
      "agent.yaml:16:11: duration: invalid duration 'forever': use e.g. 10s, 500ms, 2m or 1h",
    ]);
  });

  it('the checks past the shape: what each destination type takes, names, references, paths, enrichment, policy with events', () => {
    expect(
      problems(`policy: [./policies]
events: [execve]
enrichment:
  container:
    cgroupfs: {force: true}
output:
  destinations:
    - {name: a, path: /tmp/a.log, url: "http://x"}
    - {name: a, type: webhook}
    - {name: b, type: otlp, url: "not a url", path: /tmp/b}
    - {name: c, path: /tmp/a.log}
  streams:
    - {name: s, destinations: [A]}
    - {name: t, destinations: [b, b]}
    - {name: s, destinations: [c]}
rootkit-check-interval: 0s
server: {http-address: "127.0.0.1:99999"}
`),
    ).toEqual([
      'agent.yaml:1:9: policy: policy cannot be combined with scope or events (as in Tracee): put those events and scopes in a policy',
      'agent.yaml:4:3: enrichment.container: invalid --enrichment: container.cgroupfs.force needs container.cgroupfs.path=PATH',
      'agent.yaml:8:40: output.destinations[0].url: url is for webhook and otlp destinations, not file',
      'agent.yaml:9:7: output.destinations[1]: a webhook destination needs a url (http://HOST:PORT/PATH)',
      "agent.yaml:9:14: output.destinations[1].name: destination 'a' is named twice (also output.destinations[0]); names are unique",
      "agent.yaml:10:34: output.destinations[2].url: 'not a url' is not a URL (http://HOST:PORT/PATH)",
      'agent.yaml:10:53: output.destinations[2].path: path is for file destinations, not otlp',
      "agent.yaml:11:23: output.destinations[3].path: '/tmp/a.log' is written by destination 'a' already; a path is written by one destination",
      "agent.yaml:13:32: output.streams[0].destinations[0]: no destination is named 'A'; did you mean 'a'? (destinations: a, b, c)",
      "agent.yaml:14:35: output.streams[1].destinations[1]: destination 'b' is in stream 't' already; a destination is in one stream at most (as in Tracee)",
      "agent.yaml:15:14: output.streams[2].name: stream 's' is named twice (also output.streams[0]); names are unique",
      'agent.yaml:16:25: rootkit-check-interval: must be longer than 0, e.g. 10s',
      "agent.yaml:17:24: server.http-address: '127.0.0.1:99999': a port is at most 65535",
    ]);
  });

  it('JSON files are strict JSON, placed by line and column; a second YAML document and a non-map are refused', () => {
    expect(problems('{"events": ["execve"],\n "output": {"destinations": [{"name": "a",}]}}', {}, 'agent.json')).toEqual(["agent.json:2:43: not valid JSON: Expected double-quoted property name"]);
    expect(problems('{"events": "execve",\n "server": {"metrics": 1}}', {}, 'agent.json')).toEqual(['agent.json:1:12: events: expected a list', 'agent.json:2:24: server.metrics: expected a boolean']);
    expect(problems('events: [execve]\n---\nevents: [openat]\n')).toEqual(['agent.yaml:3:1: a config file holds one document; remove the second (after ---)']);
    expect(problems('- events\n')).toEqual(['agent.yaml:1:1: expected a map of options (events:, output:, server:, ...)']);
    // an empty file, or comments only: every default
    expect(file('# nothing yet\n')).toEqual({ ...flags({}), file: 'agent.yaml' });
  });

  it('a problem in a value a flag set is the flag\'s, not the file\'s', () => {
    expect(problems('output:\n  destinations:\n    - {name: w, type: webhook, url: "http://ok"}\n', { output: ['destinations.w.url=nope', 'destinations.w.retries=-1'] })).toEqual([
      '--output destinations.w.retries=-1: expected at least 0',
    ]);
    expect(problems('output:\n  destinations:\n    - {name: w, type: webhook, url: "http://ok"}\n', { output: ['destinations.w.url=nope'] })).toEqual([
      "--output destinations.w.url=nope: 'nope' is not a URL (http://HOST:PORT/PATH)",
    ]);
  });

  it('a URL\'s secrets are masked in its errors too', () => {
    expect(problems(undefined, { output: ['destinations.o.type=otlp', 'destinations.o.url=ftp://user:hunter2@h/?token=abc'] })).toEqual([
      "--output destinations.o.url=ftp://user:********@h/?token=********: 'ftp://user:********@h/?token=********': expected an http: or https: URL",
    ]);
    // and a header's value in the flag that set it
    expect(problems(undefined, { output: ['destinations.f.path=/tmp/x', 'destinations.f.headers.Authorization=Bearer hunter2'] })).toEqual([
      '--output destinations.f.headers.Authorization=********: headers is for webhook and otlp destinations, not file',
    ]);
  });
});

describe("resolveConfig: the file's events and scope, by the tracer's checks", () => {
  it('an unknown event, a bad filter, a bad scope: at their item in the file', () => {
    expect(problems('events:\n  - execve\n  - opnat,close\n  - openat.data.flags=O_RDONLY\nscope: [comm=bash, "uid>=x"]\n')).toEqual([
      "agent.yaml:3:5: events[1]: unknown event 'opnat'; did you mean openat, openat2, creat? (`tracee-rs list events` lists them all)",
      "agent.yaml:4:5: events[2]: openat.data.flags: 'O_RDONLY' is not a number",
      "agent.yaml:5:20: scope[1]: 'uid>=x': 'x' is not a uid (a number from 0 to 4294967295)",
    ]);
    // a stream's events: events and signatures by name
    expect(problems('output:\n  destinations: [{name: a}]\n  streams:\n    - {name: s, destinations: [a], filters: {events: [execve, anti_debuging, ptrace_code_injection]}}\n')).toEqual([
      "agent.yaml:4:63: output.streams[0].filters.events[1]: unknown event 'anti_debuging'; did you mean anti_debugging? (`tracee-rs list events` lists them all)",
    ]);
    // signatures are events too; the flags' values are the trace's to check, as without a file
    expect(file('events: [anti_debugging, execve]\n').trace.events).toEqual(['anti_debugging', 'execve']);
    expect(file('events: [execve]\n', { events: ['opnat'] }).trace.events).toEqual(['opnat']);
  });
});

describe('one file, one destination; streams name policies that exist', () => {
  it('a path is one file however it is spelled, and stdout is /dev/stdout', () => {
    expect(
      problems(`output:
  destinations:
    - {name: a, path: /tmp/x/a.json}
    - {name: b, path: /tmp/x/../x/a.json}
    - {name: c, path: stdout}
    - {name: d, path: /dev/stdout}
`),
    ).toEqual([
      "agent.yaml:4:23: output.destinations[1].path: '/tmp/x/../x/a.json' is the same file as '/tmp/x/a.json', written by destination 'a' already; a path is written by one destination",
      "agent.yaml:6:23: output.destinations[3].path: '/dev/stdout' is the same file as 'stdout', written by destination 'c' already; a path is written by one destination",
    ]);
    expect(problems(undefined, { output: [`json:${process.cwd()}/a.json`, 'destinations.b.path=./a.json'] })).toEqual([
      "--output destinations.b.path=./a.json: './a.json' is the same file as '" + process.cwd() + "/a.json', written by destination 'file' already; a path is written by one destination",
    ]);
  });

  it("a stream's filters.policies must name a policy of the policy files: one line each, with the policies there are", () => {
    const config = file(`output:
  destinations: [{name: a, path: /tmp/a.json}, {name: b, path: /tmp/b.json}]
  streams:
    - {name: s, destinations: [a], filters: {policies: [prod, Prod-2, staging]}}
    - {name: t, destinations: [b], filters: {policies: [staging]}}
`);
    expect(streamPolicyProblems(config, ['prod', 'prod-2', 'dev'])).toEqual([
      "output.streams[0].filters.policies[1] (stream 's'): no policy is named 'Prod-2'; did you mean prod-2? (policies: prod, prod-2, dev)",
      "output.streams[0].filters.policies[2] (stream 's'): no policy is named 'staging' (policies: prod, prod-2, dev)",
      "output.streams[1].filters.policies[0] (stream 't'): no policy is named 'staging' (policies: prod, prod-2, dev)",
    ]);
    expect(streamPolicyProblems(config, ['prod', 'Prod-2', 'staging'])).toEqual([]);
    expect(streamPolicyProblems(config, undefined)[0]).toBe(
      "output.streams[0].filters.policies[0] (stream 's'): names policy 'prod', but no policy files are given (--policy or trace.policy): the stream would pass nothing",
    );
  });
});
