// What a rule is, and what it finds. A rule is data (id, names, severity,
// MITRE ATT&CK, the events it needs) plus an RxJS operator from events to
// matches; `detect` runs many of them on one stream.
import type { Observable, OperatorFunction } from 'rxjs';
import type { PolicyRule } from '../policy.js';
import type { TraceeEvent } from '../generated/schema.js';
import type { ProcessInfo, ProcessTree } from './process-tree.js';

/** Tracee's severity scale: 0 informative … 4 critical. */
export type Severity = 0 | 1 | 2 | 3 | 4;

export interface Mitre {
  /** e.g. `Defense Evasion` */
  tactic: string;
  /** e.g. `Debugger Evasion` */
  technique: string;
  /** e.g. `T1622` */
  id: string;
}

/** What a rule sees besides the events. */
export interface RuleContext {
  /** Processes by host pid, with their ancestry (fork/exec/exit, /proc for older ones). */
  tree: ProcessTree;
}

/** A rule's operator emits one of these per detection. */
export interface RuleMatch {
  /** The event that triggered it. */
  event: TraceeEvent;
  /** What the rule wants to say about it (shown in the finding's data). */
  data?: Record<string, unknown>;
}

export interface Rule {
  /** Tracee's signature id where the rule matches one of Tracee's (`TRC-102`). */
  id: string;
  /** The event name of its findings, Tracee's (`anti_debugging`). */
  eventName: string;
  /** People's name (`Anti-Debugging detected`). */
  name: string;
  description: string;
  severity: Severity;
  mitre: Mitre;
  /**
   * The events it needs, as policy rules (filters narrow what the kernel
   * sends; the operator must not rely on them: offline replay has none).
   */
  events: readonly PolicyRule[];
  /** It reads execve's `envp`: the trace captures it (Tracee's option:exec-env). */
  execEnv?: boolean;
  /** From the events of `events` (and only those) to matches. */
  detect: (context: RuleContext) => OperatorFunction<TraceeEvent, RuleMatch>;
}

/** One detection: the rule, what triggered it, and the process's ancestry. */
export interface Finding {
  rule: Omit<Rule, 'detect' | 'events' | 'execEnv'>;
  event: TraceeEvent;
  /** The triggering process, then its parent, and so on. */
  ancestry: ProcessInfo[];
  data: Record<string, unknown>;
}

/** A rule's operator threw, or its stream failed: it is stopped, the others run on. */
export interface RuleFailure {
  rule: string;
  error: unknown;
}

export type FindingStream = Observable<Finding>;
