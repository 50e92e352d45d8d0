// The rule layer: rules as typed objects with an RxJS operator each,
// `detect` to run them on events, `findings` to trace what they need.
export { BUILTIN_RULES } from './builtin.js';
export { TREE_EVENTS, detect, findings, rulePolicies, type DetectOptions } from './detect.js';
export { findingJson } from './finding-json.js';
export { DEFAULT_MAX_GROUPS, FindingAggregator, findingKey, type AggregateOptions, type AggregateStats } from './aggregate.js';
export { aggregateFindings, type AggregateFindingsOptions } from './aggregate-findings.js';
export { ProcessTree, type ProcessInfo } from './process-tree.js';
export { ruleEventId, type Finding, type FindingAggregate, type Mitre, type Rule, type RuleContext, type RuleFailure, type RuleMatch, type Severity } from './rule.js';
export { replay } from './replay.js';
export { loadRules } from './load.js';
export { SIGNATURES_SET, SignatureStage, findingEvent, isFindingEvent, planSignatures, type FindingEvent, type SignaturePlan } from './signature-events.js';
