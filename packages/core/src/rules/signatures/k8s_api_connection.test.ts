// Tracee's cases for TRC-1013 (signatures/golang/kubernetes_api_connection_test.go), then ours.
import { KERNEL_VALUES } from '../../generated/schema.js';
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './k8s_api_connection.js';

// Tracee's container 0907ef86d7be (its id, as Tracee's JSON carries it)
const C = { pidNamespace: 4026532700, container: { id: '0907ef86d7be' } };
const OTHER = { pidNamespace: 4026532701, container: { id: '5eb0a3c1f2d4' } };
const HOST = { pidNamespace: KERNEL_VALUES.PROC_PID_INIT_INO };
const ENV = ['CURL_CA_BUNDLE=/cacert.pem', 'HOSTNAME=3c5f9dbcb5da', 'CURL_RELEASE_TAG=curl-7_76_1', 'CURL_GIT_REPO=https://github.com/curl/curl.git', 'SHLVL=2', 'HOME=/home/curl_user', 'TERM=xterm', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'PWD=/', 'KUBERNETES_SERVICE_HOST=1.1.1.1', 'CURL_VERSION=7_76_1'];
const exec = (where: object, env: string[]) => ({ eventName: 'sched_process_exec', ...where, args: [{ name: 'argv', value: ['/bin/ls'] }, { name: 'env', value: env }] });
const lsm = (where: object, addr: object) => ({ eventName: 'security_socket_connect', ...where, args: [{ name: 'remote_addr', value: addr }] });
const connect = (where: object, addr: object, returnValue = 0) => ({ eventName: 'connect', ...where, returnValue, args: [{ name: 'sockfd', value: 3 }, { name: 'addr', value: addr }, { name: 'addrlen', value: 16 }] });
const v4 = (ip: string, port = '443') => ({ sa_family: 'AF_INET', sin_port: port, sin_addr: ip });

// a container made while tracing, not started: its pid 1 (host pid 9001) cloned
// into a new pid namespace by the runtime, before its first exec
const CLONED_INIT = { eventName: 'sched_process_fork', hostProcessId: 9000, processName: 'runc:[1:CHILD]', pidNamespace: KERNEL_VALUES.PROC_PID_INIT_INO, args: [{ name: 'child_tid', value: 9001 }, { name: 'child_pid', value: 9001 }, { name: 'child_ns_tid', value: 1 }, { name: 'child_ns_pid', value: 1 }] };

traceeCases(rule, [
  {
    name: 'should trigger detection',
    events: [exec(C, ENV), lsm(C, { sa_family: 'AF_INET', sin_port: '80', sin_addr: '1.1.1.1' })],
    findings: [{ trigger: 1, data: { ip: '1.1.1.1' } }],
  },
  {
    name: 'should not trigger detection',
    events: [exec(C, ENV), lsm(C, { sa_family: 'AF_INET', sin_port: '80', sin_addr: '169.254.169.254' })],
    findings: [],
  },
  // ours: the connect syscall where security_socket_connect does not run
  { name: 'ours: connect to the API server', events: [exec(C, ['KUBERNETES_SERVICE_HOST=10.96.0.1']), connect(C, v4('10.96.0.1'))], findings: [{ trigger: 1, data: { ip: '10.96.0.1' } }] },
  { name: 'ours: refused (ECONNREFUSED) after the hook: a finding', events: [exec(C, ['KUBERNETES_SERVICE_HOST=10.96.0.1']), connect(C, v4('10.96.0.1'), -111)], findings: [{ trigger: 1, data: { ip: '10.96.0.1' } }] },
  { name: 'ours: refused before the hook (EBADF)', events: [exec(C, ['KUBERNETES_SERVICE_HOST=10.96.0.1']), connect(C, v4('10.96.0.1'), -9)], findings: [] },
  { name: 'ours: another container connects there', events: [exec(C, ['KUBERNETES_SERVICE_HOST=10.96.0.1']), connect(OTHER, v4('10.96.0.1'))], findings: [] },
  { name: 'ours: the host connects there', events: [exec(HOST, ['KUBERNETES_SERVICE_HOST=10.96.0.1']), connect(HOST, v4('10.96.0.1'))], findings: [] },
  { name: 'ours: no exec with the variable seen', events: [connect(C, v4('10.96.0.1'))], findings: [] },
  {
    name: "ours: Tracee's reading: any entry containing KUBERNETES_SERVICE_HOST=, the text after its first '=', trimmed",
    events: [exec(C, ['MY_KUBERNETES_SERVICE_HOST= 10.0.0.9 ']), connect(C, v4('10.0.0.9'))],
    findings: [{ trigger: 1, data: { ip: '10.0.0.9' } }],
  },
  {
    name: "ours: a container's pid 1 before its first exec (not started); its exec starts it",
    events: [CLONED_INIT, connect({ ...C, hostProcessId: 9001 }, v4('10.96.0.1')), exec({ ...C, hostProcessId: 9001 }, ['KUBERNETES_SERVICE_HOST=10.96.0.1']), connect({ ...C, hostProcessId: 9001 }, v4('10.96.0.1', '6443'), -111)],
    findings: [{ trigger: 3, data: { ip: '10.96.0.1' } }],
  },
  {
    name: 'ours: IPv6',
    events: [exec(C, ['KUBERNETES_SERVICE_HOST=fd00::1']), connect(C, { sa_family: 'AF_INET6', sin6_port: '443', sin6_flowinfo: '0', sin6_addr: 'fd00::1' })],
    findings: [{ trigger: 1, data: { ip: 'fd00::1' } }],
  },
  {
    name: 'ours: an empty value does not replace the address known',
    events: [exec(C, ['KUBERNETES_SERVICE_HOST=10.96.0.1']), exec(C, ['KUBERNETES_SERVICE_HOST=']), connect(C, v4('10.96.0.1'))],
    findings: [{ trigger: 2, data: { ip: '10.96.0.1' } }],
  },
  {
    name: 'ours: a kernel with both: security_socket_connect, then the syscall, one finding',
    events: [exec(C, ['KUBERNETES_SERVICE_HOST=10.96.0.1']), lsm(C, v4('10.96.0.1')), connect(C, v4('10.96.0.1'))],
    findings: [{ trigger: 1, data: { ip: '10.96.0.1' } }],
  },
]);
