// Tracee's cases for TRC-1019 (signatures/golang/docker_abuse_test.go), then ours.
import { KERNEL_VALUES } from '../../generated/schema.js';
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './docker_abuse.js';

// Tracee's container dockercontainer (its id, as Tracee's JSON carries it)
const C = { pidNamespace: 4026532800, container: { id: 'dockercontainer' } };
const HOST = { pidNamespace: KERNEL_VALUES.PROC_PID_INIT_INO };
const O_WRONLY = 1;
const O_RDONLY = 0;
const O_RDWR = 2;
const open = (where: object, pathname: string, flags: number) => ({ eventName: 'security_file_open', ...where, args: [{ name: 'flags', value: flags }, { name: 'pathname', value: pathname }] });
const connect = (where: object, addr: object, returnValue = 0) => ({ eventName: 'connect', ...where, returnValue, args: [{ name: 'sockfd', value: 3 }, { name: 'addr', value: addr }, { name: 'addrlen', value: 110 }] });
const unix = (sun_path: string) => ({ sa_family: 'AF_UNIX', sun_path });

// a container made while tracing, not started: its pid 1 (host pid 9001) cloned
// into a new pid namespace by the runtime, before its first exec
const CLONED_INIT = { eventName: 'sched_process_fork', hostProcessId: 9000, processName: 'runc:[1:CHILD]', pidNamespace: KERNEL_VALUES.PROC_PID_INIT_INO, args: [{ name: 'child_tid', value: 9001 }, { name: 'child_pid', value: 9001 }, { name: 'child_ns_tid', value: 1 }, { name: 'child_ns_pid', value: 1 }] };

traceeCases(rule, [
  {
    name: 'should trigger detection - security_file_open',
    events: [open(C, '/var/run/docker.sock', O_WRONLY)],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should trigger detection - security_socket_connect',
    events: [{ eventName: 'security_socket_connect', ...C, args: [{ name: 'remote_addr', value: unix('/var/run/docker.sock') }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should not trigger detection - security_file_open wrong path',
    events: [open(C, '/var/docker.socket', O_WRONLY)],
    findings: [],
  },
  {
    name: 'should not trigger detection - security_file_open wrong open flags',
    events: [open(C, '/var/run/docker.sock', O_RDONLY)],
    findings: [],
  },
  {
    name: 'should not trigger detection - security_socket_connect wrong addr',
    events: [{ eventName: 'security_socket_connect', ...C, args: [{ name: 'remote_addr', value: { sa_family: 'AF_INET', sin_port: '53', sin_addr: '10.225.0.2' } }] }],
    findings: [],
  },
  // ours
  { name: 'ours: connect to /run/docker.sock (no security_socket_connect here)', events: [connect(C, unix('/run/docker.sock'))], findings: [{ trigger: 0, data: {} }] },
  { name: 'ours: refused (ECONNREFUSED: no daemon) after the hook: a finding', events: [connect(C, unix('/run/docker.sock'), -111)], findings: [{ trigger: 0, data: {} }] },
  { name: 'ours: refused before the hook (ENOTSOCK)', events: [connect(C, unix('/run/docker.sock'), -88)], findings: [] },
  { name: 'ours: the host connects to it (Tracee takes containers only)', events: [connect(HOST, unix('/run/docker.sock'))], findings: [] },
  { name: 'ours: the host opens it for writing', events: [open(HOST, '/var/run/docker.sock', O_WRONLY)], findings: [] },
  { name: 'ours: opened read-write', events: [open(C, '/var/run/docker.sock', O_RDWR)], findings: [{ trigger: 0, data: {} }] },
  { name: "ours: a container's pid 1 before its first exec (not started)", events: [CLONED_INIT, connect({ ...C, hostProcessId: 9001 }, unix('/run/docker.sock'))], findings: [] },
  { name: 'ours: another UNIX socket', events: [connect(C, unix('/run/containerd/containerd.sock'))], findings: [] },
  {
    name: 'ours: a kernel with both: security_socket_connect, then the syscall, one finding',
    events: [{ eventName: 'security_socket_connect', ...C, args: [{ name: 'sockfd', value: 3 }, { name: 'remote_addr', value: unix('/run/docker.sock') }] }, connect(C, unix('/run/docker.sock'))],
    findings: [{ trigger: 0, data: {} }],
  },
]);
