// Tracee's cases for TRC-1024 (signatures/golang/proc_mem_code_injection_test.go),
// then ours: the quirks of Tracee's pattern /proc/(?:\d.+)/mem$.
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { ON_HOST, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, fileOpen, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './proc_mem_code_injection.js';

traceeMetadata(rule, { id: 'TRC-1024', name: 'Code injection detected through /proc/<pid>/mem file', eventName: 'proc_mem_code_injection', severity: 3, mitre: { tactic: 'Defense Evasion', technique: 'Proc Memory', id: 'T1055.009', stixId: 'attack-pattern--d201d4cc-214d-4a74-a1ba-b3fa09fd4591', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection', events: [fileOpen('/proc/543/mem', O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - wrong open flags', events: [fileOpen('/proc/543/mem', O_RDONLY)], findings: [] },
  { name: 'should not trigger detection - wrong path', events: [fileOpen('/var/543/mem', O_WRONLY)], findings: [] },
  // ours
  { name: 'the host too (Origin "*"), read-write', events: [fileOpen('/proc/4321/mem', O_RDWR, ON_HOST)], findings: [{ trigger: 0, data: {} }] },
  { name: 'read-only with O_CREAT is not a write', events: [fileOpen('/proc/4321/mem', O_RDONLY | O_CREAT)], findings: [] },
  { name: 'quirk: a one-digit pid does not match', events: [fileOpen('/proc/7/mem', O_WRONLY)], findings: [] },
  { name: 'quirk: /proc/self/mem does not match', events: [fileOpen('/proc/self/mem', O_RDWR)], findings: [] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
