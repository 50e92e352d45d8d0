// Event filters on real openat and execve calls: data (exact, prefix,
// suffix, contains, lists, !=, numbers), return values and per-event scope
// fields, one policy per filter so each event's matchedPolicies says exactly
// which passed. They run on the poll thread: the records they drop never
// reach JavaScript, and the trace's stats count them.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyFromFlags, trace, type Policy, type TraceeEvent, type TraceStats } from '@tracee/core';
import { arg, until } from './helpers.js';

const DIR = `/tmp/trc-filter-${process.pid}`;
const named = (comm: string) => {
  const path = `${DIR}/bin/${comm}`;
  copyFileSync('/usr/bin/cat', path);
  chmodSync(path, 0o755);
  return path;
};

describe('event filters', () => {
  beforeAll(() => {
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(`${DIR}/bin`, { recursive: true });
    writeFileSync(`${DIR}/exists`, 'x');
  });
  afterAll(() => rmSync(DIR, { recursive: true, force: true }));

  it('data, retval and scope filters: each event carries exactly the policies whose filters it passes', async () => {
    const comm = ['comm=trc-filt'];
    const open = (...filters: string[]) => [{ event: 'openat', filters }];
    const policies: Policy[] = [
      { name: 'exact', scope: comm, rules: open(`data.pathname=${DIR}/exact`) },
      { name: 'prefix', scope: comm, rules: open(`data.pathname=${DIR}/pre*`) },
      { name: 'suffix', scope: comm, rules: open('data.pathname=*.suf') },
      { name: 'contains', scope: comm, rules: open('data.pathname=*mid*') },
      { name: 'list', scope: comm, rules: open(`data.pathname=${DIR}/l1,${DIR}/l2`) },
      { name: 'not', scope: comm, rules: open(`data.pathname!=${DIR}/exact`) },
      { name: 'failed', scope: comm, rules: open('retval<0') },
      { name: 'opened', scope: comm, rules: open('retval>=0', `data.pathname=${DIR}/*`) },
      { name: 'cwd', scope: comm, rules: open('data.dirfd=-100', `data.pathname=${DIR}/*`) },
      // a scope field as an event filter: global scope, comm tested per event
      { name: 'rule-scope', scope: ['global'], rules: open('comm=trc-filt2', `data.pathname=${DIR}/*`) },
      { name: 'exec', scope: ['global'], rules: [{ event: 'execve', filters: ['data.pathname=*/trc-filt'] }] },
    ];
    const seen: TraceeEvent[] = [];
    let stats: (() => TraceStats) | undefined;
    const sub = trace({ policies, onAttach: (_, s) => (stats = s) }).subscribe((e) => seen.push(e));
    try {
      const files = ['exact', 'pre-a', 'x.suf', 'a-mid-b', 'l2', 'exists', 'other'].map((f) => `${DIR}/${f}`);
      spawnSync(named('trc-filt'), files, { stdio: 'ignore' });
      spawnSync(named('trc-filt2'), [`${DIR}/s2`, `${DIR}/end`], { stdio: 'ignore' });
      await until(() => seen.some((e) => arg(e, 'pathname') === `${DIR}/end`), 10_000, 'the last open');

      const byPath = (p: string) => seen.filter((e) => e.eventName === 'openat' && arg(e, 'pathname') === `${DIR}/${p}`).map((e) => [...e.matchedPolicies].sort());
      const always = ['failed', 'cwd', 'not'];
      expect(byPath('exact')).toEqual([['cwd', 'exact', 'failed']]);
      expect(byPath('pre-a')).toEqual([[...always, 'prefix'].sort()]);
      expect(byPath('x.suf')).toEqual([[...always, 'suffix'].sort()]);
      expect(byPath('a-mid-b')).toEqual([[...always, 'contains'].sort()]);
      expect(byPath('l2')).toEqual([[...always, 'list'].sort()]);
      expect(byPath('exists')).toEqual([['cwd', 'not', 'opened']]);
      expect(byPath('other')).toEqual([always.sort()]);
      expect(byPath('s2')).toEqual([['rule-scope']]);
      // the dynamic loader's opens: outside DIR, so only the path-less filters can pass
      const libs = seen.filter((e) => e.eventName === 'openat' && !String(arg(e, 'pathname')).startsWith(DIR));
      expect(libs.length).toBeGreaterThan(0);
      expect(libs.every((e) => e.processName === 'trc-filt' && e.matchedPolicies.every((p) => p === 'not' || p === 'failed'))).toBe(true);
      const execs = seen.filter((e) => e.eventName === 'execve');
      expect(execs.map((e) => [arg(e, 'pathname'), e.matchedPolicies])).toEqual([[`${DIR}/bin/trc-filt`, ['exec']]]);
      // trc-filt2's own library opens and every other process's: dropped before JavaScript, and counted
      expect(stats!().filtered).toBeGreaterThan(0);
    } finally {
      sub.unsubscribe();
    }
  }, 30_000);

  it("--events in Tracee's grammar: per-event filters select their event, values lists stay whole, -name excludes", async () => {
    expect(policyFromFlags([], ['openat.data.pathname=/a,/b', 'close,-dup', 'fs', 'openat.retval<0', 'execve.scope.comm=cat', 'open*', 'tag=proc,network'])).toEqual({
      name: '',
      scope: ['global'],
      rules: [
        { event: 'openat', filters: ['data.pathname=/a,/b', 'retval<0'] },
        { event: 'close', filters: [] },
        { event: '-dup', filters: [] },
        { event: 'fs', filters: [] },
        { event: 'execve', filters: ['scope.comm=cat'] },
        { event: 'open*', filters: [] },
        { event: 'tag=proc,network', filters: [] },
      ],
    });
    // the same through a trace: comm in --scope (kernel), a prefix (poll thread)
    const seen: TraceeEvent[] = [];
    const sub = trace({ scope: ['comm=trc-flags'], events: [`openat.data.pathname=${DIR}/fl*`] }).subscribe((e) => seen.push(e));
    try {
      spawnSync(named('trc-flags'), [`${DIR}/nope`, `${DIR}/flag`], { stdio: 'ignore' });
      spawnSync('/usr/bin/cat', [`${DIR}/flag-other-comm`], { stdio: 'ignore' });
      spawnSync(named('trc-flags'), [`${DIR}/flag-end`], { stdio: 'ignore' });
      await until(() => seen.some((e) => arg(e, 'pathname') === `${DIR}/flag-end`), 10_000, 'the last open');
      expect(seen.map((e) => [e.processName, arg(e, 'pathname'), e.matchedPolicies])).toEqual([
        ['trc-flags', `${DIR}/flag`, ['']],
        ['trc-flags', `${DIR}/flag-end`, ['']],
      ]);
    } finally {
      sub.unsubscribe();
    }
  }, 30_000);
});
