// Tracee's cases for TRC-1031 (signatures/golang/system_request_key_config_modification_test.go),
// then ours. Tracee selects this signature's events from containers only
// (Origin: "container"); its tests call OnEvent directly, so their events
// are restated here as a container's (IN_CONTAINER).
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { IN_CONTAINER, ON_HOST, O_RDONLY, O_RDWR, O_WRONLY, fileOpen, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './system_request_key_mod.js';

traceeMetadata(rule, { id: 'TRC-1031', name: 'System request key configuration modification', eventName: 'system_request_key_mod', severity: 3, mitre: { tactic: 'Privilege Escalation', technique: 'Escape to Host', id: 'T1611', stixId: 'attack-pattern--4a5b7ade-8bb5-4853-84ed-23f262002665', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection', events: [fileOpen('/proc/sys/kernel/sysrq', O_WRONLY, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - wrong open flags', events: [fileOpen('/proc/sys/kernel/sysrq', O_RDONLY, IN_CONTAINER)], findings: [] },
  { name: 'should not trigger detection - wrong path', events: [fileOpen('/tmp/something', O_WRONLY, IN_CONTAINER)], findings: [] },
  // ours
  { name: 'the host is not judged', events: [fileOpen('/proc/sys/kernel/sysrq', O_WRONLY, ON_HOST)], findings: [] },
  { name: 'the trigger, read-write', events: [fileOpen('/proc/sysrq-trigger', O_RDWR, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'exact paths only', events: [fileOpen('/proc/sys/kernel/sysrq_other', O_WRONLY, IN_CONTAINER)], findings: [] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
