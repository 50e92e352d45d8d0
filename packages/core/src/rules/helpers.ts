// What the builtin rules share: arguments by name (numbers or Tracee's
// parsed names), file access (opens and renames, for writing or reading),
// exec environments, path tests, the rule shapes many of Tracee's
// signatures have (a file written, a file read), and its lists (shells,
// web servers, memory paths, the ELF magic).
import type { OperatorFunction } from 'rxjs';
import { filter, map } from '../rx.js';
import { posix } from 'node:path';
import { argOf } from '../decode.js';
export { argOf };

/**
 * The process runs in a container: its cgroup is a container's (the trace's
 * container table, from the runtimes' cgroup layouts), as Tracee's
 * signatures ask `event.Container.ID != ""`. A pid namespace of its own is
 * not one (`unshare -p`); recorded events without the field are not either.
 */
export const inContainer = (e: TraceeEvent): boolean => e.containerId !== '' && e.containerId !== undefined;
import { CONSTANTS, type Sockaddr, type TraceeEvent } from '../generated/schema.js';
import type { PolicyRule } from '../policy.js';
import type { Mitre, Rule, RuleMatch, Severity } from './rule.js';

export const constant = (table: readonly (readonly [string, number])[], name: string): number => {
  const hit = table.find(([n]) => n === name);
  if (!hit) throw new Error(`the headers define no ${name}`);
  return hit[1];
};
export const O_WRONLY = constant(CONSTANTS.open_access, 'O_WRONLY');
export const O_RDWR = constant(CONSTANTS.open_access, 'O_RDWR');
export const O_CREAT = constant(CONSTANTS.open_flags, 'O_CREAT');
export const O_TRUNC = constant(CONSTANTS.open_flags, 'O_TRUNC');
export const PTRACE = (name: string) => constant(CONSTANTS.ptrace_request, name);

/** Every constant's value by name, for arguments recorded as names (Tracee's parsed JSON: `PTRACE_POKEDATA`, `O_WRONLY|O_CREAT`). */
export const BY_NAME = new Map<string, number>(Object.values(CONSTANTS).flatMap((table) => table.map(([n, v]) => [n, v] as [string, number])));
export const num = (e: TraceeEvent, name: string): number => {
  const v = argOf(e, name);
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v === '') return NaN;
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(v)) return Number(v);
  return v.split('|').reduce((acc, part) => acc | (BY_NAME.get(part.trim()) ?? NaN), 0);
};
export const str = (e: TraceeEvent, name: string) => {
  const v = argOf(e, name);
  return typeof v === 'string' ? v : '';
};

/**
 * Tracee's IsFileWrite and IsFileRead: by the access mode alone (O_WRONLY or
 * O_RDWR write, O_RDONLY or O_RDWR read; O_CREAT or O_TRUNC with O_RDONLY
 * is a read). Flags that could not be read (NaN) are neither, as Tracee's
 * signatures stop at a missing argument.
 */
export const O_RDONLY = constant(CONSTANTS.open_access, 'O_RDONLY');
const accessMode = (flags: number) => (Number.isNaN(flags) ? -1 : flags & (O_WRONLY | O_RDWR));
export const isFileWrite = (flags: number) => {
  const mode = accessMode(flags);
  return mode === O_WRONLY || mode === O_RDWR;
};
export const isFileRead = (flags: number) => {
  const mode = accessMode(flags);
  return mode === O_RDONLY || mode === O_RDWR;
};

/** The last element of a path, as Go's path.Base gives it (Tracee's): trailing slashes dropped, `.` for "", `/` for slashes only. */
export function pathBase(p: string): string {
  if (p === '') return '.';
  const s = p.replace(/\/+$/, '');
  return s === '' ? '/' : s.slice(s.lastIndexOf('/') + 1);
}

export const meta = (id: string, eventName: string, name: string, severity: Severity, mitre: Mitre, description: string) => ({ id, eventName, name, severity, mitre, description });

