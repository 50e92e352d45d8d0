// Tracee's cases for TRC-106 (signatures/golang/cgroup_notify_on_release_modification_test.go),
// then ours. Tracee selects this signature's events from containers only
// (Origin: "container"); its tests call OnEvent directly, so their events
// are restated here as a container's (IN_CONTAINER).
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { IN_CONTAINER, ON_HOST, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, fileOpen, renameCall, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './cgroup_notify_on_release.js';

traceeMetadata(rule, { id: 'TRC-106', name: 'Cgroups notify_on_release file modification', eventName: 'cgroup_notify_on_release', severity: 3, mitre: { tactic: 'Privilege Escalation', technique: 'Escape to Host', id: 'T1611', stixId: 'attack-pattern--4a5b7ade-8bb5-4853-84ed-23f262002665', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection', events: [fileOpen('/tmp/cgrp/x/notify_on_release', O_WRONLY, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - wrong open flags', events: [fileOpen('/tmp/cgrp/x/notify_on_release', O_RDONLY, IN_CONTAINER)], findings: [] },
  { name: 'should not trigger detection - wrong path', events: [fileOpen('/tmp/something', O_WRONLY, IN_CONTAINER)], findings: [] },
  // ours
  { name: 'the host (a process in the first pid namespace) is not judged', events: [fileOpen('/tmp/cgrp/x/notify_on_release', O_WRONLY, ON_HOST)], findings: [] },
  { name: 'read-write is a write', events: [fileOpen('/sys/fs/cgroup/x/notify_on_release', O_RDWR, IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: "flags as Tracee's JSON names them", events: [fileOpen('/sys/fs/cgroup/x/notify_on_release', 'O_WRONLY|O_CREAT|O_TRUNC', IN_CONTAINER)], findings: [{ trigger: 0, data: {} }] },
  { name: 'read-only with O_CREAT|O_TRUNC is not a write (the access mode only, as Tracee)', events: [fileOpen('/sys/fs/cgroup/x/notify_on_release', O_RDONLY | O_CREAT | O_TRUNC, IN_CONTAINER)], findings: [] },
  { name: 'another name ending so is not it', events: [fileOpen('/sys/fs/cgroup/x/notify_on_release.bak', O_WRONLY, IN_CONTAINER)], findings: [] },
  { name: 'a rename onto it is not judged (Tracee takes no renames here)', events: [renameCall('rename', '/tmp/x', '/sys/fs/cgroup/x/notify_on_release', 0, IN_CONTAINER)], findings: [] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
