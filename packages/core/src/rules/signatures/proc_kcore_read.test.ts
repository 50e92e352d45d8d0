// Tracee's cases for TRC-1021 (signatures/golang/proc_kcore_read_test.go),
// then ours. Tracee selects this signature's events from containers only
// (Origin: "container"); its tests call OnEvent directly, so their events
// are restated here as a container's (IN_CONTAINER).
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { IN_CONTAINER, ON_HOST, O_RDONLY, O_RDWR, O_WRONLY, fileOpen, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './proc_kcore_read.js';

traceeMetadata(rule, { id: 'TRC-1021', name: 'Kcore memory file read', eventName: 'proc_kcore_read', severity: 2, mitre: { tactic: 'Privilege Escalation', technique: 'Escape to Host', id: 'T1611', stixId: 'attack-pattern--4a5b7ade-8bb5-4853-84ed-23f262002665', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection', events: [fileOpen('/proc/kcore', O_RDONLY, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - wrong open flags', events: [fileOpen('/proc/kcore', O_WRONLY, IN_CONTAINER)], findings: [] },
  { name: 'should not trigger detection - wrong path', events: [fileOpen('/proc/something', O_RDONLY, IN_CONTAINER)], findings: [] },
  // ours
  { name: 'the host is not judged', events: [fileOpen('/proc/kcore', O_RDONLY, ON_HOST)], findings: [] },
  { name: 'read-write is a read too', events: [fileOpen('/proc/kcore', O_RDWR, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'any path ending so (Tracee: a suffix)', events: [fileOpen('/host/proc/kcore', O_RDONLY, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'not a longer name', events: [fileOpen('/proc/kcore2', O_RDONLY, IN_CONTAINER)], findings: [] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
