// Running rules on a stream of events: `detect(rules)` is the operator,
// `findings(rules)` traces exactly the events the rules need and applies it.
import type { Observable, OperatorFunction } from 'rxjs';
import { TraceeError } from '../errors.js';
import { rx } from '../rx.js';
import { trace, type TraceObserverOptions } from '../trace.js';
import type { Policy } from '../policy.js';
import { LIMITS, type TraceeEvent } from '../generated/schema.js';
import { ProcessTree } from './process-tree.js';
import { ruleEventId, type Finding, type Rule, type RuleFailure } from './rule.js';

/** Rules one trace can run: one policy each, and one for the process tree. */
export const MAX_RULES = LIMITS.MAX_POLICIES - 1;

/** The kernel events the process tree is kept from. */
export const TREE_EVENTS = ['sched_process_fork', 'sched_process_exec', 'sched_process_exit'] as const;

export interface DetectOptions {
  /** Called when a rule throws: that rule stops, the others run on. Default: a line on stderr. */
  onRuleError?: (failure: RuleFailure) => void;
  /** The process tree to keep (default: a new one). */
  tree?: ProcessTree;
  /** Whether `rule` gets `event` (besides wanting its name); default: every rule gets every event it names. */
  selects?: (rule: Rule, event: TraceeEvent) => boolean;
}

/**
 * Runs `rules` on a stream of events: each rule's operator gets the events
 * it declared (by name), all of them share one process tree kept from the
 * fork/exec/exit events, and every match becomes a {@link Finding} with the
 * rule's metadata and the process's ancestry. A rule that throws is
 * isolated: it is reported and stops; the others go on.
 */
export function detect(rules: readonly Rule[], options: DetectOptions = {}): OperatorFunction<TraceeEvent, Finding> {
  const report = options.onRuleError ?? ((f: RuleFailure) => process.stderr.write(`tracee-rs: rule ${f.rule} failed and is stopped: ${String((f.error as Error)?.message ?? f.error)}\n`));
  const { Observable, Subject } = rx();
  return (source) =>
    new Observable<Finding>((out) => {
      const tree = options.tree ?? new ProcessTree();
      const inputs = rules.map((rule) => {
        const eventId = ruleEventId(rule);
        const wanted = new Set(rule.events.map((r) => r.event));
        const input = new Subject<TraceeEvent>();
        let alive = true;
        const stop = (error: unknown) => {
          if (!alive) return;
          alive = false;
          report({ rule: rule.id, error });
        };
        let sub;
        try {
          sub = rule.detect({ tree }).call(undefined, input).subscribe({
            next: (m) => {
              const { id, eventName, name, description, severity, mitre } = rule;
              out.next({ rule: { id, eventId, eventName, name, description, severity, mitre }, event: m.event, ancestry: tree.ancestry(m.event.hostProcessId), data: m.data ?? {} });
            },
            error: stop,
          });
        } catch (e) {
          stop(e);
        }
        return { rule, wanted, input, sub, alive: () => alive };
      });
      const subscription = source.subscribe({
        next: (e) => {
          tree.observe(e);
          for (const r of inputs) {
            if (!r.alive() || !r.wanted.has(e.eventName) || (options.selects && !options.selects(r.rule, e))) continue;
            try {
              r.input.next(e);
            } catch (err) {
              // a synchronous throw inside the rule's operator chain
              r.sub?.unsubscribe();
              report({ rule: r.rule.id, error: err });
            }
          }
        },
        error: (err) => out.error(err),
        complete: () => {
          for (const r of inputs) r.input.complete();
          out.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        for (const r of inputs) r.sub?.unsubscribe();
      };
    });
}

/**
 * The policies that select what `rules` need: one per rule (named by its
 * id, so each event says which rules asked for it), and one for the
 * process tree.
 */
export function rulePolicies(rules: readonly Rule[]): Policy[] {
  return [
    { name: 'process-tree', scope: ['global'], rules: TREE_EVENTS.map((event) => ({ event })) },
    ...rules.map((r) => ({ name: r.id, scope: ['global'], rules: r.events.map((e) => ({ event: e.event, filters: [...(e.filters ?? [])] })) })),
  ];
}

/**
 * Traces exactly the events `rules` need (their filters applied before
 * JavaScript) and emits the findings.
 *
 * ```ts
 * findings(BUILTIN_RULES).subscribe((f) => console.log(f.rule.id, f.event.processName));
 * ```
 */
export function findings(rules: readonly Rule[], options: Omit<TraceObserverOptions, 'events' | 'scope' | 'policies'> & DetectOptions = {}): Observable<Finding> {
  const { onRuleError, tree, ...traceOptions } = options;
  if (rules.length > MAX_RULES) {
    return rx().throwError(() => new TraceeError('EINVAL', `${rules.length} rules: at most ${MAX_RULES} run in one trace (each is a policy, and one policy keeps the process tree: ${LIMITS.MAX_POLICIES} in all)`));
  }
  const execEnv = traceOptions.execEnv || rules.some((r) => r.execEnv);
  return trace({ ...traceOptions, execEnv, policies: rulePolicies(rules) }).pipe(detect(rules, { onRuleError, tree }));
}
