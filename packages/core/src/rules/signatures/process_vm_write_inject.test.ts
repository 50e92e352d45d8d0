// Tracee's cases for TRC-1025 (signatures/golang/process_vm_write_code_injection_test.go), then ours.
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './process_vm_write_inject.js';

traceeCases(rule, [
  {
    name: 'should trigger detection',
    events: [{ eventName: 'process_vm_writev', processId: 109, args: [{ name: 'pid', value: 101 }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should not trigger detection - same PID',
    events: [{ eventName: 'process_vm_writev', processId: 109, args: [{ name: 'pid', value: 109 }] }],
    findings: [],
  },
  // ours: Tracee judges the target alone, not the return value
  {
    name: 'ours: a refused write into another process (EPERM) still counts',
    events: [{ eventName: 'process_vm_writev', processId: 109, hostProcessId: 5109, returnValue: -1, args: [{ name: 'pid', value: 101 }, { name: 'liovcnt', value: 1 }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'ours: pids compare in the caller\'s namespace (processId, not hostProcessId)',
    events: [{ eventName: 'process_vm_writev', processId: 7, hostProcessId: 5107, returnValue: 16, args: [{ name: 'pid', value: 7 }] }],
    findings: [],
  },
]);
