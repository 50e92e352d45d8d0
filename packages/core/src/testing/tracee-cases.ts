// Tracee's test cases for a signature, restated as data and run through
// replay(): the input events as Tracee's JSON lines, the findings Tracee's
// test expects (which event triggered each, and its data), compared.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { detect } from '../rules/detect.js';
import { ProcessTree } from '../rules/process-tree.js';
import { replay } from '../rules/replay.js';
import type { Finding, Rule } from '../rules/rule.js';

/** An argument as Tracee's JSON writes it (`type` may be left out). */
export interface TraceeArg {
  name: string;
  type?: string;
  value: unknown;
}

/** An event in Tracee's JSON shape; fields not given are 0 or empty, as in Tracee's tests. */
export type TraceeEventJson = Record<string, unknown> & { eventName: string; args?: TraceeArg[] };

/** One of Tracee's test cases (its name, its events, the findings it expects). */
export interface TraceeCase {
  /** Tracee's name for the case. */
  name: string;
  events: TraceeEventJson[];
  /** Tracee's expected findings, in order: the index of the event that triggered each, and its `data` ({} for Tracee's nil). */
  findings: { trigger: number; data: Record<string, unknown> }[];
}

/** The findings of `rule` on `events`, written as JSON lines and read back by replay(). */
export async function replayEvents(rule: Rule, events: readonly TraceeEventJson[]): Promise<Finding[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tracee-case-'));
  try {
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    return await lastValueFrom(replay(file).pipe(detect([rule], { tree: new ProcessTree(undefined, false) }), toArray()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One vitest case per Tracee case: `rule` must give Tracee's verdict. */
export function traceeCases(rule: Rule, cases: readonly TraceeCase[]): void {
  describe(`${rule.id} ${rule.eventName}: Tracee's test cases`, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const found = await replayEvents(rule, c.events);
        const triggers = found.map((f) => c.events.findIndex((e) => e.eventName === f.event.eventName && JSON.stringify(e.args ?? []) === JSON.stringify(f.event.args)));
        expect(found.map((f, i) => ({ trigger: triggers[i], data: f.data }))).toEqual(c.findings);
        for (const f of found) expect(f.rule.id).toBe(rule.id);
      });
    }
  });
}
