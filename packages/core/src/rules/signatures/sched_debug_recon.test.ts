// Tracee's cases for TRC-1029 (signatures/golang/sched_debug_recon_test.go),
// then ours. Tracee selects this signature's events from containers only
// (Origin: "container"); its tests call OnEvent directly, so their events
// are restated here as a container's (IN_CONTAINER).
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { IN_CONTAINER, ON_HOST, O_RDONLY, O_RDWR, O_WRONLY, fileOpen, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './sched_debug_recon.js';

traceeMetadata(rule, { id: 'TRC-1029', name: 'sched_debug CPU file was read', eventName: 'sched_debug_recon', severity: 1, mitre: { tactic: 'Discovery', technique: 'Container and Resource Discovery', id: 'T1613', stixId: 'attack-pattern--0470e792-32f8-46b0-a351-652bc35e9336', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection', events: [fileOpen('/proc/sched_debug', O_RDONLY, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - wrong path', events: [fileOpen('/proc/yo', O_RDONLY, IN_CONTAINER)], findings: [] },
  { name: 'should not trigger detection - wrong open flags', events: [fileOpen('/proc/sched_debug', O_WRONLY, IN_CONTAINER)], findings: [] },
  // ours
  { name: 'the host is not judged', events: [fileOpen('/proc/sched_debug', O_RDONLY, ON_HOST)], findings: [] },
  { name: 'the debugfs file, read-write', events: [fileOpen('/sys/kernel/debug/sched/debug', O_RDWR, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'exact paths only', events: [fileOpen('/sys/kernel/debug/sched/other', O_RDONLY, IN_CONTAINER)], findings: [] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
