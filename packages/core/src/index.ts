export { trace, type TraceObserverOptions } from './trace.js';
export { DEFAULT_ENRICH_WAIT_MS, TraceSession, type ProgramStats, type ReloadOptions, type RingFill, type TraceInfo, type TraceOptions, type TraceStats } from './session.js';
export { ContainerEnricher, ENRICH_POLL_MS, enrichmentOf, presentRuntimes, type EnrichedTable } from './containers/enricher.js';
export type { NativeContainer, NativeEnrichment } from './generated/native.js';
export { TraceeError, type TraceeErrorCode } from './errors.js';
export { DEFAULTS, ERROR_CODES, SCOPE_SYNTAX, type SyscallHooks } from './generated/core.js';
export {
  POLICY_SCHEMA,
  PolicyError,
  checkPolicies,
  dottedPath,
  formatIssue,
  loadPolicies,
  parseSource,
  policyFromFlags,
  schemaProblems,
  sourcePosition,
  toYaml,
  type LoadedPolicy,
  type SchemaProblem,
  type SourceDocument,
  type SourceIssue,
  type Policy,
  type PolicyIssue,
  type PolicyRule,
} from './policy.js';
export {
  EVENTS,
  EVENT_SETS,
  LIMITS,
  eventById,
  decodeBatch,
  type ArgDef,
  type ArgKind,
  type Decoder,
  CONSTANTS,
  type EventArg,
  type EventDef,
  type EventName,
  type EventSet,
  type Msghdr,
  type HookedSymbolData,
  type Sockaddr,
  type Timespec,
  type ArgValue,
  type TraceeEvent,
  type ContainerView,
  type EventContainer,
  type EventKubernetes,
  HOST_VIEW,
} from './generated/schema.js';
export { platformTriple } from './binding.js';
export { argOf, decodeValue, decodedArgs, errnoName, formatReturn, formatStruct } from './decode.js';
export { bootEpochNs, parseEventJson, traceeJson, type TraceeJsonOptions } from './tracee-json.js';
export { btfExtract, btfInfo, btfList, btfReport, doctor, type BtfInfo, type DoctorCheck, type EmbeddedBtf } from './btf.js';

import { loadBinding } from './binding.js';
import { EVENTS, type EventDef } from './generated/schema.js';
import { BUILTIN_RULES } from './rules/builtin.js';
import { ruleEventId, type Rule } from './rules/rule.js';
import { SIGNATURES_SET } from './rules/signature-events.js';

/** Every event tracee-rs can trace, optionally only those of one set (`signatures`: see {@link listSignatures}). */
export function listEvents(set?: string): readonly EventDef[] {
  return set ? EVENTS.filter((e) => (e.sets as readonly string[]).includes(set)) : EVENTS;
}

/**
 * "Did you mean": up to `n` of `candidates` nearest to `name` by edit
 * distance, none more than `within` edits away, nearest first (tracee-core's
 * catalog::nearest, which names the events and scope fields).
 */
export function nearestNames(name: string, candidates: readonly string[], n = 1, within = 2): string[] {
  return loadBinding().nearestNames(name, [...candidates], n, within);
}

/**
 * The signatures selectable as events (the set `signatures`), as Tracee
 * lists them: the rule's event name and id, and the events it needs.
 */
export function listSignatures(rules: readonly Rule[] = BUILTIN_RULES): { name: string; id: number; signatureId: string; sets: string[]; needs: string[] }[] {
  return rules.map((r) => ({ name: r.eventName, id: ruleEventId(r), signatureId: r.id, sets: [SIGNATURES_SET], needs: [...new Set(r.events.map((e) => e.event))] }));
}
export * from './rules/index.js';
export * from './containers/runtimes/index.js';
