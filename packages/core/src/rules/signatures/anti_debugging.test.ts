// Tracee's cases for TRC-102 (signatures/golang/anti_debugging_ptraceme_test.go).
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
]);
