// Tracee's cases for TRC-1014 (signatures/golang/disk_mount_test.go), then ours.
import { KERNEL_VALUES } from '../../generated/schema.js';
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './disk_mount.js';

// a container's events: its id (as Tracee's JSON carries it) and its own pid namespace
const NS = 4026532600;
const CID = 'd15c0a11c0de';
const HOST_NS = KERNEL_VALUES.PROC_PID_INIT_INO;
/**
 * Tracee's ContextFlags.ContainerStarted false: our events carry no such
 * flag, so the state is restated as what makes it here: the container's
 * pid 1 (host pid 9001) cloned into its new pid namespace by the runtime
 * (sched_process_fork, child_ns_pid 1) and not yet exec'd.
 */
const CLONED_INIT = { eventName: 'sched_process_fork', hostProcessId: 9000, processName: 'runc:[1:CHILD]', pidNamespace: HOST_NS, args: [{ name: 'child_tid', value: 9001 }, { name: 'child_pid', value: 9001 }, { name: 'child_ns_tid', value: 1 }, { name: 'child_ns_pid', value: 1 }] };
const mount = (hostProcessId: number, source: string, returnValue = 0, pidNamespace = NS) => ({
  eventName: 'mount', hostProcessId, processId: 1, pidNamespace, containerId: pidNamespace === NS ? CID : '', returnValue,
  args: [{ name: 'source', value: source }, { name: 'target', value: '/mnt' }, { name: 'filesystemtype', value: 'ext4' }, { name: 'flags', value: 0 }, { name: 'data', value: '' }],
});

traceeCases(rule, [
  {
    name: 'should trigger detection',
    events: [{ processName: 'mal', threadId: 8, pidNamespace: NS, containerId: CID, eventName: 'security_sb_mount', args: [{ name: 'dev_name', value: '/dev/sda1' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should not trigger detection - container not started',
    events: [CLONED_INIT, { processName: 'runc:[init]', threadId: 1, hostProcessId: 9001, pidNamespace: NS, containerId: CID, eventName: 'security_sb_mount', args: [{ name: 'dev_name', value: '/dev/sda1' }] }],
    findings: [],
  },
  {
    name: 'should not trigger detection - wrong path',
    events: [{ processName: 'runc:[init]', threadId: 8, pidNamespace: NS, containerId: CID, eventName: 'security_sb_mount', args: [{ name: 'dev_name', value: '/tmp/something' }] }],
    findings: [],
  },
  // ours: the mount syscall where security_sb_mount does not run
  { name: 'ours: a started container mounts /dev/sda1', events: [mount(500, '/dev/sda1')], findings: [{ trigger: 0, data: {} }] },
  { name: 'ours: the host mounts /dev/sda1', events: [mount(500, '/dev/sda1', 0, HOST_NS)], findings: [] },
  { name: 'ours: a container mounts tmpfs', events: [mount(500, 'tmpfs')], findings: [] },
  // the hook runs before may_mount(): a mount refused for want of privilege was seen by it
  { name: 'ours: refused (EPERM) after the hook: a finding, as in Tracee', events: [mount(500, '/dev/sda1', -1)], findings: [{ trigger: 0, data: {} }] },
  { name: 'ours: arguments unreadable (EFAULT): the hook never ran', events: [mount(500, '/dev/sda1', -14)], findings: [] },
  {
    name: "ours: the runtime's init bind-mounts /dev/null before the container starts (runc masking paths)",
    events: [CLONED_INIT, mount(9001, '/dev/null')],
    findings: [],
  },
  {
    name: 'ours: once that init has exec\'d the container\'s program, the container has started',
    events: [
      CLONED_INIT,
      { eventName: 'sched_process_exec', hostProcessId: 9001, processId: 1, pidNamespace: NS, containerId: CID, processName: 'sh', args: [{ name: 'pathname', value: '/bin/sh' }] },
      mount(9001, '/dev/sdb'),
    ],
    findings: [{ trigger: 2, data: {} }],
  },
  {
    name: 'ours: a kernel with both: security_sb_mount, then the syscall, one finding',
    events: [{ eventName: 'security_sb_mount', hostProcessId: 500, pidNamespace: NS, containerId: CID, args: [{ name: 'dev_name', value: '/dev/sda1' }, { name: 'path', value: '/mnt' }] }, mount(500, '/dev/sda1')],
    findings: [{ trigger: 0, data: {} }],
  },
]);
