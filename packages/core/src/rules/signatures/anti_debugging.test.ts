// Tracee's cases for TRC-102 (signatures/golang/anti_debugging_ptraceme_test.go), then ours.
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './anti_debugging.js';

traceeCases(rule, [
  {
    name: 'should trigger detection',
    events: [{ eventName: 'ptrace', args: [{ name: 'request', value: 'PTRACE_TRACEME' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should not trigger detection - wrong request',
    events: [{ eventName: 'ptrace', args: [{ name: 'request', value: 'PTRACE_PEEKTEXT' }] }],
    findings: [],
  },
  // ours: the request as our events carry it (a number), and a refused call (Tracee judges the request alone)
  {
    name: 'ours: PTRACE_TRACEME as a number',
    events: [{ eventName: 'ptrace', args: [{ name: 'request', value: 0 }, { name: 'pid', value: 0 }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'ours: PTRACE_TRACEME refused (EPERM: already traced) still counts',
    events: [{ eventName: 'ptrace', returnValue: -1, args: [{ name: 'request', value: 0 }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'ours: PTRACE_ATTACH is not anti-debugging',
    events: [{ eventName: 'ptrace', args: [{ name: 'request', value: 16 }] }],
    findings: [],
  },
]);