export const RENAME_EVENTS = ['rename', 'renameat', 'renameat2'] as const;

/** Kernel filter patterns for a path with `.` or `..` components or repeated slashes in it (as given to a syscall). */
const DOT_SEGMENTS = '*/./*,*/../*,*//*';

/** Variables that make the dynamic loader load libraries a program did not ask for. */
export const PRELOAD_ENVS = ['LD_PRELOAD', 'LD_LIBRARY_PATH'];

/** What one of Tracee's file signatures judges (see {@link traceeFileRule}). */
export interface TraceeFileSpec {
  /** Tracee's `Origin: "container"`: only processes in a container ({@link inContainer}). */
  container?: boolean;
  /** Opens (security_file_open) judged: for writing (Tracee's IsFileWrite) or for reading (IsFileRead). */
  open: 'write' | 'read';
  /** The path test, Tracee's exactly (its lists, prefixes, suffixes, regular expressions, quirks included). */
  matches: (path: string) => boolean;
  /** Path patterns (x, x*, *x) the kernel sends: they must let through every path `matches` accepts. */
  kernel: readonly string[];
  /** Process names (comm) whose opens are not judged (Tracee's legitProcs; renames are judged whoever makes them). */
  legit?: readonly string[];
  /**
   * Renames judged, and by which path: security_inode_rename's `new_path`
   * or `old_path` (Tracee's; where fentry and kprobes do not run, derived
   * at the rename syscalls' exit); ours, where neither runs (the legacy
   * programs), the rename syscalls' `newpath` or `oldpath` when the rename
   * succeeded.
   */
  rename?: 'new' | 'old';
  /** A rename syscall's relative path is judged too: only for a test on the last name, which a relative path gives exactly. */
  relativeRenames?: boolean;
  /** Programs whose execution matches (sched_process_exec, by the last name of `pathname`, the file run; the kernel sends `*\/name`). */
  exec?: readonly string[];
}

/**
 * One of Tracee's file signatures: security_file_open (opens for writing
 * or reading), security_inode_rename and sched_process_exec, as Tracee
 * selects and judges them, with Data nil ({}). Renames are also taken from
 * the rename syscalls, for kernels where security_inode_rename runs in no
 * way (the legacy programs: no fentry, kprobes or fallback; absolute paths
 * only, unless `relativeRenames`); where both arrive, the hook's event
 * (its fallback's too: derived before the syscall's own exit record) is
 * Tracee's, and the same thread's rename syscall after it, renaming the
 * same names, is not judged again.
 */
