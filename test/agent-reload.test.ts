// The agent under a steady workload, through the command: SIGHUP re-reads
// the config file and its policy files and applies them while every
// program stays attached (no record of the workload missing across it); a
// broken config is refused with its errors and the running one stays;
// SIGUSR1 reopens a file destination that logrotate moved (every record in
// one of the two files, once).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './fixtures/otelcol.js';
import { CLI, heldProgramIds, until } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tracee-rs-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
copyFileSync('/bin/dash', join(dir, 'trcagentA'));

/**
 * trcagentA opening `dir/trcagentA-<n>` for n = 1, 2, ... until killed; a
 * few thousand a second (a count between the opens), which a file
 * destination writes as JSON without dropping any (the agent's cost per
 * event: npm run bench).
 */
function opener(): ChildProcess {
  const pause = 'j=0; while [ $j -lt 30 ]; do j=$((j+1)); done';
  return spawn(join(dir, 'trcagentA'), ['-c', `i=0; while :; do i=$((i+1)); true < ${dir}/trcagentA-$i 2>/dev/null; ${pause}; done`], { stdio: 'ignore' });
}

const policy = (name: string) => `apiVersion: tracee.aquasec.com/v1beta1
kind: Policy
metadata:
  name: ${name}
spec:
  scope: [comm=trcagentA]
  rules:
    - event: openat
      filters: [data.pathname=${dir}/trcagentA-*]
`;

/** The workload's numbers in JSON lines, with each line's matchedPolicies. */
function records(text: string): { n: number; policies: string }[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { args: { name: string; value: unknown }[]; matchedPolicies: string[] })
    .map((e) => ({ n: Number(/-(\d+)$/.exec(String(e.args.find((a) => a.name === 'pathname')?.value))?.[1]), policies: e.matchedPolicies.join('+') }));
}

describe('agent: reload and reopen under a steady workload', () => {
  it('SIGHUP applies new policies with no record missing; a broken config is refused and the running one stays; SIGUSR1 reopens the moved file', async () => {
    const out = join(dir, 'events.json');
    const policies = join(dir, 'policies');
    rmSync(policies, { recursive: true, force: true });
    mkdirSync(policies);
    writeFileSync(join(policies, 'p1.yaml'), policy('p1'));
    const config = join(dir, 'agent.yaml');
    const good = `policy: [${policies}]\noutput:\n  destinations:\n    - {name: events, type: file, format: json, path: ${out}}\n`;
    writeFileSync(config, good);
    const before = heldProgramIds();
    const pidFile = join(dir, 'agent.pid');
    const port = await freePort();
    const agent = spawn(process.execPath, [CLI, '--config', config, '--pid-file', pidFile, '--status-interval', '300ms', '--server', 'metrics', '--server', `http-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    agent.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const work = opener();
    const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').length - 1 : 0);
    try {
      await until(() => stderr.includes('attached to'), 20_000, 'the agent attached');
      const programs = new Set([...heldProgramIds()].filter((id) => !before.has(id)));
      await until(() => lines() > 2000, 20_000, 'records of p1');
      expect(readFileSync(pidFile, 'utf8')).toBe(`${agent.pid}\n`);
      // a second policy file, then `tracee-rs reload` (SIGHUP to the pid file's process)
      writeFileSync(join(policies, 'p2.yaml'), policy('p2'));
      const reload = spawnSync(process.execPath, [CLI, 'reload', '--pid-file', pidFile], { encoding: 'utf8' });
      expect([reload.status, reload.stdout]).toEqual([0, expect.stringContaining(`sent SIGHUP to tracee-rs (pid ${agent.pid})`)]);
      await until(() => stderr.includes('tracee-rs: reloaded: 2 policies (p1, p2)'), 10_000, 'the reload');
      const atReload = lines();
      await until(() => lines() > atReload + 2000, 20_000, 'records after the reload');
      // broken: refused at its line, the running configuration stays
      writeFileSync(config, good.replace('type: file', 'tpye: file'));
      agent.kill('SIGHUP');
      await until(() => stderr.includes('the running configuration stays'), 10_000, 'the refusal');
      expect(stderr).toContain(`tracee-rs: reload refused: ${config}:4:22: output.destinations[0].tpye: unknown field 'tpye'; did you mean 'type'?`);
      // a stream filtering on a policy no file defines would pass nothing: refused too
      writeFileSync(config, `${good}  streams: [{name: s, destinations: [events], filters: {policies: [p3]}}]\n`);
      agent.kill('SIGHUP');
      await until(() => stderr.includes("(stream 's')"), 10_000, 'the second refusal');
      expect(stderr).toContain("tracee-rs: reload refused: output.streams[0].filters.policies[0] (stream 's'): no policy is named 'p3'; did you mean p1, p2? (policies: p1, p2)\ntracee-rs: the running configuration stays\n");
      writeFileSync(config, good);
      // logrotate: the file moved, then SIGUSR1
      const rotated = `${out}.1`;
      renameSync(out, rotated);
      agent.kill('SIGUSR1');
      await until(() => lines() > 2000, 20_000, 'records in the reopened file');
      // the programs stayed attached throughout: the same ones
      expect(new Set([...heldProgramIds()].filter((id) => !before.has(id)))).toEqual(programs);
      // one applied, two refused, as the metrics count them; status lines meanwhile
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('tracee_rs_reloads_total{result="applied"} 1');
      expect(metrics).toContain('tracee_rs_reloads_total{result="refused"} 2');
      expect(stderr).toMatch(/tracee-rs: status: \d+ events\/s; \d+ seen, 0 lost \(0\.00%\); events: \d+ sent, 0 dropped/);
      work.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      agent.kill('SIGTERM');
      const [code] = (await once(agent, 'exit')) as [number];
      expect(code).toBe(0);
      // the pid file goes with the process; reload then says why it cannot
      expect(existsSync(pidFile)).toBe(false);
      const none = spawnSync(process.execPath, [CLI, 'reload', '--pid-file', pidFile], { encoding: 'utf8' });
      expect([none.status, none.stderr]).toEqual([2, `tracee-rs: error: cannot read ${pidFile} (ENOENT): start the agent with --pid-file ${pidFile}, or give its --pid-file here\n`]);
      writeFileSync(pidFile, `${process.pid}\n`);
      const notOurs = spawnSync(process.execPath, [CLI, 'reload', '--pid-file', pidFile], { encoding: 'utf8' });
      expect(notOurs.status).toBe(1);
      expect(notOurs.stderr).toMatch(/names process \d+, which is not tracee-rs/);
      const all = [...records(readFileSync(rotated, 'utf8')), ...records(readFileSync(out, 'utf8'))];
      // every number once, from the first to the last: none lost at the reloads or the reopen
      const ns = all.map((r) => r.n);
      expect(stderr).toContain(`tracee-rs: destination events (file): ${all.length} sent, 0 dropped`);
      expect(ns).toEqual(Array.from({ length: ns.length }, (_, i) => ns[0] + i));
      // p1 until the reload, then p1 and p2; never anything else
      const runs = all.map((r) => r.policies).filter((p, i, a) => i === 0 || p !== a[i - 1]);
      expect(runs).toEqual(['p1', 'p1+p2']);
      expect(stderr, stderr).toMatch(/tracee-rs: \d+ events seen, 0 lost, \d+ handed to the destinations/);
    } finally {
      work.kill('SIGKILL');
      agent.kill('SIGKILL');
    }
  }, 120_000);
});
