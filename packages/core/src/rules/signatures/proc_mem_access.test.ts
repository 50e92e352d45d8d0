// Tracee's cases for TRC-1023 (signatures/golang/proc_mem_access_test.go),
// then ours: the quirks of Tracee's pattern /proc/(?:\d.+)/mem$.
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { ON_HOST, O_RDONLY, O_RDWR, O_WRONLY, fileOpen, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './proc_mem_access.js';

traceeMetadata(rule, { id: 'TRC-1023', name: 'Process memory access detected', eventName: 'proc_mem_access', severity: 3, mitre: { tactic: 'Credential Access', technique: 'Proc Filesystem', id: 'T1003.007', stixId: 'attack-pattern--3120b9fa-23b8-4500-ae73-09494f607b7d', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection', events: [fileOpen('/proc/543/mem', O_RDONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - wrong open flags', events: [fileOpen('/proc/543/mem', O_WRONLY)], findings: [] },
  { name: 'should not trigger detection - wrong path', events: [fileOpen('/var/543/mem', O_RDONLY)], findings: [] },
  // ours
  { name: 'the host too (Origin "*"), read-write', events: [fileOpen('/proc/4321/mem', O_RDWR, ON_HOST)], findings: [{ trigger: 0, data: {} }] },
  { name: "a thread's memory file", events: [fileOpen('/proc/4321/task/4322/mem', O_RDONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'quirk: a one-digit pid does not match (\\d then at least one more character)', events: [fileOpen('/proc/7/mem', O_RDONLY)], findings: [] },
  { name: 'quirk: /proc/self/mem does not match', events: [fileOpen('/proc/self/mem', O_RDONLY)], findings: [] },
  { name: 'quirk: unanchored, a /proc mounted elsewhere matches', events: [fileOpen('/host/proc/4321/mem', O_RDONLY)], findings: [{ trigger: 0, data: {} }] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
