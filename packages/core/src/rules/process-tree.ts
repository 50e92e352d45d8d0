// The processes of the host as the events describe them: who forked whom,
// what each executed, when it started. Kept from sched_process_fork/exec/
// exit, filled in from /proc for processes older than the trace, bounded.
import { readFileSync, readlinkSync } from 'node:fs';
import { argOf as arg } from '../decode.js';
import type { TraceeEvent } from '../generated/schema.js';

/** One process (by host pid). */
export interface ProcessInfo {
  hostPid: number;
  hostPpid: number;
  comm: string;
  /** Its comm before its last exec ('' if it has not exec'd since the trace began). */
  previousComm: string;
  /** What it last executed (sched_process_exec's path, or /proc/<pid>/exe); '' if unknown. */
  executable: string;
  /** ns since boot, as events' threadStartTime. */
  startTime: number;
  exited: boolean;
  /** The container it runs in, as its last event said (a child: its parent's at the fork); '' for none, or not yet seen. */
  containerId: string;
}


export class ProcessTree {
  #procs = new Map<number, ProcessInfo>();

  /**
   * @param limit processes kept; the longest-exited (then the oldest) go first.
   * @param fromProc fill in processes older than the events from this host's
   *   /proc (live traces); false for recorded events, whose pids are another
   *   time's (or host's).
   */
  constructor(
    readonly limit = 32_768,
    readonly fromProc = true,
  ) {}

  get size(): number {
    return this.#procs.size;
  }

  /** Updates the tree from one event; every event refreshes its process's comm. */
  observe(e: TraceeEvent): void {
    const before = this.#procs.get(e.hostProcessId)?.comm;
    const self = this.#touch(e.hostProcessId, e.hostParentProcessId, e.processName, e.threadStartTime);
    // the lifecycle events made by user space have no process of their own
    if (e.hostProcessId !== 0) self.containerId = e.containerId ?? '';
    switch (e.eventName) {
      case 'sched_process_fork': {
        const child = Number(arg(e, 'child_pid'));
        if (child && child !== e.hostProcessId) {
          this.#set({ hostPid: child, hostPpid: e.hostProcessId, comm: e.processName, previousComm: '', executable: self.executable, startTime: Number(arg(e, 'start_time')), exited: false, containerId: self.containerId });
        }
        break;
      }
      case 'sched_process_exec':
        // the comm it had until now: the event carries the new one
        self.previousComm = before ?? self.comm;
        self.executable = String(arg(e, 'pathname') ?? '');
        break;
      case 'sched_process_exit':
        if (arg(e, 'process_group_exit')) self.exited = true;
        break;
    }
  }

  /** The process, from the events or else from /proc (a process older than the trace). */
  get(hostPid: number): ProcessInfo | undefined {
    return this.#procs.get(hostPid) ?? this.#fromProc(hostPid);
  }

  /** The process and its ancestors, nearest first, up to `max`. */
  ancestry(hostPid: number, max = 16): ProcessInfo[] {
    const out: ProcessInfo[] = [];
    for (let p = this.get(hostPid); p && out.length < max; p = p.hostPpid > 0 && p.hostPpid !== p.hostPid ? this.get(p.hostPpid) : undefined) {
      out.push(p);
    }
    return out;
  }

  #touch(hostPid: number, hostPpid: number, comm: string, startTime: number): ProcessInfo {
    let p = this.#procs.get(hostPid);
    if (!p) {
      const known = this.#fromProc(hostPid);
      p = known ?? { hostPid, hostPpid, comm, previousComm: '', executable: '', startTime, exited: false, containerId: '' };
      this.#set(p);
    }
    p.comm = comm;
    p.hostPpid = hostPpid;
    return p;
  }

  #set(p: ProcessInfo): void {
    this.#procs.delete(p.hostPid);
    this.#procs.set(p.hostPid, p);
    if (this.#procs.size > this.limit) this.#evict();
  }

  #evict(): void {
    // exited first, then the least recently seen (Map order: insertion)
    for (const [pid, p] of this.#procs) {
      if (p.exited) {
        this.#procs.delete(pid);
        if (this.#procs.size <= this.limit * 0.9) return;
      }
    }
    for (const pid of this.#procs.keys()) {
      this.#procs.delete(pid);
      if (this.#procs.size <= this.limit * 0.9) return;
    }
  }

  #fromProc(hostPid: number): ProcessInfo | undefined {
    if (!this.fromProc) return undefined;
    try {
      const stat = readFileSync(`/proc/${hostPid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      let executable = '';
      try {
        executable = readlinkSync(`/proc/${hostPid}/exe`);
      } catch {
        // a kernel thread, or gone
      }
      // field 22 (starttime) is in clock ticks since boot
      const p: ProcessInfo = { hostPid, hostPpid: Number(fields[1]), comm, previousComm: '', executable, startTime: Number(fields[19]) * 1e7, exited: false, containerId: '' };
      this.#set(p);
      return p;
    } catch {
      return undefined;
    }
  }
}
