// Signatures as events, Tracee's model: a rule's event name is accepted
// wherever an event name is (--events, policy rules, trace({ events })) and
// turns on the events the rule needs, under the selecting policy's scope;
// its findings come out as events named after the rule, carrying the names
// of the policies that selected it in matchedPolicies. A signature and
// plain events can share a policy.
//
// How: each user policy P that names signatures gets a policy of its own
// for their events (`tracee-rs/signatures/P`, P's scope), and one policy
// keeps the process tree (`tracee-rs/process-tree`); '/' is not allowed in
// users' policy names, so these never clash. An event goes out as an event
// only when it matched one of the users' policies (and then only with
// their names); it goes to a rule when it matched the signature policy of
// a user policy that selected that rule.
import type { Subject, Subscription } from 'rxjs';
import { loadBinding } from '../binding.js';
import { TraceeError } from '../errors.js';
import { rx } from '../rx.js';
import { CATALOG_NAMES, LIMITS, type TraceeEvent } from '../generated/schema.js';
import type { Policy, PolicyRule } from '../policy.js';
import { detect, TREE_EVENTS, type DetectOptions } from './detect.js';
import { ProcessTree } from './process-tree.js';
import type { Finding, Rule } from './rule.js';

/** The set name that selects every signature (as Tracee's `signatures` set; `tag=signatures` too). */
export const SIGNATURES_SET = 'signatures';

/** Prefix of the policies tracee-rs adds; users' names cannot contain '/'. */
const INTERNAL = 'tracee-rs/';
const TREE_POLICY = `${INTERNAL}process-tree`;
/** One of the policies this module adds (for a policy's signatures, or the process tree). */
export const isInternalPolicy = (name: string): boolean => name.startsWith(INTERNAL);
const SIGNATURE_POLICY = `${INTERNAL}signatures/`;

/** A finding as an event: Tracee's shape (the triggering event's context, the rule's name and id, `triggeredBy`), with the finding itself. */
export interface FindingEvent extends TraceeEvent {
  finding: Finding;
}

export const isFindingEvent = (e: TraceeEvent): e is FindingEvent => (e as Partial<FindingEvent>).finding !== undefined;

/** A problem with a policy's signature rules: the policy's index, a JSON pointer into it, the message. */
export interface SignatureIssue {
  policy: number;
  path: string;
  message: string;
  code: 'EPOLICY' | 'EUNKNOWNEVENT';
}

/** What a trace with signatures runs: the tracer's policies, and which user policies selected each rule. */
export interface SignaturePlan {
  policies: Policy[];
  /** Each selected rule, with the names of the user policies that selected it. */
  selections: Map<Rule, Set<string>>;
}

/** The signature a policy rule's event names (or every rule, for the `signatures` set); undefined for anything else. */
function signaturesNamed(event: string, rules: readonly Rule[]): readonly Rule[] | undefined {
  const name = event.trim();
  // Tracee's spelling of a set: tag=signatures
  if (name === SIGNATURES_SET || name === `tag=${SIGNATURES_SET}`) return rules;
  const rule = rules.find((r) => r.eventName === name);
  return rule ? [rule] : undefined;
}

/** Whether a policy rule names a signature (or excludes one: `-anti_debugging`). */
export const isSignatureRule = (r: PolicyRule, rules: readonly Rule[]): boolean => signaturesNamed(r.event.trim().replace(/^-/, ''), rules) !== undefined;

/** For a name that is neither an event, a set, a pattern nor a signature: the signature it is likely a typo of. */
function misspeltSignature(event: string, rules: readonly Rule[]): string | undefined {
  const name = event.trim().replace(/^-/, '');
  if (CATALOG_NAMES.has(name) || name.includes('*') || signaturesNamed(name, rules)) return undefined;
  const [best] = loadBinding().nearestNames(name, rules.map((r) => r.eventName), 1, 2);
  return best;
}

/**
 * Problems of the signature rules of `policies`: filters on a signature
 * (not supported), and a name one typo away from a signature's.
 */
