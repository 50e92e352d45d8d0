// For restating Tracee's test cases of its file signatures: the events
// they use, in Tracee's JSON shape (security_file_open, security_inode_rename,
// sched_process_exec, and our rename syscalls), the origin their events
// leave out, and the signature's metadata Tracee's tests compare too.
import { describe, expect, it } from 'vitest';
import { KERNEL_VALUES } from '../generated/schema.js';
import type { Mitre, Rule, Severity } from '../rules/rule.js';
import type { TraceeCase, TraceeEventJson } from './tracee-cases.js';

/** Tracee's open flags as its tests give them (buildFlagArgValue: the number). */
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_TRUNC = 0o1000;

type Context = Record<string, unknown>;

/** security_file_open of `pathname` with `flags` (a number, or Tracee's parsed names `O_WRONLY|O_CREAT`). */
export const fileOpen = (pathname: string, flags: number | string, context: Context = {}): TraceeEventJson => ({
  eventName: 'security_file_open',
  ...context,
  args: [
    { name: 'pathname', value: pathname },
    { name: 'flags', value: flags },
  ],
});

/** security_inode_rename with the paths given (Tracee's tests give one of them). */
export const inodeRename = (paths: { old_path?: string; new_path?: string }, context: Context = {}): TraceeEventJson => ({
  eventName: 'security_inode_rename',
  ...context,
  args: Object.entries(paths).map(([name, value]) => ({ name, value })),
});

/** A rename syscall (ours, where security_inode_rename cannot be traced), at its exit: renameat and renameat2 relative to AT_FDCWD. */
export const renameCall = (eventName: 'rename' | 'renameat' | 'renameat2', oldpath: string, newpath: string, returnValue = 0, context: Context = {}): TraceeEventJson => ({
  eventName,
  returnValue,
  ...context,
  args:
    eventName === 'rename'
      ? [
          { name: 'oldpath', value: oldpath },
          { name: 'newpath', value: newpath },
        ]
      : [
          { name: 'olddirfd', value: -100 },
          { name: 'oldpath', value: oldpath },
          { name: 'newdirfd', value: -100 },
          { name: 'newpath', value: newpath },
          ...(eventName === 'renameat2' ? [{ name: 'flags', value: 0 }] : []),
        ],
});

/** sched_process_exec of the file at `pathname` (Tracee's tests give only that argument). */
export const processExec = (pathname: string, context: Context = {}): TraceeEventJson => ({
  eventName: 'sched_process_exec',
  ...context,
  args: [{ name: 'pathname', value: pathname }],
});

/**
 * Tracee's tests call a signature's OnEvent directly, past the engine's
 * selection of events by origin (`Origin: "container"`), so their events
 * carry no container. For a container-only signature they are restated as
 * a container's, as Tracee's JSON writes one (inContainer()).
 */
export const IN_CONTAINER = { pidNamespace: 4026532290, containerId: 'c0ffee', container: { id: 'c0ffee' } } as const;
/** The host's pid namespace (PROC_PID_INIT_INO): not a container. */
export const ON_HOST = { pidNamespace: KERNEL_VALUES.PROC_PID_INIT_INO } as const;

/** What Tracee's tests compare besides the findings: the signature's metadata (its Name, EventName, Severity, MITRE technique). */
export interface TraceeMetadata {
  id: string;
  name: string;
  eventName: string;
  severity: Severity;
  mitre: Mitre;
}

/** `rule` carries Tracee's metadata for its id. */
export function traceeMetadata(rule: Rule, expected: TraceeMetadata): void {
  describe(`${rule.id} ${rule.eventName}: Tracee's metadata`, () => {
    it('id, name, event name, severity, MITRE technique', () => {
      const { id, name, eventName, severity, mitre } = rule;
      expect({ id, name, eventName, severity, mitre }).toEqual(expected);
    });
  });
}

/** Whether `value` passes one of a filter's comma-separated values (x, x*, *x, *x*), as tracee-core compares strings. */
function passes(value: string, values: string): boolean {
  return values.split(',').some((raw) => {
    const v = raw.trim();
    const [starts, ends] = [v.startsWith('*'), v.length > 1 && v.endsWith('*')];
    const inner = v.replace(/^\*+/, '').replace(/\*+$/, '');
    if (starts && ends) return value.includes(inner);
    if (starts) return value.endsWith(inner);
    if (ends) return value.startsWith(inner);
    return value === v;
  });
}

/**
 * The rule's filters (what the kernel sends it) let through every event
 * that triggers a finding in `cases`: they narrow, they never drop what
 * the rule (Tracee's signature) matches. Filters on `data.<arg>` (strings)
 * and `retval` (=) are understood; any other fails the test.
 */
export function kernelLetsThrough(rule: Rule, cases: readonly TraceeCase[]): void {
  describe(`${rule.id} ${rule.eventName}: its filters let through what it matches`, () => {
    for (const c of cases.filter((c) => c.findings.length > 0)) {
      it(c.name, () => {
        for (const { trigger } of c.findings) {
          const e = c.events[trigger];
          const selectors = rule.events.filter((r) => r.event === e.eventName);
          expect(selectors.length, `the rule selects ${e.eventName}`).toBeGreaterThan(0);
          const through = selectors.some((r) =>
            (r.filters ?? []).every((f) => {
              const at = f.indexOf('=');
              const [field, values] = [f.slice(0, at), f.slice(at + 1)];
              if (field === 'retval') return Number(e.returnValue ?? 0) === Number(values);
              if (!field.startsWith('data.') || f[at - 1] === '!') throw new Error(`a filter this check does not read: ${f}`);
              const arg = e.args?.find((a) => a.name === field.slice('data.'.length));
              return passes(typeof arg?.value === 'string' ? arg.value : '', values);
            }),
          );
          expect(through, `${e.eventName} ${JSON.stringify(e.args)} passes ${JSON.stringify(selectors.map((s) => s.filters))}`).toBe(true);
        }
      });
    }
  });
}
