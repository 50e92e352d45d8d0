// Every builtin rule's MITRE ATT&CK metadata beside Tracee's signature of the
// same id (signatures/golang/<file>.go, GetMetadata's Properties): the STIX
// id of the technique (`id`) and `Kubernetes_Technique`.
import { describe, expect, it } from 'vitest';
import type { TraceeEvent } from '../../generated/schema.js';
import { BUILTIN_RULES } from '../builtin.js';
import { findingJson } from '../finding-json.js';
import { ruleEventId, type Rule } from '../rule.js';

const STIX = (uuid: string) => `attack-pattern--${uuid}`;

/** rule id → [Properties.id, Properties.Kubernetes_Technique], Tracee's. */
const TRACEE: Record<string, [string, string]> = {
  'TRC-101': [STIX('a9d4b653-6915-42af-98b2-5758c4ceee56'), ''],
  'TRC-102': [STIX('e4dc8c01-417f-458d-9ee0-bb0617c1b391'), ''],
  'TRC-103': [STIX('ea016b56-ae0e-47fe-967a-cc0ad51af67f'), ''],
  'TRC-104': [STIX('deb98323-e13f-4b0c-8d94-175379069062'), ''],
  'TRC-105': [STIX('4933e63b-9b77-476e-ab29-761bc5b7d15a'), ''],
  'TRC-106': [STIX('4a5b7ade-8bb5-4853-84ed-23f262002665'), ''],
  'TRC-107': [STIX('aedfca76-3b30-4866-b2aa-0f1d7fd1e4b6'), ''],
  'TRC-108': [STIX('9c306d8d-cde7-4b4c-b6e8-d0bb16caca36'), 'Container service account'],
  'TRC-109': [STIX('b21c3b2d-02e6-45b1-980b-e69051040839'), ''],
  'TRC-1010': [STIX('4a5b7ade-8bb5-4853-84ed-23f262002665'), ''],
  'TRC-1011': [STIX('4a5b7ade-8bb5-4853-84ed-23f262002665'), ''],
  'TRC-1012': [STIX('aedfca76-3b30-4866-b2aa-0f1d7fd1e4b6'), ''],
  // Tracee's gives neither (its Properties: Severity and "MITRE ATT&CK" only)
  'TRC-1013': ['', ''],
  'TRC-1014': [STIX('4a5b7ade-8bb5-4853-84ed-23f262002665'), ''],
  'TRC-1015': [STIX('ec8fc7e2-b356-455c-8db5-2e37be158e7d'), ''],
  'TRC-1016': [STIX('3f886f2a-874f-4333-b794-aa6075009b1c'), ''],
  'TRC-1017': [STIX('a1b52199-c8c5-438a-9ded-656f1d0888c6'), ''],
  'TRC-1018': [STIX('890c9858-598c-401d-a4d5-c67ebcdd703a'), ''],
  'TRC-1019': [STIX('b21c3b2d-02e6-45b1-980b-e69051040839'), ''],
  'TRC-1020': [STIX('0f20e3cb-245b-4a61-8a91-2d93f7cb0e9b'), ''],
  'TRC-1021': [STIX('4a5b7ade-8bb5-4853-84ed-23f262002665'), ''],
  'TRC-1022': [STIX('42e8de7b-37b2-4258-905a-6897815e58e0'), ''],
  'TRC-1023': [STIX('3120b9fa-23b8-4500-ae73-09494f607b7d'), ''],
  'TRC-1024': [STIX('d201d4cc-214d-4a74-a1ba-b3fa09fd4591'), ''],
  'TRC-1025': [STIX('43e7dc91-05b2-474c-b9ac-2ed4fe101f4d'), ''],
  'TRC-1026': [STIX('dca670cf-eeec-438f-8185-fd959d9ef211'), ''],
  'TRC-1027': [STIX('2acf44aa-542f-4366-b4eb-55ef5747759c'), ''],
  'TRC-1028': [STIX('1365fe3b-0f50-455d-b4da-266ce31c23b0'), ''],
  'TRC-1029': [STIX('0470e792-32f8-46b0-a351-652bc35e9336'), ''],
  'TRC-1030': [STIX('0f20e3cb-245b-4a61-8a91-2d93f7cb0e9b'), ''],
  'TRC-1031': [STIX('4a5b7ade-8bb5-4853-84ed-23f262002665'), ''],
};

describe("builtin rules' MITRE metadata is Tracee's", () => {
  it('every builtin rule is listed, and only those', () => {
    expect(BUILTIN_RULES.map((r) => r.id).sort()).toEqual(Object.keys(TRACEE).sort());
  });

  it.each(BUILTIN_RULES.map((r) => [r.id, r] as const))('%s: stixId and kubernetesTechnique', (id, rule) => {
    const [stixId, kubernetesTechnique] = TRACEE[id];
    expect(rule.mitre.stixId).toBe(stixId);
    expect(rule.mitre.kubernetesTechnique).toBe(kubernetesTechnique);
    if (stixId !== '') expect(stixId).toMatch(/^attack-pattern--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe("a finding's metadata.Properties in JSON", () => {
  const event: TraceeEvent = {
    timestamp: 1, threadStartTime: 1, cgroupId: 1, returnValue: 0, eventId: 0, syscall: -1, hostProcessId: 7, hostThreadId: 7,
    hostParentProcessId: 1, processId: 7, threadId: 7, parentProcessId: 1, userId: 0, groupId: 0,
    mountNamespace: 1, pidNamespace: 1, processorId: 0, processName: 'x', containerId: '', container: {}, kubernetes: {}, eventName: 'security_file_open', matchedPolicies: [], argsNum: 0,
    args: [], truncated: false, atEntry: false, argsUnknown: false, unreadable: [],
  };
  const properties = (rule: Rule) => {
    const { detect: _d, events: _e, execEnv: _x, ...rest } = rule;
    return JSON.parse(findingJson({ rule: { ...rest, eventId: ruleEventId(rule) }, event, ancestry: [], data: {} })).metadata.Properties;
  };
  const byId = (id: string) => BUILTIN_RULES.find((r) => r.id === id)!;

  it("Tracee's keys, in Tracee's order (a Go map's: sorted)", () => {
    const p = properties(byId('TRC-108'));
    expect(Object.keys(p)).toEqual(['Category', 'Kubernetes_Technique', 'Severity', 'Technique', 'external_id', 'id', 'signatureID', 'signatureName']);
    expect(p).toEqual({
      Category: 'credential-access',
      Kubernetes_Technique: 'Container service account',
      Severity: 0,
      Technique: 'Exploitation for Credential Access',
      external_id: 'T1212',
      id: 'attack-pattern--9c306d8d-cde7-4b4c-b6e8-d0bb16caca36',
      signatureID: 'TRC-108',
      signatureName: 'K8s service account token file read',
    });
  });

  it('unknown: "" (TRC-1013, and a rule without the fields)', () => {
    expect([properties(byId('TRC-1013')).id, properties(byId('TRC-1013')).Kubernetes_Technique]).toEqual(['', '']);
    const bare = { ...byId('TRC-102'), id: 'mine', mitre: { tactic: 'Execution', technique: 'X', id: '' } };
    expect([properties(bare).id, properties(bare).Kubernetes_Technique]).toEqual(['', '']);
  });
});
