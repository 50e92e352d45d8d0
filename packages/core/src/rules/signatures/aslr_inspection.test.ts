// Tracee's cases for TRC-109 (signatures/golang/aslr_inspection_test.go), then ours.
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { ON_HOST, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, fileOpen, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './aslr_inspection.js';

traceeMetadata(rule, { id: 'TRC-109', name: 'ASLR inspection detected', eventName: 'aslr_inspection', severity: 0, mitre: { tactic: 'Privilege Escalation', technique: 'Exploitation for Privilege Escalation', id: 'T1068', stixId: 'attack-pattern--b21c3b2d-02e6-45b1-980b-e69051040839', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection', events: [fileOpen('/proc/sys/kernel/randomize_va_space', O_RDONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - wrong open flags', events: [fileOpen('/proc/sys/kernel/randomize_va_space', O_WRONLY)], findings: [] },
  { name: 'should not trigger detection - wrong path', events: [fileOpen('/proc/sys/kernel/yo', O_RDONLY)], findings: [] },
  // ours
  { name: 'the host too (Origin "*")', events: [fileOpen('/proc/sys/kernel/randomize_va_space', O_RDONLY, ON_HOST)], findings: [{ trigger: 0, data: {} }] },
  { name: 'read-write is a read too (Tracee: O_RDONLY or O_RDWR)', events: [fileOpen('/proc/sys/kernel/randomize_va_space', O_RDWR)], findings: [{ trigger: 0, data: {} }] },
  { name: 'read-only with O_CREAT is a read', events: [fileOpen('/proc/sys/kernel/randomize_va_space', O_RDONLY | O_CREAT)], findings: [{ trigger: 0, data: {} }] },
  { name: 'unreadable flags are neither', events: [fileOpen('/proc/sys/kernel/randomize_va_space', '')], findings: [] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
