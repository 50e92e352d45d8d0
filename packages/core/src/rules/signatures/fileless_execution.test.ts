// Tracee's cases for TRC-105 (signatures/golang/fileless_execution_test.go), then ours.
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './fileless_execution.js';

const exec = (pathname: string, cmdpath = pathname) => ({ eventName: 'sched_process_exec', args: [{ name: 'cmdpath', value: cmdpath }, { name: 'pathname', value: pathname }] });

traceeCases(rule, [
  {
    name: 'should trigger detection',
    events: [{ eventName: 'sched_process_exec', args: [{ name: 'pathname', value: 'memfd://something' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should not trigger detection - wrong path',
    events: [{ eventName: 'sched_process_exec', args: [{ name: 'pathname', value: '/bin/something' }] }],
    findings: [],
  },
  // ours: pathname is the real path of the file run, whatever name execve was given
  { name: 'ours: a memfd run through /proc/self/fd/3', events: [exec('memfd:payload', '/proc/self/fd/3')], findings: [{ trigger: 0, data: {} }] },
  { name: 'ours: an ELF under /dev/shm run as ./t', events: [exec('/dev/shm/t', './t')], findings: [{ trigger: 0, data: {} }] },
  { name: 'ours: an ELF under /run/shm', events: [exec('/run/shm/x/t')], findings: [{ trigger: 0, data: {} }] },
  { name: 'ours: fexecve of a file on disk (/dev/fd/3 names /usr/bin/true)', events: [exec('/usr/bin/true', '/dev/fd/3')], findings: [] },
  { name: "ours: a path that only contains 'memfd:' is on disk", events: [exec('/tmp/memfd:x')], findings: [] },
]);
