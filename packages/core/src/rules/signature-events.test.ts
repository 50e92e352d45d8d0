// Signatures as events, without a kernel: how policies are split for the
// tracer, and what the stage makes of the tracer's events.
import { describe, expect, it } from 'vitest';
import type { TraceeEvent } from '../generated/schema.js';
import { checkPolicies, policyFromFlags } from '../policy.js';
import { traceeJson } from '../tracee-json.js';
import { BUILTIN_RULES } from './builtin.js';
import type { Rule } from './rule.js';
import { isFindingEvent, planSignatures, SignatureStage, userPolicyMessage } from './signature-events.js';

const P = 4_000_000;
function ev(eventName: string, matchedPolicies: string[], args: Record<string, unknown> = {}, pid = P + 1): TraceeEvent {
  return {
    timestamp: 1, threadStartTime: 1, cgroupId: 1, returnValue: 0, eventId: 0, syscall: -1, hostProcessId: pid, hostThreadId: pid,
    hostParentProcessId: P, processId: pid, threadId: pid, parentProcessId: P, userId: 0, groupId: 0,
    mountNamespace: 1, pidNamespace: 1, processorId: 0, processName: 'x', containerId: '', container: {}, kubernetes: {}, eventName, matchedPolicies, argsNum: 0,
    args: Object.entries(args).map(([name, value]) => ({ name, type: '', value: value as never })), truncated: false, atEntry: false, argsUnknown: false,
    unreadable: [],
  };
}
const byName = (name: string): Rule => BUILTIN_RULES.find((r) => r.eventName === name)!;

