// The agent's config file through the command, as root: `config validate`
// and `config show` with their exit codes, a trace run as a config file
// says, and a bad configuration that loads nothing into the kernel (the
// bpf() syscalls the command makes, from strace: none loads a program).
// (resolveConfig itself, without a kernel: packages/cli/src/config/*.test.ts.)
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, until } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tracee-rs-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });

const BAD = `events: [execve]
output:
  destinations:
    - name: siem
      type: webhook
      url: "http://siem:8080/in"
      tmeout: 5s
  streams:
    - {name: alerts, destinations: [seim]}
server:
  metrics: true
  http-address: localhost
`;
const BAD_LINES = (file: string) => [
  `tracee-rs: error: ${file}:7:7: output.destinations[0].tmeout: unknown field 'tmeout'; did you mean 'timeout'? (expected: name, type, format, path, url, protocol, headers, timeout, retries)`,
  `tracee-rs: error: ${file}:12:17: server.http-address: expected HOST:PORT, :PORT or [IPv6]:PORT`,
];

describe('tracee-rs config', () => {
  it('config validate: ok and what the file sets up, exit 0; every problem at FILE:LINE:COLUMN, exit 1; JSON too', () => {
    const good = write('good.yaml', 'output:\n  destinations:\n    - {name: out, format: json}\n    - {name: siem, type: webhook, url: "http://siem:8080/in"}\n  streams:\n    - {name: alerts, destinations: [siem], filters: {kind: findings}}\nserver: {metrics: true, healthz: true}\n');
    const ok = run('config', 'validate', good);
    expect([ok.status, ok.stderr, ok.stdout]).toEqual([0, '', `ok ${good}: 2 destinations (out: file json, siem: webhook json); 1 stream (alerts); server 127.0.0.1:3366 (metrics, healthz)\n`]);

    const bad = write('bad.yaml', BAD);
    const r = run('config', 'validate', bad);
    expect([r.status, r.stdout, r.stderr.trimEnd().split('\n')]).toEqual([1, '', BAD_LINES(bad)]);

    const json = write('bad.json', '{\n  "server": {"metrics": true,}\n}\n');
    const j = run('config', 'validate', json);
    expect([j.status, j.stdout, j.stderr]).toEqual([1, '', `tracee-rs: error: ${json}:2:30: not valid JSON: Expected double-quoted property name\n`]);

    // the policy files it names are checked too, at their own lines
    write('p.yaml', 'type: policy\nname: p\nscope: [global]\nrules:\n  - event: opnat\n');
    const withPolicy = write('with-policy.yaml', `policy: [${join(dir, 'p.yaml')}]\n`);
    const p = run('config', 'validate', withPolicy);
    expect([p.status, p.stdout, p.stderr]).toEqual([1, '', `tracee-rs: error: ${join(dir, 'p.yaml')}:5:12: policy 'p': rules[0].event: unknown event 'opnat'; did you mean openat, openat2, creat? (\`tracee-rs list events\` lists them all)\n`]);

    // a stream filtering on a policy no file defines passes nothing: refused; a directory not made yet: a warning, still ok
    write('q.yaml', 'type: policy\nname: prod\nscope: [global]\nrules:\n  - event: openat\n');
    const streams = (policies: string) =>
      `policy: [${join(dir, 'q.yaml')}]\noutput:\n  destinations: [{name: f, format: json, path: ${join(dir, 'later', 'events.json')}}]\n  streams: [{name: s, destinations: [f], filters: {policies: [${policies}]}}]\n`;
    const unknownPolicy = write('unknown-policy.yaml', streams('prod, Prod'));
    const u = run('config', 'validate', unknownPolicy);
    expect([u.status, u.stdout, u.stderr]).toEqual([1, '', `tracee-rs: error: ${unknownPolicy}: output.streams[0].filters.policies[1] (stream 's'): no policy is named 'Prod'; did you mean prod? (policies: prod)\n`]);
    const later = write('later.yaml', streams('prod'));
    const l = run('config', 'validate', later);
    expect([l.status, l.stdout, l.stderr]).toEqual([
      0,
      `ok ${later}: 1 destination (f: file json); 1 stream (s)\n`,
      `tracee-rs: warning: ${later}: destination 'f': directory '${join(dir, 'later')}' does not exist here: the start fails unless it is made first (mkdir -p ${join(dir, 'later')}, or systemd's LogsDirectory=)\n`,
    ]);

    const missing = run('config', 'validate', join(dir, 'none.yaml'));
    expect([missing.status, missing.stderr]).toEqual([1, `tracee-rs: error: ${join(dir, 'none.yaml')}: cannot read it: ENOENT: no such file or directory, open '${join(dir, 'none.yaml')}'\n`]);
  });

  it('a bad config file or flag: every problem, exit 1, and no BPF program loaded', () => {
    const bad = write('bad-trace.yaml', BAD);
    const trace = join(dir, 'bpf.strace');
    for (const [args, lines] of [
      [['--config', bad, '-d', '2s'], BAD_LINES(bad)],
      // a stream's policy filter naming no policy: refused before anything loads
      [['-e', 'execve', '-o', `json:${join(dir, 'x.json')}`, '-o', 'streams.s.destinations=file', '-o', 'streams.s.filters.policies=prod', '-d', '2s'], [
        "tracee-rs: error: output.streams[0].filters.policies[0] (stream 's'): names policy 'prod', but no policy files are given (--policy or trace.policy): the stream would pass nothing",
      ]],
      [['-e', 'execve', '-o', 'forward:tcp://127.0.0.1:24224', '--server', 'pprof', '-d', '2s'], [
        "tracee-rs: error: --output forward:tcp://127.0.0.1:24224: forward is Tracee's Fluent Forward destination; tracee-rs sends to webhook and otlp destinations",
        "tracee-rs: error: --server pprof: pprof is Tracee's; tracee-rs serves metrics and healthz over HTTP",
      ]],
    ] as [string[], string[]][]) {
      const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=bpf', '-o', trace, process.execPath, CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
      expect([r.status, r.stdout, r.stderr.trimEnd().split('\n')], args.join(' ')).toEqual([1, '', lines]);
      // the syscalls strace saw (it traced: the file exists), none of them a program load
      const calls = readFileSync(trace, 'utf8');
      expect(calls).not.toMatch(/BPF_PROG_LOAD/);
      expect(calls).not.toMatch(/BPF_MAP_CREATE/);
    }
  });

  it('traces as the config file says: its events, its stdout destination in JSON, its duration; a flag overrides it', async () => {
    const file = write('trace.yaml', 'events: [sched_process_exec]\nduration: 20s\noutput:\n  destinations:\n    - {name: out, format: json}\n');
    const child = spawn(process.execPath, [CLI, '--config', file, '--duration', '3s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    await until(() => stderr.includes('attached'), 15_000, 'the attached line');
    expect(stderr).toMatch(/^tracee-rs: attached to \d+ hooks for 1 events \(sched_process_exec\);/);
    const t = spawnSync('/bin/true');
    const started = Date.now();
    const [code] = await once(child, 'exit');
    // --duration 3s, not the file's 20s
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(code).toBe(0);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as { eventName: string; hostProcessId: number; processName: string });
    expect(events.every((e) => e.eventName === 'sched_process_exec')).toBe(true);
    expect(events.find((e) => e.hostProcessId === t.pid)).toMatchObject({ processName: 'true' });
  });

  it('config show: the flags over the file as YAML, secrets masked; what it prints validates', () => {
    const file = write('show.yaml', 'events: [execve]\noutput:\n  destinations:\n    - {name: siem, type: webhook, url: "http://siem:8080/in", headers: {Authorization: Bearer s3cret}}\n');
    const r = run('config', 'show', '--config', file, '-o', 'json', '--server', 'metrics', '--ring-buffer-mb', '64');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).not.toContain('s3cret');
    expect(r.stdout).toBe(`events:
  - execve
rules: false
ring-buffer-mb: 64
perf-buffer: false
legacy-programs: false
syscall-hooks: auto
output:
  destinations:
    - name: siem
      type: webhook
      format: json
      url: http://siem:8080/in
      headers:
        Authorization: "********"
    - name: stdout
      type: file
      format: json
      path: stdout
  options:
    parse-arguments: false
    exec-env: false
server:
  http-address: 127.0.0.1:3366
  metrics: true
  healthz: false
`);
    const again = write('shown.yaml', r.stdout);
    expect(run('config', 'validate', again).status).toBe(0);
    const schema = run('config', 'schema');
    expect(schema.status).toBe(0);
    expect(JSON.parse(schema.stdout)).toMatchObject({ title: 'tracee-rs configuration', properties: { output: { properties: { destinations: { type: 'array' } } } } });
  });
});
