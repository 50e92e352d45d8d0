// Tracee's cases for TRC-101 (signatures/golang/stdio_over_socket_test.go), then ours.
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './stdio_over_socket.js';

const DNS = { sa_family: 'AF_INET', sin_port: '53', sin_addr: '10.225.0.2' };
const NO_PEER = { sa_family: 'AF_INET', sin_port: '0', sin_addr: '' };
const lsm = (sockfd: number, remote_addr: object) => ({ eventName: 'security_socket_connect', args: [{ name: 'sockfd', value: sockfd }, { name: 'remote_addr', value: remote_addr }] });
const dup = (newfd: number, remote_addr: object) => ({ eventName: 'socket_dup', args: [{ name: 'newfd', value: newfd }, { name: 'remote_addr', value: remote_addr }] });
// ours: socket_dup as our kernel side sends it (Tracee's arguments, then local_addr)
const dup2 = (oldfd: number, newfd: number, remote_addr: object) => ({
  eventName: 'socket_dup', args: [{ name: 'oldfd', value: oldfd }, { name: 'newfd', value: newfd }, { name: 'remote_addr', value: remote_addr }, { name: 'local_addr', value: { sa_family: 'AF_INET', sin_port: '40000', sin_addr: '10.0.0.5' } }],
});
const connect = (sockfd: number, addr: object, returnValue = 0) => ({ eventName: 'connect', returnValue, args: [{ name: 'sockfd', value: sockfd }, { name: 'addr', value: addr }, { name: 'addrlen', value: 16 }] });
const ATTACKER = { sa_family: 'AF_INET', sin_port: '4444', sin_addr: '203.0.113.7' };

traceeCases(rule, [
  {
    name: 'should trigger detection - security_socket_connect',
    events: [lsm(0, DNS)],
    findings: [{ trigger: 0, data: { 'File descriptor': 0, 'IP address': '10.225.0.2', Port: '53' } }],
  },
  {
    name: 'should trigger detection - socket_dup',
    events: [dup(0, DNS)],
    findings: [{ trigger: 0, data: { 'File descriptor': 0, 'IP address': '10.225.0.2', Port: '53' } }],
  },
  { name: 'should not trigger detection - security_socket_connect wrong FD', events: [lsm(3, DNS)], findings: [] },
  { name: 'should not trigger detection - security_socket_connect legit port', events: [lsm(1, NO_PEER)], findings: [] },
  { name: 'should not trigger detection - socket_dup wrong FD', events: [dup(3, DNS)], findings: [] },
  { name: 'should not trigger detection - socket_dup legit port', events: [dup(1, NO_PEER)], findings: [] },
  // ours
  {
    name: 'ours: dup2 of a connected TCP socket onto stdout',
    events: [dup2(3, 1, ATTACKER)],
    findings: [{ trigger: 0, data: { 'File descriptor': 1, 'IP address': '203.0.113.7', Port: '4444' } }],
  },
  {
    name: 'ours: onto stderr, IPv6',
    events: [dup2(3, 2, { sa_family: 'AF_INET6', sin6_port: '4444', sin6_flowinfo: '0', sin6_addr: '2001:db8::7' })],
    findings: [{ trigger: 0, data: { 'File descriptor': 2, 'IP address': '2001:db8::7', Port: '4444' } }],
  },
  { name: 'ours: a UNIX socket onto stdin', events: [dup2(3, 0, { sa_family: 'AF_UNIX', sun_path: '/run/x.sock' })], findings: [] },
  { name: 'ours: onto fd 10', events: [dup2(3, 10, ATTACKER)], findings: [] },
  {
    name: 'ours: connect on fd 0 (no security_socket_connect here)',
    events: [connect(0, ATTACKER)],
    findings: [{ trigger: 0, data: { 'File descriptor': 0, 'IP address': '203.0.113.7', Port: '4444' } }],
  },
  {
    name: 'ours: a non-blocking connect on fd 1 (EINPROGRESS) passed the hook',
    events: [connect(1, ATTACKER, -115)],
    findings: [{ trigger: 0, data: { 'File descriptor': 1, 'IP address': '203.0.113.7', Port: '4444' } }],
  },
  { name: 'ours: connect on fd 0 that is not a socket (ENOTSOCK)', events: [connect(0, ATTACKER, -88)], findings: [] },
  { name: 'ours: connect on fd 5', events: [connect(5, ATTACKER)], findings: [] },
  { name: 'ours: an AF_INET address too short to hold a port', events: [connect(0, { sa_family: 'AF_INET', sa_data: '1151' })], findings: [] },
  {
    name: 'ours: a kernel with both: security_socket_connect, then the syscall, one finding',
    events: [lsm(0, ATTACKER), connect(0, ATTACKER)],
    findings: [{ trigger: 0, data: { 'File descriptor': 0, 'IP address': '203.0.113.7', Port: '4444' } }],
  },
]);
