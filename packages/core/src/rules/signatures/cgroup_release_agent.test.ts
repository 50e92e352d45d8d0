// Tracee's cases for TRC-1010 (signatures/golang/cgroup_release_agent_modification_test.go),
// then ours. Tracee selects this signature's events from containers only
// (Origin: "container"); its tests call OnEvent directly, so their events
// are restated here as a container's (IN_CONTAINER).
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { IN_CONTAINER, ON_HOST, O_CREAT, O_RDONLY, O_WRONLY, fileOpen, inodeRename, renameCall, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './cgroup_release_agent.js';

traceeMetadata(rule, { id: 'TRC-1010', name: 'Cgroups release agent file modification', eventName: 'cgroup_release_agent', severity: 3, mitre: { tactic: 'Privilege Escalation', technique: 'Escape to Host', id: 'T1611', stixId: 'attack-pattern--4a5b7ade-8bb5-4853-84ed-23f262002665', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection - security_file_open', events: [fileOpen('/tmp/cgrp/release_agent', O_WRONLY, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_inode_rename', events: [inodeRename({ new_path: '/tmp/cgrp/release_agent' }, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - security_file_open wrong open flags', events: [fileOpen('/tmp/cgrp/release_agent', O_RDONLY, IN_CONTAINER)], findings: [] },
  { name: 'should not trigger detection - security_file_open wrong path', events: [fileOpen('/tmp/something', O_WRONLY, IN_CONTAINER)], findings: [] },
  { name: 'should not trigger detection - security_inode_rename wrong path', events: [inodeRename({ new_path: '/tmp/something' }, IN_CONTAINER)], findings: [] },
  // ours
  { name: 'the host is not judged', events: [fileOpen('/tmp/cgrp/release_agent', O_WRONLY, ON_HOST), inodeRename({ new_path: '/tmp/cgrp/release_agent' }, ON_HOST)], findings: [] },
  { name: 'read-only with O_CREAT is not a write', events: [fileOpen('/tmp/cgrp/release_agent', O_RDONLY | O_CREAT, IN_CONTAINER)], findings: [] },
  { name: 'rename syscall onto an absolute release_agent', events: [renameCall('rename', '/tmp/x', '/tmp/cgrp/release_agent', 0, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'renameat2 onto a relative release_agent (its last name is exact)', events: [renameCall('renameat2', 'x', 'release_agent', 0, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'a failed rename syscall', events: [renameCall('renameat', '/tmp/x', '/tmp/cgrp/release_agent', -13, IN_CONTAINER)], findings: [] },
  { name: 'rename syscall elsewhere', events: [renameCall('rename', '/tmp/release_agent', '/tmp/cgrp/agent', 0, IN_CONTAINER)], findings: [] },
  {
    name: "both the hook and its syscall: one finding, the hook's",
    events: [inodeRename({ old_path: '/tmp/x', new_path: '/tmp/cgrp/release_agent' }, IN_CONTAINER), renameCall('rename', '/tmp/x', '/tmp/cgrp/release_agent', 0, IN_CONTAINER)],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: "the thread's hook event for another rename does not hide a rename syscall",
    events: [inodeRename({ old_path: '/tmp/a', new_path: '/tmp/b' }, IN_CONTAINER), renameCall('rename', '/tmp/x', '/tmp/cgrp/release_agent', 0, IN_CONTAINER)],
    findings: [{ trigger: 1, data: {} }],
  },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
