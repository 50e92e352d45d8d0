// Tracee's cases for TRC-1016 (signatures/golang/illegitimate_shell_test.go), then ours.
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './illegitimate_shell.js';

// ours: a process forks (the child has its parent's comm), the child execs
// (sched_process_exec carries the new comm; the comm before is the tree's)
const fork = (pid: number, comm: string) => ({ eventName: 'sched_process_fork', hostProcessId: pid, processName: comm, args: [{ name: 'child_tid', value: pid + 1 }, { name: 'child_pid', value: pid + 1 }] });
const exec = (pid: number, comm: string, pathname: string) => ({ eventName: 'sched_process_exec', hostProcessId: pid, hostParentProcessId: pid - 1, processName: comm, args: [{ name: 'cmdpath', value: pathname }, { name: 'pathname', value: pathname }] });

traceeCases(rule, [
  {
    name: 'should trigger detection',
    events: [{ eventName: 'security_bprm_check', processName: 'apache2', args: [{ name: 'pathname', value: '/bin/dash' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should not trigger detection - wrong path',
    events: [{ eventName: 'security_bprm_check', processName: 'apache2', args: [{ name: 'pathname', value: '/bin/ls' }] }],
    findings: [],
  },
  {
    name: 'should not trigger detection - wrong process name',
    events: [{ eventName: 'security_bprm_check', processName: 'bash', args: [{ name: 'pathname', value: '/bin/dash' }] }],
    findings: [],
  },
  // ours: sched_process_exec where security_bprm_check does not run
  { name: 'ours: nginx forks, the child execs /usr/bin/bash', events: [fork(100, 'nginx'), exec(101, 'bash', '/usr/bin/bash')], findings: [{ trigger: 1, data: {} }] },
  // /bin/sh is a link: the file that runs is dash, as security_bprm_check's pathname is
  { name: 'ours: httpd execs sh (the file run: /usr/bin/dash)', events: [fork(200, 'httpd'), exec(201, 'sh', '/usr/bin/dash')], findings: [{ trigger: 1, data: {} }] },
  { name: 'ours: bash execs a shell', events: [fork(300, 'bash'), exec(301, 'sh', '/usr/bin/dash')], findings: [] },
  { name: 'ours: nginx execs python', events: [fork(400, 'nginx'), exec(401, 'python3', '/usr/bin/python3.12')], findings: [] },
  {
    // Tracee judges the path, not the new comm
    name: "ours: nginx execs a program named 'sh' that is not a shell's file (/opt/tools/sh.real)",
    events: [fork(500, 'nginx'), exec(501, 'sh', '/opt/tools/sh.real')],
    findings: [],
  },
  {
    // the comm before the exec is unknown when the process was not seen
    // before it (a replay that starts there): its new comm is no web server
    name: 'ours: an exec of a process never seen before',
    events: [exec(601, 'bash', '/usr/bin/bash')],
    findings: [],
  },
  {
    name: 'ours: a kernel with both: security_bprm_check, then sched_process_exec, one finding',
    events: [fork(700, 'nginx'), { eventName: 'security_bprm_check', hostProcessId: 701, processName: 'nginx', args: [{ name: 'pathname', value: '/usr/bin/dash' }] }, exec(701, 'sh', '/usr/bin/dash')],
    findings: [{ trigger: 1, data: {} }],
  },
]);
