// Tracee Policy files: both forms, YAML and JSON, every feature at least once
// (test/fixtures/policies/), loaded into the kernel for real, and traced with
// --policy. (Their errors and the policy commands, which need no kernel:
// test/unit/policy-files.test.ts.)
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicies, trace } from '@tracee/core';
import { CLI, bpfFds, until } from './helpers.js';

const FIXTURES = new URL('./fixtures/policies/', import.meta.url).pathname;
const TMP = `/tmp/trc-policies-${process.pid}`;

describe('policy files', () => {
  it('loads both forms, YAML and JSON, several per file, from a directory, and every feature loads into the kernel', async () => {
    const policies = loadPolicies(FIXTURES);
    expect(policies.map((p) => [p.name, p.source.file.slice(FIXTURES.length), p.source.line])).toEqual([
      ['json-crd', 'crd.json', 1],
      ['web-shells', 'crd.yaml', 2],
      ['json-plain-1', 'plain.json', 2],
      ['json-plain-2', 'plain.json', 3],
      ['failed-opens', 'plain.yaml', 2],
      ['root-tree', 'plain.yaml', 14],
    ]);
    // the CRD form: name and description from metadata, the rest from spec
    expect(policies[1]).toMatchObject({
      name: 'web-shells',
      description: 'shells started by web servers, and what they touch',
      rules: [
        { event: 'execve', filters: ['data.pathname=*sh'] },
        { event: 'openat', filters: ['data.pathname=/etc/*', 'retval>=0', 'comm!=nginx'] },
        { event: 'sched_process_exec', filters: [] },
        { event: 'net', filters: [] },
        { event: '-sendto', filters: [] },
      ],
    });
    expect(policies[4]).toMatchObject({ name: 'failed-opens', description: 'opens that fail, in containers', scope: ['container'] });
    // every scope field, operator and filter of the fixtures, into the kernel
    let info: { policies: string[]; events: string[] } | undefined;
    const sub = trace({ policies, onAttach: (i) => (info = i) }).subscribe({ error: (e) => (info = { policies: [String(e)], events: [] }) });
    sub.unsubscribe();
    expect(info?.policies).toEqual(policies.map((p) => p.name));
    expect(info?.events).toEqual(expect.arrayContaining(['openat', 'execve', 'close', 'connect', 'unlinkat', 'newfstatat', 'sched_process_exec']));
    expect(info?.events).not.toContain('sendto');
  });

  it('a bad policy in the API: the error, and nothing loaded; policies with events or scope: EINVAL', () => {
    const fds = bpfFds();
    const errors: { code?: string; message: string }[] = [];
    const bad = { name: 'bad', scope: ['uid>=x'], rules: [{ event: 'openat' }] };
    trace({ policies: [bad] }).subscribe({ error: (e) => errors.push(e) });
    trace({ policies: [{ name: 'ok', scope: ['global'], rules: [{ event: 'openat' }] }], events: ['close'] }).subscribe({ error: (e) => errors.push(e) });
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ['EPOLICY', "policy 'bad': 'uid>=x': 'x' is not a uid (a number from 0 to 4294967295)"],
      ['EINVAL', 'policies cannot be combined with events or scope (as in Tracee): put those events and scopes in a policy'],
    ]);
    expect(bpfFds()).toBe(fds);
  });

});

describe('policy commands', () => {
  beforeAll(() => mkdirSync(TMP, { recursive: true }));
  afterAll(() => rmSync(TMP, { recursive: true, force: true }));

  it('tracing with --policy: JSON lines carry the policies each event matched', async () => {
    const dir = `${TMP}/cli`;
    mkdirSync(`${dir}/bin`, { recursive: true });
    copyFileSync('/usr/bin/cat', `${dir}/bin/trc-cli-pol`);
    chmodSync(`${dir}/bin/trc-cli-pol`, 0o755);
    writeFileSync(
      `${dir}/p.yaml`,
      `type: policy\nname: by-comm\nscope: [comm=trc-cli-pol]\nrules:\n  - event: openat\n    filters: [data.pathname=${dir}/*]\n---\n` +
        `type: policy\nname: failing\nscope: [global]\nrules:\n  - event: openat\n    filters: [retval<0, data.pathname=${dir}/*]\n`,
    );
    writeFileSync(`${dir}/exists`, '');
    const child = spawn('node', [CLI, '-p', `${dir}/p.yaml`, '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d) => (out.stdout += d));
    child.stderr.on('data', (d) => (out.stderr += d));
    await until(() => out.stderr.includes('attached'), 10_000, 'the attached line');
    expect(out.stderr).toMatch(/attached to \d+ hooks for 1 events \(openat\); 2 policies \(by-comm, failing\);/);
    spawnSync(`${dir}/bin/trc-cli-pol`, [`${dir}/exists`, `${dir}/missing`], { stdio: 'ignore' });
    spawnSync('/usr/bin/cat', [`${dir}/other-comm-missing`], { stdio: 'ignore' });
    await until(() => out.stdout.includes('other-comm-missing'), 10_000, 'the events');
    child.kill('SIGTERM');
    await once(child, 'exit');
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { processName: string; matchedPolicies: string[]; args: { value: unknown }[] });
    expect(lines.map((e) => [e.processName, e.args[1].value, e.matchedPolicies])).toEqual([
      ['trc-cli-pol', `${dir}/exists`, ['by-comm']],
      ['trc-cli-pol', `${dir}/missing`, ['by-comm', 'failing']],
      ['cat', `${dir}/other-comm-missing`, ['failing']],
    ]);
    expect(out.stderr).toMatch(/tracee-rs: 3 events seen, 0 lost, \d+ dropped by event filters, 3 printed\n$/);
  }, 30_000);
});
