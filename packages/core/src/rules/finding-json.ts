// Findings as Tracee prints its detections in JSON: the triggering event's
// context at top level, `eventName` the rule's, the threat metadata beside
// it, the triggering event under `args[0]` (`triggeredBy`). Our additions:
// `processAncestry` (each ancestor's pid, comm, executable and container);
// `eventId` is the rule's own (ruleEventId); `aggregate`, last, where
// identical findings were aggregated (FindingAggregator: Tracee has none).
import { bootEpochNs, traceeJson, type TraceeJsonOptions } from '../tracee-json.js';
import type { Finding } from './rule.js';

/** One finding as a line of JSON (without the newline). */
export function findingJson(f: Finding, options: TraceeJsonOptions = {}): string {
  const event = JSON.parse(traceeJson(f.event, options)) as Record<string, unknown>;
  const epoch = bootEpochNs();
  const { args, eventName, eventId, returnValue, ...context } = event;
  // written again below: exactly, and in Tracee's place
  delete context.timestamp;
  delete context.threadStartTime;
  delete context.argsNum;
  const body = {
    ...context,
    eventId: String(f.rule.eventId),
    eventName: f.rule.eventName,
    argsNum: 1,
    returnValue: 0,
    args: [{ name: 'triggeredBy', type: 'unknown', value: { id: Number(eventId), name: eventName, args, returnValue } }],
    metadata: {
      Version: '1',
      Description: f.rule.description,
      Tags: null,
      // Tracee's Properties is a Go map: its keys print sorted
      Properties: {
        Category: f.rule.mitre.tactic.toLowerCase().replace(/ /g, '-'),
        Kubernetes_Technique: f.rule.mitre.kubernetesTechnique ?? '',
        Severity: f.rule.severity,
        Technique: f.rule.mitre.technique,
        external_id: f.rule.mitre.id,
        id: f.rule.mitre.stixId ?? '',
        signatureID: f.rule.id,
        signatureName: f.rule.name,
      },
    },
    data: f.data,
    processAncestry: f.ancestry.map((p) => ({ hostPid: p.hostPid, comm: p.comm, executable: p.executable, containerId: p.containerId })),
  };
  // timestamps as exact integers, as traceeJson writes them
  const ts = epoch + BigInt(f.event.timestamp);
  const start = epoch + BigInt(f.event.threadStartTime);
  const head = `{"timestamp":${ts},"threadStartTime":${start},${JSON.stringify(body).slice(1)}`;
  if (f.aggregate === undefined) return head;
  const { count, first, last } = f.aggregate;
  return `${head.slice(0, -1)},"aggregate":{"count":${count},"firstTimestamp":${epoch + BigInt(first)},"lastTimestamp":${epoch + BigInt(last)}}}`;
}
