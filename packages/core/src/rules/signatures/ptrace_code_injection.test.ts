// Tracee's cases for TRC-103 (signatures/golang/ptrace_code_injection_test.go), then ours.
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './ptrace_code_injection.js';

traceeCases(rule, [
  {
    name: 'should trigger detection',
    events: [{ eventName: 'ptrace', args: [{ name: 'request', value: 'PTRACE_POKETEXT' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should not trigger detection - wrong request',
    events: [{ eventName: 'ptrace', args: [{ name: 'request', value: 'PTRACE_PEEKTEXT' }] }],
    findings: [],
  },
  // ours: requests as numbers, as our events carry them
  {
    name: 'ours: PTRACE_POKEDATA (5) into another process',
    events: [{ eventName: 'ptrace', args: [{ name: 'request', value: 5 }, { name: 'pid', value: 1234 }, { name: 'addr', value: '0x401000' }, { name: 'data', value: '0x90' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'ours: a refused POKETEXT (ESRCH) still counts, as in Tracee',
    events: [{ eventName: 'ptrace', returnValue: -3, args: [{ name: 'request', value: 4 }, { name: 'pid', value: 1234 }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'ours: PTRACE_PEEKDATA (2) reads, it does not inject',
    events: [{ eventName: 'ptrace', args: [{ name: 'request', value: 2 }, { name: 'pid', value: 1234 }] }],
    findings: [],
  },
]);
