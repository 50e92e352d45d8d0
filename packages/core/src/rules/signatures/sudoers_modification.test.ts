// Tracee's cases for TRC-1028 (signatures/golang/sudoers_modification_test.go),
// then ours: its list, the rename syscalls.
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { ON_HOST, O_RDWR, O_WRONLY, O_RDONLY, fileOpen, inodeRename, renameCall, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './sudoers_modification.js';

traceeMetadata(rule, { id: 'TRC-1028', name: 'Sudoers file modification detected', eventName: 'sudoers_modification', severity: 2, mitre: { tactic: 'Privilege Escalation', technique: 'Sudo and Sudo Caching', id: 'T1548.003', stixId: 'attack-pattern--1365fe3b-0f50-455d-b4da-266ce31c23b0', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection - security_file_open file', events: [fileOpen('/etc/sudoers', O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_file_open dir', events: [fileOpen('/etc/sudoers.d/amnon', O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_inode_rename file', events: [inodeRename({ new_path: '/etc/sudoers' })], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_inode_rename dir', events: [inodeRename({ new_path: '/etc/sudoers.d/amnon' })], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - security_file_open wrong open flags', events: [fileOpen('/etc/sudoers', O_RDONLY)], findings: [] },
  { name: 'should not trigger detection - security_file_open wrong path', events: [fileOpen('/tmp/something', O_WRONLY)], findings: [] },
  { name: 'should not trigger detection - security_inode_rename wrong path', events: [inodeRename({ new_path: '/tmp/something' })], findings: [] },
  // ours
  { name: 'the host too (Origin "*"), read-write', events: [fileOpen('/etc/sudoers', O_RDWR, ON_HOST)], findings: [{ trigger: 0, data: {} }] },
  { name: "macOS's /private/etc (Tracee's list)", events: [fileOpen('/private/etc/sudoers', O_WRONLY), fileOpen('/private/etc/sudoers.d/x', O_WRONLY)], findings: [0, 1].map((trigger) => ({ trigger, data: {} })) },
  { name: 'not the directory itself, nor a neighbour', events: [fileOpen('/etc/sudoers.d', O_WRONLY), fileOpen('/etc/sudoers.bak', O_WRONLY)], findings: [] },
  { name: 'rename syscall into sudoers.d (visudo, editors)', events: [renameCall('renameat2', '/etc/sudoers.d/x.tmp', '/etc/sudoers.d/x')], findings: [{ trigger: 0, data: {} }] },
  { name: 'a failed rename syscall', events: [renameCall('rename', '/tmp/x', '/etc/sudoers', -1)], findings: [] },
  // the path as given: `.`, `..` and repeated slashes do not hide it
  { name: 'rename syscall onto //etc/sudoers', events: [renameCall('rename', '/tmp/x', '//etc/sudoers')], findings: [{ trigger: 0, data: {} }] },
  { name: 'rename syscall onto /etc/./sudoers.d/x', events: [renameCall('rename', '/tmp/x', '/etc/./sudoers.d/x')], findings: [{ trigger: 0, data: {} }] },
  { name: 'rename syscall onto /tmp/../etc/sudoers', events: [renameCall('renameat2', '/tmp/x', '/tmp/../etc/sudoers')], findings: [{ trigger: 0, data: {} }] },
  { name: 'rename syscall to a relative path: not judged (the directory is unknown)', events: [renameCall('rename', 'x', 'sudoers')], findings: [] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
