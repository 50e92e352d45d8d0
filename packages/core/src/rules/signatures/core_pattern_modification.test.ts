// Tracee's cases for TRC-1011 (signatures/golang/core_pattern_modification_test.go),
// then ours. Tracee selects this signature's events from containers only
// (Origin: "container"); its tests call OnEvent directly, so their events
// are restated here as a container's (IN_CONTAINER).
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { IN_CONTAINER, ON_HOST, O_RDONLY, O_WRONLY, fileOpen, renameCall, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './core_pattern_modification.js';

traceeMetadata(rule, { id: 'TRC-1011', name: 'Core dumps configuration file modification detected', eventName: 'core_pattern_modification', severity: 3, mitre: { tactic: 'Privilege Escalation', technique: 'Escape to Host', id: 'T1611', stixId: 'attack-pattern--4a5b7ade-8bb5-4853-84ed-23f262002665', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection', events: [fileOpen('/proc/sys/kernel/core_pattern', O_WRONLY, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - wrong open flags', events: [fileOpen('/proc/sys/kernel/core_pattern', O_RDONLY, IN_CONTAINER)], findings: [] },
  { name: 'should not trigger detection - wrong path', events: [fileOpen('/sys/kernel/something', O_WRONLY, IN_CONTAINER)], findings: [] },
  // ours
  { name: 'the host is not judged', events: [fileOpen('/proc/sys/kernel/core_pattern', O_WRONLY, ON_HOST)], findings: [] },
  { name: 'any path ending so (Tracee: a suffix)', events: [fileOpen('/host/proc/sys/kernel/core_pattern', O_WRONLY, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'a rename onto it is not judged (Tracee takes no renames here)', events: [renameCall('rename', '/tmp/x', '/proc/sys/kernel/core_pattern', 0, IN_CONTAINER)], findings: [] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
