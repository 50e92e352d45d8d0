// Tracee's cases for TRC-104 (signatures/golang/dynamic_code_loading_test.go), then ours.
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './dynamic_code_loading.js';

traceeCases(rule, [
  {
    name: 'should trigger detection',
    // trace.ProtAlertMprotectWXToX
    events: [{ eventName: 'mem_prot_alert', args: [{ name: 'alert', value: 4 }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should not trigger detection - wrong alert',
    // trace.ProtAlertMmapWX
    events: [{ eventName: 'mem_prot_alert', args: [{ name: 'alert', value: 1 }] }],
    findings: [],
  },
  // ours
  {
    name: "ours: Tracee's JSON with parse-arguments (the alert as text)",
    events: [{ eventName: 'mem_prot_alert', args: [{ name: 'alert', value: 'Protection changed from W+E to E!' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    // our kernel side derives 1 (mmap W+X) and 5 (mprotect to W+X) today,
    // never 4 (it would need the mapping's protection before mprotect):
    // neither is Tracee's verdict, so neither is a finding
    name: 'ours: an rwx mmap (alert 1, prot W+X) is not dynamic code loading, as in Tracee',
    events: [{ eventName: 'mem_prot_alert', args: [{ name: 'alert', value: 1 }, { name: 'addr', value: '0x7f0000000000' }, { name: 'len', value: 4096 }, { name: 'prot', value: 7 }] }],
    findings: [],
  },
  {
    name: 'ours: mprotect to W+X (our alert 5) is not either',
    events: [{ eventName: 'mem_prot_alert', args: [{ name: 'alert', value: 5 }, { name: 'prot', value: 7 }] }],
    findings: [],
  },
]);