export function traceeFileRule(m: ReturnType<typeof meta>, spec: TraceeFileSpec): Rule {
  const paths = spec.kernel.join(',');
  const events: PolicyRule[] = [{ event: 'security_file_open', filters: [`data.pathname=${paths}`] }];
  if (spec.rename) {
    const hookArg = spec.rename === 'new' ? 'new_path' : 'old_path';
    // the fallback's paths keep the given name's `.`, `..` and repeated
    // slashes (`/tmp/../etc/cron.d/x`): those are let through and judged normalised
    events.push({ event: 'security_inode_rename', filters: [`data.${hookArg}=${paths},${DOT_SEGMENTS}`] });
    // successful renames, whatever the path: the kernel's filters compare
    // strings, and the syscall's path is as given (`/etc/./cron.d/x`, `//etc/sudoers`)
    events.push(...RENAME_EVENTS.map((event) => ({ event, filters: ['retval=0'] })));
  }
  if (spec.exec) events.push({ event: 'sched_process_exec', filters: [`data.pathname=${spec.exec.map((n) => `*/${n}`).join(',')}`] });
  return {
    ...m,
    events,
    detect: () => (events$) => {
      // the last names each thread's security_inode_rename renamed (see above)
      const hooked = new Map<number, string>();
      const names = (e: TraceeEvent, from: string, to: string) => `${pathBase(str(e, from))}\0${pathBase(str(e, to))}`;
      const judge = (e: TraceeEvent): boolean => {
        if (spec.container && !inContainer(e)) return false;
        switch (e.eventName) {
          case 'security_file_open': {
            if (spec.legit?.includes(e.processName)) return false;
            const flags = num(e, 'flags');
            return (spec.open === 'write' ? isFileWrite(flags) : isFileRead(flags)) && spec.matches(str(e, 'pathname'));
          }
          case 'security_inode_rename': {
            if (!spec.rename) return false;
            hooked.delete(e.hostThreadId);
            hooked.set(e.hostThreadId, names(e, 'old_path', 'new_path'));
            if (hooked.size > 4096) hooked.delete(hooked.keys().next().value!);
            const p = str(e, spec.rename === 'new' ? 'new_path' : 'old_path');
            // the kernel's own paths have no `.` or `..`: normalising changes only the fallback's
            return spec.matches(p) || spec.matches(posix.normalize(p));
          }
          case 'rename':
          case 'renameat':
          case 'renameat2': {
            if (!spec.rename) return false;
            const seen = hooked.get(e.hostThreadId);
            if (seen !== undefined) {
              hooked.delete(e.hostThreadId);
              if (seen === names(e, 'oldpath', 'newpath')) return false;
            }
            const p = str(e, spec.rename === 'new' ? 'newpath' : 'oldpath');
            // as given, and with `.`, `..` and repeated slashes taken out (what the hook would see, but for links)
            return e.returnValue === 0 && (p.startsWith('/') || spec.relativeRenames === true) && (spec.matches(p) || spec.matches(posix.normalize(p)));
          }
          case 'sched_process_exec':
            return spec.exec?.includes(pathBase(str(e, 'pathname'))) ?? false;
          default:
            return false;
        }
      };
      return events$.pipe(
        filter(judge),
        map((event) => ({ event })),
      );
    },
  };
}

/**
 * A rule's operator from a test of each event: the match it returns, none
 * for undefined (a filter and a map in one; mergeMap of a list would make an
 * inner Observable per event).
 */
export const matchEach =
  (judge: (e: TraceeEvent) => RuleMatch | undefined): OperatorFunction<TraceeEvent, RuleMatch> =>
  (events$) =>
    events$.pipe(
      map(judge),
      filter((m): m is RuleMatch => m !== undefined),
    );

export const under = (dirs: string[]) => (p: string) => dirs.some((d) => p.startsWith(d));
export const either = (...tests: ((p: string) => boolean)[]) => (p: string) => tests.some((t) => t(p));

/** Escape to Host, as every rule using it has it in Tracee (TRC-106, TRC-1010, TRC-1011, TRC-1014, TRC-1021, TRC-1031: the same STIX id). */
export const ESCAPE: Mitre = { tactic: 'Privilege Escalation', technique: 'Escape to Host', id: 'T1611', stixId: 'attack-pattern--4a5b7ade-8bb5-4853-84ed-23f262002665', kubernetesTechnique: '' };

/** A sockaddr argument (ours, or the map Tracee's JSON gives); undefined if absent or unreadable. */
export function sockaddrOf(e: TraceeEvent, name: string): Sockaddr | undefined {
  const a = argOf(e, name);
  return typeof a === 'object' && a !== null && !Array.isArray(a) && typeof (a as Sockaddr).sa_family === 'string' ? (a as Sockaddr) : undefined;
}
/** Tracee's helpers on a raw address: IsInternetFamily, and GetIPFromRawAddr/GetPortFromRawAddr (by family; undefined where Tracee's errs). */
export const internet = (a: Sockaddr | undefined) => a !== undefined && (a.sa_family === 'AF_INET' || a.sa_family === 'AF_INET6');
export const ip = (a: Sockaddr): string | undefined => (a.sa_family === 'AF_INET' ? a.sin_addr : a.sa_family === 'AF_INET6' ? a.sin6_addr : undefined);
export const port = (a: Sockaddr): string | undefined => (a.sa_family === 'AF_INET' ? a.sin_port : a.sa_family === 'AF_INET6' ? a.sin6_port : undefined);