describe('signatures as events', () => {
  it("a policy's signatures get a policy of their own in its scope; plain rules stay; the process tree has one", () => {
    const plan = planSignatures([{ name: 'mine', scope: ['comm=bash'], rules: [{ event: 'fileless_execution' }, { event: 'openat', filters: ['data.pathname=/etc/shadow'] }] }], BUILTIN_RULES)!;
    expect(plan.policies.map((p) => [p.name, p.scope, p.rules.map((r) => r.event)])).toEqual([
      ['mine', ['comm=bash'], ['openat']],
      ['tracee-rs/signatures/mine', ['comm=bash'], byName('fileless_execution').events.map((e) => e.event)],
      ['tracee-rs/process-tree', ['global'], ['sched_process_fork', 'sched_process_exec', 'sched_process_exit']],
    ]);
    expect([...plan.selections].map(([r, by]) => [r.eventName, [...by]])).toEqual([['fileless_execution', ['mine']]]);
    expect(planSignatures([{ name: 'plain', scope: ['global'], rules: [{ event: 'openat' }] }], BUILTIN_RULES)).toBeUndefined();
  });

  it('the set `signatures` selects every rule; `-name` takes one out', () => {
    const plan = planSignatures([{ name: '', scope: ['global'], rules: [{ event: 'signatures' }, { event: '-anti_debugging' }] }], BUILTIN_RULES)!;
    expect([...plan.selections.keys()].map((r) => r.eventName).sort()).toEqual(BUILTIN_RULES.map((r) => r.eventName).filter((n) => n !== 'anti_debugging').sort());
    // one rule per event in the signatures' policy (the tracer's rule: an event once per policy)
    const events = plan.policies[0].rules.map((r) => r.event);
    expect(new Set(events).size).toBe(events.length);
  });

  it("several signatures' filters on one event: the same field's values joined, different fields unfiltered", () => {
    const a = { ...byName('anti_debugging'), eventName: 'a', events: [{ event: 'security_file_open', filters: ['data.pathname=/etc/a'] }] };
    const b = { ...a, eventName: 'b', events: [{ event: 'security_file_open', filters: ['data.pathname=/etc/b*'] }] };
    const c = { ...a, eventName: 'c', events: [{ event: 'security_file_open', filters: ['comm=cat'] }] };
    const rules = (sel: Rule[]) => planSignatures([{ name: 'p', scope: ['global'], rules: sel.map((r) => ({ event: r.eventName })) }], sel)!.policies[0].rules;
    expect(rules([a, b])).toEqual([{ event: 'security_file_open', filters: ['data.pathname=/etc/a,/etc/b*'] }]);
    expect(rules([a, c])).toEqual([{ event: 'security_file_open' }]);
  });

  it("a finding is an event for the policies that selected its rule, in Tracee's JSON; events pulled in for rules are not output", () => {
    const plan = planSignatures(
      [
        { name: 'mine', scope: ['comm=bash'], rules: [{ event: 'fileless_execution' }, { event: 'openat' }] },
        { name: 'other', scope: ['global'], rules: [{ event: 'anti_debugging' }] },
      ],
      BUILTIN_RULES,
    )!;
    const stage = new SignatureStage(plan);
    const out = stage.process([
      ev('openat', ['mine']),
      // an exec from memory, in mine's scope
      ev('sched_process_exec', ['tracee-rs/signatures/mine', 'tracee-rs/process-tree'], { pathname: 'memfd:x' }),
      // one seen only through the other policy (which did not select fileless_execution)
      ev('sched_process_exec', ['tracee-rs/signatures/other', 'tracee-rs/process-tree'], { pathname: 'memfd:y' }, P + 2),
      ev('sched_process_exec', ['tracee-rs/process-tree'], { pathname: 'memfd:z' }, P + 3),
    ]);
    expect(out.map((e) => [e.eventName, e.hostProcessId, e.matchedPolicies])).toEqual([
      ['openat', P + 1, ['mine']],
      ['fileless_execution', P + 1, ['mine']],
    ]);
    const finding = out[1];
    expect(isFindingEvent(finding) && finding.finding.rule.id).toBe('TRC-105');
    expect(finding.eventId).toBe(6105);
    const json = JSON.parse(traceeJson(finding));
    expect([json.eventName, json.eventId, json.matchedPolicies, json.metadata.Properties.signatureID, json.args[0].name, json.args[0].value.name]).toEqual([
      'fileless_execution', '6105', ['mine'], 'TRC-105', 'triggeredBy', 'sched_process_exec',
    ]);
    expect(stage.end()).toEqual([]);
  });

  it('flags: a signature after a filter starts a rule of its own; policies name signatures, with their problems at their rule', () => {
    const p = policyFromFlags([], ['openat.data.pathname=/a,/b,anti_debugging'], BUILTIN_RULES.map((r) => r.eventName));
    expect(p.rules).toEqual([{ event: 'openat', filters: ['data.pathname=/a,/b'] }, { event: 'anti_debugging', filters: [] }]);
    const issues = checkPolicies([
      { name: 'ok', scope: ['global'], rules: [{ event: 'fileless_execution' }] },
      { name: 'bad', scope: ['global'], rules: [{ event: 'anti_debugging', filters: ['comm=x'] }, { event: 'nosuchevent' }] },
    ]);
    expect(issues.map((i) => [i.name, i.path, i.code])).toEqual([
      ['bad', '/rules/0/filters', 'EPOLICY'],
      ['bad', '/rules/1/event', 'EUNKNOWNEVENT'],
    ]);
    // one typo from a signature: said as one, once
    const typo = checkPolicies([{ name: 't', scope: ['global'], rules: [{ event: 'anti_debuging' }] }]);
    expect(typo.map((i) => [i.path, i.message])).toEqual([['/rules/0/event', "unknown event 'anti_debuging'; did you mean the signature anti_debugging? (`tracee-rs list events --tag signatures` lists them)"]]);
    expect(() => planSignatures([policyFromFlags([], ['fileless_executon'])], BUILTIN_RULES)).toThrow(/^unknown event 'fileless_executon'; did you mean the signature fileless_execution\?/);
  });

  it('exclusions: a policy whose signatures are all excluded selects nothing (said as for events); one with plain events goes on; tag=signatures is the set', () => {
    expect(() => planSignatures([policyFromFlags([], ['anti_debugging,-anti_debugging'])], BUILTIN_RULES)).toThrow(/^its rules select no events \(every signature named is excluded\)$/);
    expect(() => planSignatures([{ name: 'p', scope: ['global'], rules: [{ event: 'signatures' }, { event: '-signatures' }] }], BUILTIN_RULES)).toThrow(/^policy 'p': its rules select no events/);
    const plain = planSignatures([policyFromFlags([], ['openat,-anti_debugging'])], BUILTIN_RULES)!;
    expect(plain.policies.map((p) => p.rules.map((r) => r.event))).toEqual([['openat']]);
    expect(planSignatures([policyFromFlags([], ['tag=signatures'])], BUILTIN_RULES)!.selections.size).toBe(BUILTIN_RULES.length);
    const issues = checkPolicies([
      { name: 'b', scope: ['global'], rules: [{ event: 'openat' }] },
      { name: 'c', scope: ['global'], rules: [{ event: 'anti_debugging' }, { event: '-anti_debugging' }] },
    ]);
    expect(issues.map((i) => [i.policy, i.name, i.path, i.message])).toEqual([[1, 'c', '/rules', 'its rules select no events (every signature named is excluded)']]);
  });

  it("the tracer's messages name the user's policy, not the one added for its signatures", () => {
    expect(userPolicyMessage("policy 'tracee-rs/signatures/mine': scope comm= has no value")).toBe("policy 'mine': scope comm= has no value");
    expect(userPolicyMessage("policy 'tracee-rs/signatures/': scope comm= has no value")).toBe('scope comm= has no value');
  });

  it('past the tracer\'s 64 policies, one clear error', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `p${i}`, scope: ['global'], rules: [{ event: 'openat' }, { event: 'anti_debugging' }] }));
    expect(() => planSignatures(many, BUILTIN_RULES)).toThrow(/81 policies needed: the 40 given, one more for each that selects signatures .* at most 64/);
  });
});
