// Tracee Policy files without a kernel: the JSON Schema, a table of invalid
// files, each with the exact one-line error a user sees, and the policy
// commands (`policy validate`, flags that do not combine, `list events`).
// Loaded into the kernel: test/policy-files.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_SCHEMA, PolicyError, formatIssue, listEvents, loadPolicies } from '@tracee/core';
import { CLI } from '../helpers.js';

const FIXTURES = new URL('../fixtures/policies/', import.meta.url).pathname;
const TMP = `/tmp/trc-policies-unit-${process.pid}`;
beforeAll(() => mkdirSync(TMP, { recursive: true }));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** The message of what `load` throws (exactly, where toThrow matches a part). */
function thrown(load: () => unknown): string {
  try {
    load();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('nothing thrown');
}

describe('policy files', () => {
  it('exports the JSON Schema of a policy document', () => {
    expect(POLICY_SCHEMA.title).toBe('Tracee Policy');
    expect(POLICY_SCHEMA.definitions.crd.properties.apiVersion.const).toBe('tracee.aquasec.com/v1beta1');
    expect(POLICY_SCHEMA.definitions.plain.required).toEqual(['type', 'name', 'scope', 'rules']);
  });

  const plain = (name: string, scope: string, rules: string) => `type: policy\nname: ${name}\nscope: ${scope}\nrules:\n${rules}`;
  const INVALID: [string, string, string][] = [
    ['missing-spec.yaml', 'apiVersion: tracee.aquasec.com/v1beta1\nkind: Policy\nmetadata:\n  name: no-spec\n', "1:1: policy 'no-spec': missing required field 'spec'"],
    ['old-api.yaml', 'apiVersion: tracee.aquasec.com/v1\nkind: Policy\nmetadata:\n  name: old\nspec:\n  scope: [global]\n  rules: [{event: openat}]\n', `1:13: policy 'old': apiVersion: expected "tracee.aquasec.com/v1beta1"`],
    ['typo.yaml', 'type: policy\nname: typo\nscop:\n  - global\nrules:\n  - event: openat\n', "1:1: policy 'typo': missing required field 'scope' (and 1 more problem)"],
    ['typo-key.yaml', 'type: policy\nname: typo\nscope: [global]\nrules:\n  - event: openat\n    filter: [retval<0]\n', "6:5: policy 'typo': rules[0]: unknown field 'filter'; did you mean 'filters'? (expected: event, filters)"],
    ['rules-map.yaml', plain('rules-map', '[global]', '  event: openat\n'), "5:3: policy 'rules-map': rules: expected a list"],
    ['filter-number.json', '{"type":"policy","name":"n","scope":["global"],\n "rules":[{"event":"openat","filters":[42]}]}', "2:40: policy 'n': rules[0].filters[0]: expected a string"],
    ['bad-name.yaml', plain('"has spaces"', '[global]', '  - event: openat\n'), "2:7: policy 'has spaces': name: expected a name of letters, digits, -, _ and . (starting and ending with a letter or digit)"],
    ['syntax.yaml', plain('syntax', '[global', '  - event: openat\n'), '4:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    // YAML takes these; a .json file is strict JSON
    ['trailing-comma.json', '{"type":"policy","name":"tc","scope":["global"],\n "rules":[{"event":"openat"},]}', "2:30: not valid JSON: Unexpected token ']'"],
    ['comment.json', '{"type":"policy","name":"c",\n # a comment\n "scope":["global"],"rules":[{"event":"openat"}]}', '2:2: not valid JSON: Expected double-quoted property name'],
    ['bare-word.json', '{"type":"policy","name":"b","scope":[global],"rules":[{"event":"openat"}]}', "1:38: not valid JSON: Unexpected token 'g'"],
    ['unclosed.json', '{"type":"policy","name":"u","scope":["global"],"rules":[{"event":"openat"}]', "1:76: not valid JSON: Expected ',' or '}' after property value"],
    ['unknown-event.yaml', plain('unknown-event', '[global]', '  - event: opnat\n'), "5:12: policy 'unknown-event': rules[0].event: unknown event 'opnat'; did you mean openat, openat2, creat? (`tracee-rs list events` lists them all)"],
    ['scope-field.yaml', plain('scope-field', '\n  - cmm=bash', '  - event: openat\n'), "4:5: policy 'scope-field': scope[0]: unknown scope field 'cmm'; did you mean comm, bin, pid?"],
    ['dup-event.yaml', plain('dup-event', '[global]', '  - event: openat\n  - event: close\n  - event: openat\n    filters: [retval<0]\n'), "7:12: policy 'dup-event': rules[2].event: event openat appears twice (rules 0 and 2); an event may appear once per policy: merge their filters"],
    ['operator.yaml', plain('operator', '\n  - comm>bash', '  - event: openat\n'), "4:5: policy 'operator': scope[0]: 'comm>bash': comm supports = and != only, not >"],
    ['number.yaml', plain('number', '\n  - pid=12x', '  - event: openat\n'), "4:5: policy 'number': scope[0]: 'pid=12x': '12x' is not a pid (a number from 0 to 4294967295)"],
    ['retval.yaml', plain('retval', '[global]', '  - event: openat\n    filters:\n      - retval<minus-one\n'), "7:9: policy 'retval': rules[0].filters[0]: retval: 'minus-one' is not a number"],
    ['data-number.yaml', plain('data-number', '[global]', '  - event: openat\n    filters: [data.flags=O_RDONLY]\n'), "6:15: policy 'data-number': rules[0].filters[0]: openat.data.flags: 'O_RDONLY' is not a number"],
    ['empty-scope.yaml', plain('empty-scope', '[]', '  - event: openat\n'), "3:8: policy 'empty-scope': scope: the scope is empty; write `global` to trace every process, or name the processes (comm=, pid=, uid=, ...)"],
    ['arg.yaml', plain('arg', '[global]', '  - event: openat\n    filters: [data.path=/etc/*]\n'), "6:15: policy 'arg': rules[0].filters[0]: openat has no argument 'path'; its arguments: dirfd, pathname, flags, mode"],
    ['global-and.yaml', plain('global-and', '[global, uid=0]', '  - event: openat\n'), "3:9: policy 'global-and': scope[0]: global means every process; it cannot be combined with other scope filters"],
    ['set-filter.yaml', plain('set-filter', '[global]', '  - event: fs\n    filters: [retval<0]\n'), `5:12: policy 'set-filter': rules[0].event: 'fs' selects ${listEvents('fs').length} events; filters need a rule of one event (event: openat)`],
    ['mixed.yaml', plain('mixed', '[comm=a, comm!=b]', '  - event: openat\n'), "3:17: policy 'mixed': scope[1]: 'comm!=b': comm= and comm!= in one scope; use one of them (values in one filter are ORed: comm=a,b)"],
    ['long-comm.yaml', plain('long-comm', '[comm=a-name-longer-than-15]', '  - event: openat\n'), "3:9: policy 'long-comm': scope[0]: 'comm=a-name-longer-than-15': 'a-name-longer-than-15' is longer than a comm can be (15 characters, the kernel's TASK_COMM_LEN - 1), so it would never match"],
    ['container-id.yaml', plain('container-id', '[container=abc123]', '  - event: openat\n'), "3:9: policy 'container-id': scope[0]: 'container=abc123': 'abc123' is too short a container id: give at least 12 hex digits (docker ps shows them), or `new`"],
    ['container-not-new.yaml', plain('container-not-new', '[container!=new]', '  - event: openat\n'), "3:9: policy 'container-not-new': scope[0]: 'container!=new': container!=new is not supported; write container=new, or not-container"],
    ['dup-name.yaml', plain('twin', '[global]', '  - event: openat\n') + '---\n' + plain('twin', '[global]', '  - event: close\n'), `8:7: policy 'twin': name: the name 'twin' is used by another policy; policy names must be unique (first at ${TMP}/dup-name.yaml:2:7)`],
    [
      'too-many.json',
      JSON.stringify(Array.from({ length: 65 }, (_, i) => ({ type: 'policy', name: `p${i}`, scope: ['global'], rules: [{ event: 'openat' }] }))),
      "1:5048: policy 'p64': [64]: 65 policies given; at most 64 can be loaded at once (one bit each in the kernel's bitmaps, as in Tracee): merge some, or run a second tracer",
    ],
  ];

  it.each(INVALID)('%s: one line naming the file, line, column, field and cause', (name, text, expected) => {
    const file = `${TMP}/${name}`;
    writeFileSync(file, text);
    let err: unknown;
    try {
      loadPolicies(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).code).toBe('EPOLICY');
    expect((err as PolicyError).message).toBe(`${file}:${expected}`);
    expect((err as PolicyError).message).not.toContain('\n');
  });

  it('a missing path, and a directory without policy files, are errors too, named without a place in them', () => {
    mkdirSync(`${TMP}/empty`, { recursive: true });
    const issues = (path: string) => {
      try {
        loadPolicies(path);
      } catch (e) {
        return (e as PolicyError).issues;
      }
      throw new Error(`${path} was accepted`);
    };
    expect(issues(`${TMP}/nope.yaml`)).toEqual([{ file: `${TMP}/nope.yaml`, path: '', message: 'no such file or directory (ENOENT)' }]);
    expect(thrown(() => loadPolicies(`${TMP}/nope.yaml`))).toBe(`${TMP}/nope.yaml: no such file or directory (ENOENT)`);
    expect(thrown(() => loadPolicies(`${TMP}/empty`))).toBe(`${TMP}/empty: the directory has no policy files (*.yaml, *.yml, *.json)`);
  });

  it('an empty policy file, whatever makes it empty, is an error naming the file and what to do', () => {
    const EMPTY = 'empty policy file: it holds no policy; write one (apiVersion: tracee.aquasec.com/v1beta1, kind: Policy, metadata, spec) or remove the file';
    for (const [name, text] of [
      ['empty.yaml', ''],
      ['blank.yaml', '\n  \n'],
      ['comments.yaml', '# nothing yet\n---\n'],
      ['empty.json', ''],
      ['empty-list.json', '[]\n'],
    ]) {
      const file = `${TMP}/${name}`;
      writeFileSync(file, text);
      expect(thrown(() => loadPolicies(file)), name).toBe(`${file}: ${EMPTY}`);
    }
    // beside a good file, still reported
    const good = `${TMP}/good.yaml`;
    writeFileSync(good, plain('good', '[global]', '  - event: openat\n'));
    expect(thrown(() => loadPolicies([good, `${TMP}/empty.yaml`]))).toBe(`${TMP}/empty.yaml: ${EMPTY}`);
  });

  it('every problem of every file at once: each bad scope value, filter and event, past shape errors elsewhere', () => {
    const a = `${TMP}/many-a.yaml`;
    const b = `${TMP}/many-b.json`;
    writeFileSync(a, plain('many', '[comm=a, bogus=1, pid=x]', '  - event: openat\n    filters: [data.bogus=1, retval=x]\n  - event: nosuch\n'));
    writeFileSync(b, '{"type":"policy","name":"shape","scope":["global"],"rules":[{"event":"openat","filter":[]}]}');
    let err: unknown;
    try {
      loadPolicies([a, b]);
    } catch (e) {
      err = e;
    }
    expect((err as PolicyError).issues.map(formatIssue)).toEqual([
      `${a}:3:17: policy 'many': scope[1]: unknown scope field 'bogus'; did you mean bin, comm, mntns?`,
      `${a}:3:26: policy 'many': scope[2]: 'pid=x': 'x' is not a pid (a number from 0 to 4294967295)`,
      `${a}:6:15: policy 'many': rules[0].filters[0]: openat has no argument 'bogus'; its arguments: dirfd, pathname, flags, mode`,
      `${a}:6:29: policy 'many': rules[0].filters[1]: retval: 'x' is not a number`,
      `${a}:7:12: policy 'many': rules[1].event: unknown event 'nosuch'; did you mean mount, acct, close? (\`tracee-rs list events\` lists them all)`,
      `${b}:1:79: policy 'shape': rules[0]: unknown field 'filter'; did you mean 'filters'? (expected: event, filters)`,
    ]);
    expect((err as PolicyError).message).toBe(`${a}:3:17: policy 'many': scope[1]: unknown scope field 'bogus'; did you mean bin, comm, mntns? (and 5 more problems)`);
  });

  it('a name used by two files: both files, at the line and column of each name', () => {
    const a = `${TMP}/twin-a.yaml`;
    const b = `${TMP}/twin-b.yaml`;
    const crd = (event: string) => `apiVersion: tracee.aquasec.com/v1beta1\nkind: Policy\nmetadata:\n  name: same\nspec:\n  scope: [global]\n  rules:\n    - event: ${event}\n`;
    writeFileSync(a, crd('openat'));
    writeFileSync(b, `# the second\n${crd('close')}`);
    expect(thrown(() => loadPolicies([a, b]))).toBe(
      `${b}:5:9: policy 'same': metadata.name: the name 'same' is used by another policy; policy names must be unique (first at ${a}:4:9)`,
    );
  });
});

describe('policy commands', () => {
  it('policy validate: each policy, exit 0; every problem at its line, exit 1, nothing traced', () => {
    const ok = spawnSync('node', [CLI, 'policy', 'validate', FIXTURES], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`ok ${FIXTURES}crd.yaml:2: policy 'web-shells': scope comm=nginx,apache2 uid>=33`);
    expect(ok.stdout.trim().split('\n').at(-1)).toBe('6 policies valid');
    const file = `${TMP}/two-problems.yaml`;
    writeFileSync(file, 'type: policy\nname: two\nscope: [cmm=x]\nrules:\n  - event: opnat\n');
    const bad = spawnSync('node', [CLI, 'policy', 'validate', file], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toEqual([
      `tracee-rs: error: ${file}:3:9: policy 'two': scope[0]: unknown scope field 'cmm'; did you mean comm, bin, pid?`,
      `tracee-rs: error: ${file}:5:12: policy 'two': rules[0].event: unknown event 'opnat'; did you mean openat, openat2, creat? (\`tracee-rs list events\` lists them all)`,
    ]);
  });

  it('--policy with --scope or --events, a bad --scope, a bad --policy: one line, exit 1, nothing attached', () => {
    for (const [argv, expected] of [
      [['-p', FIXTURES, '-s', 'comm=x'], 'tracee-rs: error: --policy cannot be combined with --scope or --events (as in Tracee): put those events and scopes in a policy\n'],
      [['-s', 'cmm=bash'], "tracee-rs: error: unknown scope field 'cmm'; did you mean comm, bin, pid?\n"],
      [['-s', 'uid>=abc'], "tracee-rs: error: 'uid>=abc': 'abc' is not a uid (a number from 0 to 4294967295)\n"],
      [['-e', 'openat.data.pathnam=/x'], "tracee-rs: error: openat has no argument 'pathnam'; its arguments: dirfd, pathname, flags, mode\n"],
      [['-p', `${TMP}/nope`], `tracee-rs: error: ${TMP}/nope: no such file or directory (ENOENT)\n`],
    ] as const) {
      const r = spawnSync('node', [CLI, ...argv, '-d', '1s'], { encoding: 'utf8' });
      expect([r.status, r.stderr, r.stdout]).toEqual([1, expected, '']);
    }
  });

  it('list events: every event with id, sets and arguments; --tag narrows; an unknown tag is an error', () => {
    const all = spawnSync('node', [CLI, 'list', 'events'], { encoding: 'utf8' });
    expect(all.status).toBe(0);
    expect(all.stdout.trim().split('\n').length).toBeGreaterThan(360);
    const fs = spawnSync('node', [CLI, 'list', 'events', '--tag', 'fs'], { encoding: 'utf8' });
    const openat = fs.stdout.split('\n').find((l) => l.startsWith('openat '));
    expect(openat).toMatch(/^openat\s+257\s+\S*fs\S*\s+\(int dirfd, const char \*pathname, int flags, umode_t mode\)$/);
    expect(fs.stdout).not.toMatch(/^execve /m);
    const bad = spawnSync('node', [CLI, 'list', 'events', '--tag', 'fss'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^tracee-rs: error: unknown set 'fss'; the sets are: /);
  });
});
