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
  /**
   * MITRE ATT&CK's STIX id of the technique (`attack-pattern--…`), as
   * Tracee's signature gives it in `Properties.id`; absent or "" when
   * Tracee's gives none.
   */
  stixId?: string;
  /** Tracee's `Properties.Kubernetes_Technique` (often ""); absent is "". */
  kubernetesTechnique?: string;
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
  /**
   * The numeric event id of its findings (their `eventId`). Default: from the
   * rule's id, so it stays the same whatever other rules run ({@link ruleEventId}).
   */
  eventId?: number;
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

/**
 * The `eventId` of a rule's findings: its own `eventId`, else 6000 + n for
 * Tracee's ids `TRC-n` (TRC-101 → 6101, TRC-1010 → 7010; Tracee numbers its
 * signature events from 6000 in load order, which changes as signatures are
 * added), else a hash of the id (FNV-1a) in 100000–2^31−1.
 */
export function ruleEventId(rule: Pick<Rule, 'id' | 'eventId'>): number {
  if (rule.eventId !== undefined) return rule.eventId;
  const trc = /^TRC-(\d{1,4})$/.exec(rule.id);
  if (trc) return 6000 + Number(trc[1]);
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(rule.id)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return 100_000 + (h % (2 ** 31 - 100_000));
}

/** One detection: the rule, what triggered it, and the process's ancestry. */
export interface Finding {
  rule: Omit<Rule, 'detect' | 'events' | 'execEnv' | 'eventId'> & { eventId: number };
  event: TraceeEvent;
  /** The triggering process, then its parent, and so on. */
  ancestry: ProcessInfo[];
  data: Record<string, unknown>;
  /** Set where identical findings were aggregated: this finding stands for them all. */
  aggregate?: FindingAggregate;
}

/**
 * Ours (Tracee has no aggregation): identical findings gathered in one
 * window (FindingAggregator, aggregate.ts), the finding's `event` the
 * first's. JSON: `"aggregate":{"count","firstTimestamp","lastTimestamp"}`
 * (finding-json.ts, epoch ns).
 */
export interface FindingAggregate {
  /** How many identical findings (>= 1). */
  count: number;
  /** The earliest of their triggering events' timestamps: ns since boot, as TraceeEvent.timestamp. */
  first: number;
  /** The latest of them, likewise. */
  last: number;
}

/** A rule's operator threw, or its stream failed: it is stopped, the others run on. */
export interface RuleFailure {
  rule: string;
  error: unknown;
}

export type FindingStream = Observable<Finding>;
