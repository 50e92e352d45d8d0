// Tracee's cases for TRC-1022 (signatures/golang/dropped_executable_test.go), then ours.
import { KERNEL_VALUES } from '../../generated/schema.js';
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './dropped_executable.js';

// Tracee's signature takes containers' events only (Origin: container): its
// engine gives it no other, and its test feeds the signature directly, with
// events that carry no container: they are restated as a container's.
const CONTAINER = { pidNamespace: 4026532500, container: { id: 'c0ffee' } };
const HOST = { pidNamespace: KERNEL_VALUES.PROC_PID_INIT_INO };
const ELF = 'f0VMRg==';
const ELF_HEAD = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const write = (where: object, pathname: string, bytes: number[] = ELF_HEAD) => ({ eventName: 'magic_write', ...where, args: [{ name: 'pathname', value: pathname }, { name: 'bytes', value: bytes }] });

// a container made while tracing, not started: its pid 1 (host pid 9001) cloned
// into a new pid namespace by the runtime, before its first exec
const CLONED_INIT = { eventName: 'sched_process_fork', hostProcessId: 9000, processName: 'runc:[1:CHILD]', pidNamespace: KERNEL_VALUES.PROC_PID_INIT_INO, args: [{ name: 'child_tid', value: 9001 }, { name: 'child_pid', value: 9001 }, { name: 'child_ns_tid', value: 1 }, { name: 'child_ns_pid', value: 1 }] };

traceeCases(rule, [
  {
    name: 'should trigger detection',
    events: [{ eventName: 'magic_write', ...CONTAINER, args: [{ name: 'pathname', value: '/bin/malware' }, { name: 'bytes', value: ELF }] }],
    findings: [{ trigger: 0, data: { path: '/bin/malware' } }],
  },
  {
    name: 'should not trigger detection - not an ELF',
    events: [{ eventName: 'magic_write', ...CONTAINER, args: [{ name: 'pathname', value: '/bin/not_a_malware' }, { name: 'bytes', value: 'AAAAAA==' }] }],
    findings: [],
  },
  {
    name: 'should not trigger detection - memory path',
    events: [{ eventName: 'magic_write', ...CONTAINER, args: [{ name: 'pathname', value: '/dev/shm/malware' }, { name: 'bytes', value: ELF }] }],
    findings: [],
  },
  // ours
  { name: 'ours: the host drops an ELF (not a container: Tracee never sees it)', events: [write(HOST, '/usr/local/bin/tool')], findings: [] },
  { name: 'ours: a container drops an ELF', events: [write(CONTAINER, '/tmp/x')], findings: [{ trigger: 0, data: { path: '/tmp/x' } }] },
  { name: "ours: a container's pid 1 before its first exec (not started: Tracee's Origin container excludes it)", events: [CLONED_INIT, write({ ...CONTAINER, hostProcessId: 9001 }, '/tmp/x')], findings: [] },
  {
    name: 'ours: the same once it has exec\'d',
    events: [CLONED_INIT, { eventName: 'sched_process_exec', ...CONTAINER, hostProcessId: 9001, args: [{ name: 'pathname', value: '/bin/sh' }] }, write({ ...CONTAINER, hostProcessId: 9001 }, '/tmp/x')],
    findings: [{ trigger: 2, data: { path: '/tmp/x' } }],
  },
  { name: 'ours: into a memfd', events: [write(CONTAINER, 'memfd:payload')], findings: [] },
  { name: 'ours: under /run/shm', events: [write(CONTAINER, '/run/shm/x')], findings: [] },
  { name: 'ours: text', events: [write(CONTAINER, '/tmp/notes', [...Buffer.from('just some notes\n')])], findings: [] },
]);