export function signatureIssues(policies: readonly Policy[], rules: readonly Rule[]): SignatureIssue[] {
  const issues: SignatureIssue[] = [];
  policies.forEach((p, pi) =>
    p.rules.forEach((r, ri) => {
      const meant = misspeltSignature(r.event, rules);
      if (meant !== undefined) {
        issues.push({ policy: pi, path: `/rules/${ri}/event`, code: 'EUNKNOWNEVENT', message: `unknown event '${r.event.trim()}'; did you mean the signature ${meant}? (\`tracee-rs list events --tag signatures\` lists them)` });
      }
      if (isSignatureRule(r, rules) && (r.filters?.length ?? 0) > 0) {
        issues.push({
          policy: pi,
          path: `/rules/${ri}/filters`,
          code: 'EPOLICY',
          message: `'${r.event}' is a signature: its findings cannot be filtered (put scope filters such as comm= in the policy's scope)`,
        });
      }
    }),
  );
  return issues;
}

/**
 * The events several signatures need, one policy rule per event: a rule
 * without filters wins; the same filters stay; one `data.X=` filter each
 * on the same X join their values; otherwise the event comes unfiltered
 * (rules never rely on filters, which only narrow what the kernel sends).
 */
function mergeNeeds(selected: readonly Rule[]): PolicyRule[] {
  const byEvent = new Map<string, (readonly string[])[]>();
  for (const r of selected) {
    for (const need of r.events) {
      const list = byEvent.get(need.event) ?? [];
      list.push(need.filters ?? []);
      byEvent.set(need.event, list);
    }
  }
  return [...byEvent].map(([event, lists]) => {
    const keys = new Set(lists.map((l) => JSON.stringify([...l].sort())));
    if (lists.some((l) => l.length === 0)) return { event };
    if (keys.size === 1) return { event, filters: [...lists[0]] };
    const fields = lists.map((l) => (l.length === 1 ? /^(data\.[A-Za-z0-9_]+)=(.*)$/.exec(l[0]) : null));
    if (fields.every((m) => m && m[1] === fields[0]![1])) {
      const values = [...new Set(fields.flatMap((m) => m![2].split(',')))];
      return { event, filters: [`${fields[0]![1]}=${values.join(',')}`] };
    }
    return { event };
  });
}

/**
 * Splits `policies` into what the tracer runs: each user policy with its
 * plain rules, a policy per user policy for the events of its signatures,
 * and the process tree's. Undefined when no policy names a signature.
 * Throws a TraceeError (EPOLICY) for a filter on a signature, or past the
 * tracer's limit of policies.
 */
export function planSignatures(policies: readonly Policy[], rules: readonly Rule[]): SignaturePlan | undefined {
  const issues = signatureIssues(policies, rules);
  if (issues.length > 0) {
    const i = issues[0];
    const p = policies[i.policy];
    throw new TraceeError(i.code, p.name ? `policy '${p.name}': ${i.message}` : i.message);
  }
  const selections = new Map<Rule, Set<string>>();
  const out: Policy[] = [];
  const signaturePolicies: Policy[] = [];
  let named = false;
  for (const p of policies) {
    const selected = new Set<Rule>();
    const excluded = new Set<Rule>();
    const plain: PolicyRule[] = [];
    for (const r of p.rules) {
      const event = r.event.trim();
      const signatures = signaturesNamed(event.replace(/^-/, ''), rules);
      if (!signatures) plain.push(r);
      else for (const rule of signatures) (event.startsWith('-') ? excluded : selected).add(rule);
    }
    for (const rule of excluded) selected.delete(rule);
    named ||= selected.size + excluded.size > 0;
    if (plain.length > 0) out.push({ ...p, rules: plain });
    if (selected.size === 0 && excluded.size > 0 && (plain.length === 0 || plain.every((r) => r.event.trim().startsWith('-')))) {
      throw new TraceeError('EPOLICY', `${p.name ? `policy '${p.name}': ` : ''}its rules select no events (every signature named is excluded)`);
    }
    if (selected.size === 0) continue;
    for (const rule of selected) {
      const by = selections.get(rule) ?? new Set<string>();
      by.add(p.name);
      selections.set(rule, by);
    }
    signaturePolicies.push({ name: `${SIGNATURE_POLICY}${p.name}`, scope: [...p.scope], rules: mergeNeeds([...selected]) });
  }
  if (!named) return undefined;
  // signatures named, none left (`-name` only): their exclusions go, the rest as given
  if (selections.size === 0) return { policies: out, selections };
  const all = [...out, ...signaturePolicies, { name: TREE_POLICY, scope: ['global'], rules: TREE_EVENTS.map((event) => ({ event })) }];
  if (all.length > LIMITS.MAX_POLICIES) {
    throw new TraceeError(
      'EPOLICY',
      `${all.length} policies needed: the ${policies.length} given, one more for each that selects signatures (their events, in its scope) and one for the process tree; at most ${LIMITS.MAX_POLICIES} load at once: put the signatures in fewer policies`,
    );
  }
  return { policies: all, selections };
}

