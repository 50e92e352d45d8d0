// Tracee's cases for TRC-1030 (signatures/golang/syscall_table_hooking_test.go).
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './syscall_hooking.js';

const hooked = { syscall_name: 'kill', 'hooked.address': '0xdeadbeef', 'hooked.function_name': 'hooked_kill', 'hooked.owner': 'rootkit' };

traceeCases(rule, [
  {
    name: 'should trigger detection',
    events: [{ eventName: 'hooked_syscall', args: [{ name: 'hooked_syscall', value: hooked }] }],
    findings: [{ trigger: 0, data: {} }],
  },
]);
