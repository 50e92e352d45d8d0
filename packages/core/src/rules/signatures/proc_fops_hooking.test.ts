// Tracee's cases for TRC-1020 (signatures/golang/proc_fops_hooking_test.go).
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './proc_fops_hooking.js';

const symbols = [
  { SymbolName: 'struct file_operations pointer', ModuleOwner: 'hidden' },
  { SymbolName: 'iterate_shared', ModuleOwner: 'phide' },
];

traceeCases(rule, [
  {
    name: 'should trigger detection',
    events: [{ eventName: 'hooked_proc_fops', args: [{ name: 'hooked_fops_pointers', value: symbols }] }],
    findings: [{ trigger: 0, data: { 'Hooked proc file operations': symbols } }],
  },
  {
    name: 'should not trigger detection - empty slice of symbols',
    events: [{ eventName: 'hooked_proc_fops', args: [{ name: 'hooked_fops_pointers', value: [] }] }],
    findings: [],
  },
]);
