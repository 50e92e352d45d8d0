// Tracee's cases for TRC-1026 (signatures/golang/rcd_modification_test.go),
// then ours: Tracee's list as it is, the rename syscalls, the exec.
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { ON_HOST, O_RDONLY, O_WRONLY, fileOpen, processExec, renameCall, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './rcd_modification.js';

traceeMetadata(rule, { id: 'TRC-1026', name: 'Rcd modification detected', eventName: 'rcd_modification', severity: 2, mitre: { tactic: 'Persistence', technique: 'RC Scripts', id: 'T1037.004', stixId: 'attack-pattern--dca670cf-eeec-438f-8185-fd959d9ef211', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection - security_file_open file', events: [fileOpen('/etc/rc.local', O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_file_open directory', events: [fileOpen('/etc/rc1.d/job', O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_inode_rename file', events: [{ eventName: 'security_inode_rename', args: [{ name: 'new_path', value: '/etc/rc.local' }] }], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_inode_rename directory', events: [{ eventName: 'security_inode_rename', args: [{ name: 'new_path', value: '/etc/rc1.d/job' }] }], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - sched_process_exec', events: [processExec('/bin/update-rc.d')], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - security_file_open wrong path', events: [fileOpen('/etc/something', O_WRONLY)], findings: [] },
  { name: 'should not trigger detection - security_file_open wrong open flags', events: [fileOpen('/etc/rc.local', O_RDONLY)], findings: [] },
  { name: 'should not trigger detection - security_inode_rename wrong path', events: [{ eventName: 'security_inode_rename', args: [{ name: 'new_path', value: '/etc/something' }] }], findings: [] },
  { name: 'should not trigger detection - sched_process_exec', events: [processExec('/bin/ls')], findings: [] },
  // ours
  { name: 'the host too (Origin "*")', events: [fileOpen('/etc/init.d/svc', O_WRONLY, ON_HOST)], findings: [{ trigger: 0, data: {} }] },
  { name: "exec of update-rc.d at its real path", events: [processExec('/usr/sbin/update-rc.d', ON_HOST)], findings: [{ trigger: 0, data: {} }] },
  { name: 'exec of another name containing it', events: [processExec('/usr/sbin/update-rc.d.orig')], findings: [] },
  { name: 'rename syscall onto an rc directory', events: [renameCall('renameat2', '/tmp/x', '/etc/rc.d/init.d/svc')], findings: [{ trigger: 0, data: {} }] },
  { name: 'rename syscall to a relative path: not judged (the directory is unknown)', events: [renameCall('rename', 'x', 'rc.local')], findings: [] },
  // Tracee's prefixes as they are
  { name: "quirk: /etc/rc0.d is not in Tracee's list", events: [fileOpen('/etc/rc0.d/K01svc', O_WRONLY)], findings: [] },
  { name: "quirk: Tracee's /etc/rcs.d is lower case, so Debian's /etc/rcS.d does not match", events: [fileOpen('/etc/rcS.d/S01svc', O_WRONLY)], findings: [] },
  { name: 'quirk: /etc/rcs.d matches', events: [fileOpen('/etc/rcs.d/S01svc', O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'quirk: prefixes without a trailing slash (/etc/init.dX)', events: [fileOpen('/etc/init.dX', O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