/** A message of the tracer's with the policies this module adds named as the user's (or as the flags', for `""`). */
export function userPolicyMessage(message: string): string {
  return message.replace(new RegExp(`policy '${SIGNATURE_POLICY}([^']*)': `, 'g'), (_, user: string) => (user ? `policy '${user}': ` : ''));
}

/** A finding as an event, as Tracee emits one: matchedPolicies are the user policies that selected the rule. */
export function findingEvent(f: Finding, matchedPolicies: readonly string[]): FindingEvent {
  const trigger = f.event;
  return {
    ...trigger,
    eventName: f.rule.eventName,
    eventId: f.rule.eventId,
    returnValue: 0,
    matchedPolicies,
    argsNum: 1,
    args: [{ name: 'triggeredBy', type: 'unknown', value: { id: trigger.eventId, name: trigger.eventName, args: trigger.args, returnValue: trigger.returnValue } as never }],
    atEntry: false,
    argsUnknown: false,
    unreadable: [],
    truncated: false,
    finding: { ...f, event: { ...trigger, matchedPolicies } },
  };
}

/**
 * The rules of a {@link SignaturePlan} at work on a trace's batches: in go
 * the tracer's events, out come the events the user selected (with only
 * the users' policy names) and, after the event that triggered each, the
 * findings as events. Findings a rule emits later (a timer) come with the
 * next batch.
 */
export class SignatureStage {
  #input: Subject<TraceeEvent> = new (rx().Subject)<TraceeEvent>();
  #out: TraceeEvent[] = [];
  #sub: Subscription;

  constructor(plan: SignaturePlan, options: Pick<DetectOptions, 'onRuleError'> = {}) {
    const owner = (policy: string) => (policy.startsWith(SIGNATURE_POLICY) ? policy.slice(SIGNATURE_POLICY.length) : undefined);
    // the users' policies through which `e` reached `rule`
    const via = (rule: Rule, e: TraceeEvent): string[] => {
      const by = plan.selections.get(rule);
      return e.matchedPolicies.map(owner).filter((p): p is string => p !== undefined && by !== undefined && by.has(p));
    };
    const rules = [...plan.selections.keys()];
    const byId = new Map(rules.map((r) => [r.id, r]));
    this.#sub = this.#input
      .pipe(detect(rules, { tree: new ProcessTree(), onRuleError: options.onRuleError, selects: (rule, e) => via(rule, e).length > 0 }))
      .subscribe({
        next: (f) => this.#out.push(findingEvent(f, via(byId.get(f.rule.id)!, f.event))),
        error: (e) => {
          throw e;
        },
      });
  }

  /** The events to emit for one batch from the tracer. */
  process(events: readonly TraceeEvent[]): TraceeEvent[] {
    for (const e of events) {
      const users = e.matchedPolicies.filter((p) => !p.startsWith(INTERNAL));
      if (users.length > 0) this.#out.push(users.length === e.matchedPolicies.length ? e : { ...e, matchedPolicies: users });
      this.#input.next(e);
    }
    return this.take();
  }

  /** What is waiting (findings emitted between batches). */
  take(): TraceeEvent[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** The trace ended: the rules complete; what they emit then. */
  end(): TraceeEvent[] {
    this.#input.complete();
    this.#sub.unsubscribe();
    return this.take();
  }
}
