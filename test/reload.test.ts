// Hot reload on the real kernel: TraceSession.reload replaces the policies
// while every program stays attached. A steady workload opens numbered
// paths throughout; across each reload no number is missing (nothing lost,
// nothing detached) and the records read after carry the new policies.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceSession, TraceeError, type Policy, type TraceeEvent } from '@tracee/core';
import { heldProgramIds, until } from './helpers.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trc-reload-'));
  // two copies of dash: two process names (comm) for the scopes to tell apart
  for (const comm of ['trcrelA', 'trcrelB']) copyFileSync('/bin/dash', join(dir, comm));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A process named `comm` opening `dir/<comm>-<n>` for n = 1, 2, ... until killed. */
function opener(comm: string): ChildProcess {
  return spawn(join(dir, comm), ['-c', `i=0; while :; do i=$((i+1)); true < ${dir}/${comm}-$i 2>/dev/null; done`], { stdio: 'ignore' });
}

/** The workload's numbers in `events`, for `comm`. */
function numbers(events: TraceeEvent[], comm: string): number[] {
  const re = new RegExp(`/${comm}-(\\d+)$`);
  return events
    .map((e) => re.exec(String(e.args.find((a) => a.name === 'pathname')?.value ?? '')))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]));
}

/** Takes batches into `seen` until stopped. */
function collect(session: TraceSession, seen: TraceeEvent[]): Promise<void> {
  return (async () => {
    for (let b; (b = await session.next()) !== null; ) seen.push(...b);
  })();
}

const openat = (name: string, comm: string): Policy => ({ name, scope: [`comm=${comm}`], rules: [{ event: 'openat', filters: [`data.pathname=${dir}/*`] }] });

describe('reload', () => {
  it('adds and removes policies and changes a scope while attached: no record of the steady workload is missing, and each carries the policies in force', async () => {
    const before = heldProgramIds();
    const session = TraceSession.start({ reloadable: true, enrichment: false, policies: [openat('p1', 'trcrelA')] });
    const seen: TraceeEvent[] = [];
    const reading = collect(session, seen);
    const a = opener('trcrelA');
    const b = opener('trcrelB');
    try {
      await until(() => numbers(seen, 'trcrelA').length > 2000, 10_000, 'trcrelA events');
      const programs = heldProgramIds();
      // p1 kept; p2 added (its own bit): trcrelA's records match both
      await session.reload({ policies: [openat('p1', 'trcrelA'), { ...openat('p2', 'trcrelA'), rules: [{ event: 'openat' }] }] });
      const mark1 = seen.length;
      await until(() => seen.slice(mark1).filter((e) => e.matchedPolicies.length === 2).length > 2000, 10_000, 'records of p1 and p2');
      // p1 removed; p3 takes trcrelB (a scope no policy had)
      await session.reload({ policies: [{ ...openat('p2', 'trcrelA'), rules: [{ event: 'openat' }] }, openat('p3', 'trcrelB')] });
      const mark2 = seen.length;
      await until(() => numbers(seen.slice(mark2), 'trcrelB').length > 2000, 10_000, 'trcrelB events after the second reload');
      // the programs stayed attached throughout: the same ids
      expect(heldProgramIds()).toEqual(programs);
      a.kill('SIGKILL');
      b.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      a.kill('SIGKILL');
      b.kill('SIGKILL');
      session.stop();
      await reading;
    }
    const stats = session.stats();
    expect(stats.lost).toBe(0);
    // trcrelA: every number from its first to its last, once each (no gap at either reload)
    const na = numbers(seen, 'trcrelA');
    const first = na[0];
    expect(na.length).toBeGreaterThan(4000);
    expect(na).toEqual(Array.from({ length: na.length }, (_, i) => first + i));
    // the policies each record carries: p1 until the first reload, then p1+p2, then p2
    const policiesOf = seen.filter((e) => e.processName === 'trcrelA').map((e) => e.matchedPolicies.join('+'));
    const runs = policiesOf.filter((p, i) => i === 0 || p !== policiesOf[i - 1]);
    expect(runs).toEqual(['p1', 'p1+p2', 'p2']);
    // trcrelB: none before p3, then every number (contiguous) with p3 alone
    const bs = seen.filter((e) => e.processName === 'trcrelB');
    expect(bs.every((e) => e.matchedPolicies.join() === 'p3')).toBe(true);
    const nb = numbers(bs, 'trcrelB');
    expect(nb).toEqual(Array.from({ length: nb.length }, (_, i) => nb[0] + i));
    // nothing left in the kernel
    expect([...heldProgramIds()].filter((id) => !before.has(id))).toEqual([]);
  }, 60_000);

  it('refuses what the attached programs cannot give, with the running policies kept; and a trace not started reloadable', async () => {
    const session = TraceSession.start({ reloadable: true, enrichment: false, policies: [openat('p1', 'trcrelA')] });
    const seen: TraceeEvent[] = [];
    const reading = collect(session, seen);
    const a = opener('trcrelA');
    try {
      const refusal = (p: Promise<void>) => p.then(() => undefined, (e: unknown) => e as TraceeError);
      // execve: no hook of this trace gives it
      const noHook = await refusal(session.reload({ policies: [{ name: 'p1', scope: ['global'], rules: [{ event: 'execve' }] }] }));
      expect(noHook).toBeInstanceOf(TraceeError);
      expect(noHook?.code).toBe('EINVAL');
      expect(noHook?.message).toMatch(/^reload: execve not traced by this run .*restart tracee-rs/);
      // tree= needs the fork hooks this trace did not attach
      const noTree = await refusal(session.reload({ policies: [{ name: 'p1', scope: ['tree=1'], rules: [{ event: 'openat' }] }] }));
      expect(noTree?.message).toMatch(/process tracking/);
      const unknown = await refusal(session.reload({ policies: [{ name: 'p1', scope: ['global'], rules: [{ event: 'opnat' }] }] }));
      expect(unknown?.code).toBe('EUNKNOWNEVENT');
      // still p1, still tracing
      const mark = seen.length;
      await until(() => numbers(seen.slice(mark), 'trcrelA').length > 500, 10_000, 'events after the refusals');
      expect(seen.slice(mark).every((e) => e.matchedPolicies.join() === 'p1')).toBe(true);
    } finally {
      a.kill('SIGKILL');
      session.stop();
      await reading;
    }
    const fixed = TraceSession.start({ enrichment: false, events: ['openat'] });
    try {
      await expect(fixed.reload({ events: ['openat'] })).rejects.toThrow(/started without reloadable/);
    } finally {
      fixed.stop();
      while ((await fixed.next()) !== null);
    }
  }, 60_000);
});
