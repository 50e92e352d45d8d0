// Running rules on a stream of events: `detect(rules)` is the operator,
// `findings(rules)` traces exactly the events the rules need and applies it.
import type { Observable, OperatorFunction, Subscriber, Subscription } from 'rxjs';
import { TraceeError } from '../errors.js';
import { observableClass, rx } from '../rx.js';
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
  /**
   * The events come from a trace of {@link rulePolicies}`(rules)` (as
   * {@link findings} makes one): a rule gets only the events its own policy
   * matched (`matchedPolicies` has its id), i.e. with its own filters applied
   * in the kernel, as if it ran alone; not the events of its names that only
   * other rules' filters let through. Default false: every rule gets every
   * event it names, whatever policies matched it (recorded events, whose
   * policies are others').
   */
  byPolicy?: boolean;
}

/**
 * A rule's input: the events routed to it, passed on to each subscriber its
 * operator made (usually one). What a Subject does, without the closure and
 * iterator a Subject's next() allocates per event (most of the rule layer's
 * time with many rules: npm run bench).
 */
function ruleInput(): { events$: Observable<TraceeEvent>; next: (e: TraceeEvent) => void; complete: () => void } {
  // replaced, never changed in place: a next() under way keeps its list
  let subscribers: readonly Subscriber<TraceeEvent>[] = [];
  let completed = false;
  const Observable = observableClass();
  return {
    events$: new Observable<TraceeEvent>((s) => {
      // as a Subject: a subscriber that comes after the end gets the end
      if (completed) return s.complete();
      subscribers = [...subscribers, s];
      return () => {
        subscribers = subscribers.filter((x) => x !== s);
      };
    }),
    next: (e) => {
      for (const s of subscribers) s.next(e);
    },
    complete: () => {
      completed = true;
      for (const s of subscribers) s.complete();
    },
  };
}

/** One rule at work in detect(). */
interface RuleRun {
  rule: Rule;
  wanted: ReadonlySet<string>;
  input: ReturnType<typeof ruleInput>;
  sub?: Subscription;
  alive: boolean;
}

/**
 * Runs `rules` on a stream of events: each rule's operator gets the events
 * it declared (by name; with `byPolicy`, those its own policy matched), all
 * of them share one process tree kept from the fork/exec/exit events, and
 * every match becomes a {@link Finding} with the rule's metadata and the
 * process's ancestry. A rule that throws is isolated: it is reported and
 * stops; the others go on.
 */
export function detect(rules: readonly Rule[], options: DetectOptions = {}): OperatorFunction<TraceeEvent, Finding> {
  const report = options.onRuleError ?? ((f: RuleFailure) => process.stderr.write(`tracee-rs: rule ${f.rule} failed and is stopped: ${String((f.error as Error)?.message ?? f.error)}\n`));
  const { selects, byPolicy = false } = options;
  const Observable = observableClass();
  return (source) =>
    new Observable<Finding>((out) => {
      const tree = options.tree ?? new ProcessTree();
      const runs = rules.map((rule): RuleRun => {
        const eventId = ruleEventId(rule);
        const run: RuleRun = { rule, wanted: new Set(rule.events.map((r) => r.event)), input: ruleInput(), alive: true };
        const stop = (error: unknown) => {
          if (!run.alive) return;
          run.alive = false;
          report({ rule: rule.id, error });
        };
        try {
          run.sub = rule.detect({ tree }).call(undefined, run.input.events$).subscribe({
            next: (m) => {
              const { id, eventName, name, description, severity, mitre } = rule;
              out.next({ rule: { id, eventId, eventName, name, description, severity, mitre }, event: m.event, ancestry: tree.ancestry(m.event.hostProcessId), data: m.data ?? {} });
            },
            error: stop,
          });
        } catch (e) {
          stop(e);
        }
        return run;
      });
      // the rules by the event names they declared, and by their policies' names (their ids), in `rules`' order
      const byName = new Map<string, RuleRun[]>();
      for (const r of runs) for (const name of r.wanted) byName.set(name, [...(byName.get(name) ?? []), r]);
      const byId = new Map(runs.map((r) => [r.rule.id, r]));
      const deliver = (r: RuleRun, e: TraceeEvent) => {
        if (!r.alive || (selects && !selects(r.rule, e))) return;
        try {
          r.input.next(e);
        } catch (err) {
          // a synchronous throw inside the rule's operator chain
          r.sub?.unsubscribe();
          report({ rule: r.rule.id, error: err });
        }
      };
      const subscription = source.subscribe({
        next: (e) => {
          tree.observe(e);
          if (byPolicy) {
            for (const policy of e.matchedPolicies) {
              const r = byId.get(policy);
              if (r !== undefined && r.wanted.has(e.eventName)) deliver(r, e);
            }
          } else {
            const named = byName.get(e.eventName);
            if (named !== undefined) for (const r of named) deliver(r, e);
          }
        },
        error: (err) => out.error(err),
        complete: () => {
          for (const r of runs) r.input.complete();
          out.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        for (const r of runs) r.sub?.unsubscribe();
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
 * JavaScript) and emits the findings; each rule gets the events its own
 * policy matched (detect's `byPolicy`).
 *
 * ```ts
 * findings(BUILTIN_RULES).subscribe((f) => console.log(f.rule.id, f.event.processName));
 * ```
 */
export function findings(rules: readonly Rule[], options: Omit<TraceObserverOptions, 'events' | 'scope' | 'policies'> & Pick<DetectOptions, 'onRuleError' | 'tree'> = {}): Observable<Finding> {
  const { onRuleError, tree, ...traceOptions } = options;
  if (rules.length > MAX_RULES) {
    return rx().throwError(() => new TraceeError('EINVAL', `${rules.length} rules: at most ${MAX_RULES} run in one trace (each is a policy, and one policy keeps the process tree: ${LIMITS.MAX_POLICIES} in all)`));
  }
  const execEnv = traceOptions.execEnv || rules.some((r) => r.execEnv);
  return trace({ ...traceOptions, execEnv, policies: rulePolicies(rules) }).pipe(detect(rules, { onRuleError, tree, byPolicy: true }));
}