export const SHELLS = ['ash', 'bash', 'csh', 'ksh', 'sh', 'tcsh', 'zsh', 'dash'];
export const WEB_SERVERS = ['nginx', 'httpd', 'httpd-foregroun', 'http-nio', 'lighttpd', 'apache', 'apache2'];
export const MEMORY_PATH = /^(memfd:|\/dev\/shm\/|\/run\/shm\/)/;

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** Tracee's helpers.IsElf on a `bytes` argument: ours (numbers), or Tracee's JSON (base64). */
export function isElf(v: unknown): boolean {
  const bytes = Array.isArray(v) ? v : typeof v === 'string' && !v.startsWith('0x') ? [...Buffer.from(v, 'base64')] : [];
  return ELF_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Tracee's LSM events where their hooks run here, else our equivalents
 * (syscalls, sched_process_exec): a test of each event, with state, one per
 * rule instance. An LSM hook runs inside the act that also makes the
 * equivalent (a syscall reports at its exit, sched_process_exec after
 * security_bprm_check), so it arrives first: once one of Tracee's events has
 * arrived, the hook runs here and the equivalents are skipped (one finding
 * per act on a kernel with both); until then they are judged.
 */
export function preferTracee(tracee: readonly string[], equivalents: readonly string[]): (e: TraceeEvent) => boolean {
  let hooked = false;
  return (e) => {
    if (tracee.includes(e.eventName)) return (hooked = true);
    return !(hooked && equivalents.includes(e.eventName));
  };
}

/** The negated errno values of `names` (a syscall refused before the LSM hook Tracee's rule takes: it saw nothing). */
export const errnos = (...names: string[]) => names.map((n) => -constant(CONSTANTS.errno, n));

/** The event filter of inContainer's events (Tracee's context filter `container`), run on the poll thread with the container table. */
export const IN_CONTAINER = 'container=true';

/**
 * Tracee's Origin: container, for rules that take containers' events only:
 * the event is a container's (inContainer) and the container has started
 * (Tracee's ContextFlags.ContainerStarted: a container older than the trace
 * has; one made while tracing has once its first program runs). Not started:
 * the pid 1 of a pid namespace made while tracing (the runtime's init setting
 * the container up, runc:[2:INIT]), by host pid, from its clone to its first
 * exec. It sees the events of STARTED_CONTAINER_EVENTS; one per rule instance.
 */
export class StartedContainers {
  #unstarted = new Set<number>();
  observe(e: TraceeEvent): void {
    if (e.eventName === 'sched_process_fork') {
      const child = num(e, 'child_pid');
      // a new process (not a thread) that is pid 1 of its namespace: the parent made the namespace
      if (num(e, 'child_ns_pid') === 1 && num(e, 'child_tid') === child) {
        this.#unstarted.add(child);
        if (this.#unstarted.size > 4096) this.#unstarted.delete(this.#unstarted.values().next().value!);
      }
    } else if (e.eventName === 'sched_process_exec' || (e.eventName === 'sched_process_exit' && argOf(e, 'process_group_exit'))) {
      this.#unstarted.delete(e.hostProcessId);
    }
  }
  /** The event is a started container's. */
  has(e: TraceeEvent): boolean {
    return inContainer(e) && !this.#unstarted.has(e.hostProcessId);
  }
}
/** What StartedContainers needs: a container's pid 1 cloned, exec'ing, exiting (traced anyway, for the process tree). */
export const STARTED_CONTAINER_EVENTS: PolicyRule[] = [
  { event: 'sched_process_fork', filters: ['data.child_ns_pid=1'] },
  { event: 'sched_process_exec', filters: [IN_CONTAINER] },
  { event: 'sched_process_exit', filters: [IN_CONTAINER] },
];
