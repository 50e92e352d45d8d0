// The builtin rules: the behaviour of Tracee's detectors of the same purpose,
// with their ids, event names, severities and MITRE ATT&CK techniques, so a
// finding maps to Tracee's. They are built on events every kernel that
// traces syscalls can give: syscalls; magic_write and mem_prot_alert, which
// the kernel side derives from them; and security_file_open, through fentry
// or kprobes, or derived from the open syscalls where neither runs. Opened
// files are judged by their absolute path; renames by the path the syscall
// was given (absolute ones only).
import { filter, map, mergeMap, type OperatorFunction } from 'rxjs';
import { argOf } from '../decode.js';
import { CONSTANTS, KERNEL_VALUES, type Sockaddr, type TraceeEvent } from '../generated/schema.js';
import type { PolicyRule } from '../policy.js';
import type { Mitre, Rule, RuleContext, RuleMatch, Severity } from './rule.js';

const constant = (table: readonly (readonly [string, number])[], name: string): number => {
  const hit = table.find(([n]) => n === name);
  if (!hit) throw new Error(`the headers define no ${name}`);
  return hit[1];
};
const O_WRONLY = constant(CONSTANTS.open_access, 'O_WRONLY');
const O_RDWR = constant(CONSTANTS.open_access, 'O_RDWR');
const O_CREAT = constant(CONSTANTS.open_flags, 'O_CREAT');
const O_TRUNC = constant(CONSTANTS.open_flags, 'O_TRUNC');
const PROT_WRITE = constant(CONSTANTS.prot, 'PROT_WRITE');
const PROT_EXEC = constant(CONSTANTS.prot, 'PROT_EXEC');
const PTRACE = (name: string) => constant(CONSTANTS.ptrace_request, name);

/** Every constant's value by name, for arguments recorded as names (Tracee's parsed JSON: `PTRACE_POKEDATA`, `O_WRONLY|O_CREAT`). */
const BY_NAME = new Map<string, number>(Object.values(CONSTANTS).flatMap((table) => table.map(([n, v]) => [n, v] as [string, number])));
const num = (e: TraceeEvent, name: string): number => {
  const v = argOf(e, name);
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v === '') return NaN;
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(v)) return Number(v);
  return v.split('|').reduce((acc, part) => acc | (BY_NAME.get(part.trim()) ?? NaN), 0);
};
const str = (e: TraceeEvent, name: string) => {
  const v = argOf(e, name);
  return typeof v === 'string' ? v : '';
};

/** Opened for writing (or created, or truncated). */
const writes = (flags: number) => (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) !== 0;

const meta = (id: string, eventName: string, name: string, severity: Severity, mitre: Mitre, description: string) => ({ id, eventName, name, severity, mitre, description });

/** A path opened, with whether for writing; renames count as writes of the new path. */
function fileAccess(e: TraceeEvent): { path: string; write: boolean } | undefined {
  switch (e.eventName) {
    case 'security_file_open':
      return { path: str(e, 'pathname'), write: writes(num(e, 'flags')) };
    case 'rename':
    case 'renameat':
    case 'renameat2':
      return { path: str(e, 'newpath'), write: true };
    default:
      return undefined;
  }
}

const RENAME_EVENTS = ['rename', 'renameat', 'renameat2'] as const;

/**
 * The policy rules of the opens and renames that may write a path matching
 * `kernel` (Tracee's patterns). Opens are security_file_open, as Tracee's
 * rules take them: the file's absolute path whatever the syscall was given
 * (relative, under a dirfd, through a link); renames are the syscalls'.
 */
const fileWriteEvents = (kernel: string[]): PolicyRule[] => [
  { event: 'security_file_open', filters: [`data.pathname=${kernel.join(',')}`] },
  ...RENAME_EVENTS.map((event) => ({ event, filters: [`data.newpath=${kernel.join(',')}`, 'retval=0'] })),
];

/** A match as mergeMap takes it: none, or one. */
const matchesOf = (m: RuleMatch | undefined): RuleMatch[] => (m ? [m] : []);

/** A successful open for writing, or rename onto, a path that `matches`. */
function fileWrite(e: TraceeEvent, matches: (path: string) => boolean): RuleMatch | undefined {
  const f = e.returnValue >= 0 ? fileAccess(e) : undefined;
  return f !== undefined && f.write && matches(f.path) ? { event: e, data: { path: f.path } } : undefined;
}

/**
 * A rule on files opened for writing (or renamed into place) whose path
 * `matches`; `kernel` narrows what the kernel sends (path patterns).
 */
function fileWriteRule(m: ReturnType<typeof meta>, kernel: string[], matches: (path: string) => boolean): Rule {
  return {
    ...m,
    events: fileWriteEvents(kernel),
    detect: () => (events$) => events$.pipe(mergeMap((e) => matchesOf(fileWrite(e, matches)))),
  };
}

/** The value of `name` in an exec's captured environment, if set: sched_process_exec's `env` (ours and Tracee's), or execve's `envp`. */
function envVar(e: TraceeEvent, name: string): string | undefined {
  const env = argOf(e, 'envp') ?? argOf(e, 'env');
  const entry = Array.isArray(env) ? (env as unknown[]).find((v): v is string => typeof v === 'string' && v.startsWith(`${name}=`)) : undefined;
  return entry?.slice(name.length + 1);
}

/** Variables that make the dynamic loader load libraries a program did not ask for. */
const PRELOAD_ENVS = ['LD_PRELOAD', 'LD_LIBRARY_PATH'];

/** A rule on files opened for reading (security_file_open) whose path `matches`, by processes not named in `legit`. */
function fileReadRule(m: ReturnType<typeof meta>, kernel: string[], matches: (path: string) => boolean, legit: string[] = []): Rule {
  const events: PolicyRule[] = [{ event: 'security_file_open', filters: [`data.pathname=${kernel.join(',')}`] }];
  return {
    ...m,
    events,
    detect: () => (events$) =>
      events$.pipe(
        filter((e) => e.returnValue >= 0 && !writes(num(e, 'flags')) && !legit.includes(e.processName) && matches(str(e, 'pathname'))),
        map((event) => ({ event, data: { path: str(event, 'pathname') } })),
      ),
  };
}

const under = (dirs: string[]) => (p: string) => dirs.some((d) => p.startsWith(d));
const oneOf = (files: string[]) => (p: string) => files.includes(p);
const either = (...tests: ((p: string) => boolean)[]) => (p: string) => tests.some((t) => t(p));
const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

const ESCAPE: Mitre = { tactic: 'Privilege Escalation', technique: 'Escape to Host', id: 'T1611' };

/** Sockets a process connected to internet addresses, by fd, from its connect() calls. */
class Connections {
  #byPid = new Map<number, Map<number, Sockaddr>>();
  note(e: TraceeEvent): void {
    const addr = argOf(e, 'addr');
    if (e.eventName !== 'connect' || typeof addr !== 'object' || Array.isArray(addr)) return;
    let fds = this.#byPid.get(e.hostProcessId);
    if (!fds) this.#byPid.set(e.hostProcessId, (fds = new Map()));
    fds.set(num(e, 'sockfd'), addr as Sockaddr);
    if (this.#byPid.size > 65_536) this.#byPid.delete(this.#byPid.keys().next().value!);
  }
  get(pid: number, fd: number): Sockaddr | undefined {
    return this.#byPid.get(pid)?.get(fd);
  }
  forget(pid: number): void {
    this.#byPid.delete(pid);
  }
}

const internet = (a: Sockaddr | undefined) => a !== undefined && (a.sa_family === 'AF_INET' || a.sa_family === 'AF_INET6');
const port = (a: Sockaddr) => a.sin_port ?? a.sin6_port ?? '';
const ip = (a: Sockaddr) => a.sin_addr ?? a.sin6_addr ?? '';

const SHELLS = ['ash', 'bash', 'csh', 'ksh', 'sh', 'tcsh', 'zsh', 'dash'];
const WEB_SERVERS = ['nginx', 'httpd', 'httpd-foregroun', 'http-nio', 'lighttpd', 'apache', 'apache2'];
const MEMORY_PATH = /^(memfd:|\/dev\/shm\/|\/run\/shm\/)/;

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** Every builtin rule. */
export const BUILTIN_RULES: readonly Rule[] = [
  {
    ...meta('TRC-101', 'stdio_over_socket', 'Process standard input/output over socket detected', 3, { tactic: 'Execution', technique: 'Unix Shell', id: 'T1059.004' },
      "A process has its standard input/output redirected to a socket, the base of a reverse shell: an interactive shell invoked from a target machine back to the attacker's."),
    events: [{ event: 'connect' }, { event: 'dup2' }, { event: 'dup3' }, { event: 'sched_process_exit' }],
    detect: (): OperatorFunction<TraceeEvent, RuleMatch> => (events$) => {
      const sockets = new Connections();
      return events$.pipe(
        mergeMap((e) => {
          if (e.eventName === 'sched_process_exit') {
            if (argOf(e, 'process_group_exit')) sockets.forget(e.hostProcessId);
            return [];
          }
          if (e.returnValue < 0) return [];
          let fd: number;
          let addr: Sockaddr | undefined;
          if (e.eventName === 'connect') {
            sockets.note(e);
            fd = num(e, 'sockfd');
            addr = argOf(e, 'addr') as Sockaddr | undefined;
          } else {
            fd = num(e, 'newfd');
            addr = sockets.get(e.hostProcessId, num(e, 'oldfd'));
          }
          if (fd > 2 || !internet(addr) || ['', '0'].includes(port(addr!))) return [];
          return [{ event: e, data: { 'IP address': ip(addr!), Port: port(addr!), 'File descriptor': fd } }];
        }),
      );
    },
  },
  {
    ...meta('TRC-102', 'anti_debugging', 'Anti-Debugging detected', 1, { tactic: 'Defense Evasion', technique: 'Debugger Evasion', id: 'T1622' },
      'A process used anti-debugging techniques (ptrace(PTRACE_TRACEME)) to block a debugger. Malware uses anti-debugging to stay invisible and inhibit analysis of its behaviour.'),
    events: [{ event: 'ptrace', filters: [`data.request=${PTRACE('PTRACE_TRACEME')}`] }],
    detect: () => (events$) => events$.pipe(filter((e) => num(e, 'request') === PTRACE('PTRACE_TRACEME')), map((event) => ({ event }))),
  },
  {
    ...meta('TRC-103', 'ptrace_code_injection', 'Code injection detected using ptrace', 3, { tactic: 'Defense Evasion', technique: 'Ptrace System Calls', id: 'T1055.008' },
      'Possible code injection into another process: it wrote into its memory with ptrace (PTRACE_POKETEXT, PTRACE_POKEDATA).'),
    events: [{ event: 'ptrace', filters: [`data.request=${PTRACE('PTRACE_POKETEXT')},${PTRACE('PTRACE_POKEDATA')}`] }],
    detect: () => (events$) =>
      events$.pipe(
        filter((e) => [PTRACE('PTRACE_POKETEXT'), PTRACE('PTRACE_POKEDATA')].includes(num(e, 'request'))),
        map((event) => ({ event, data: { 'target pid': num(event, 'pid') } })),
      ),
  },
  {
    ...meta('TRC-1025', 'process_vm_write_inject', 'Code injection detected using process_vm_writev syscall', 3, { tactic: 'Defense Evasion', technique: 'Process Injection', id: 'T1055' },
      "Possible code injection into another process: it wrote into the other's memory with process_vm_writev."),
    events: [{ event: 'process_vm_writev', filters: ['retval>0'] }],
    detect: () => (events$) =>
      events$.pipe(
        // the target pid is in the caller's pid namespace, as processId is
        filter((e) => e.returnValue > 0 && num(e, 'pid') !== e.processId),
        map((event) => ({ event, data: { 'target pid': num(event, 'pid') } })),
      ),
  },
  {
    ...meta('TRC-104', 'dynamic_code_loading', 'Dynamic code loading detected', 2, { tactic: 'Defense Evasion', technique: 'Software Packing', id: 'T1027.002' },
      "Memory was made both writable and executable (mmap or mprotect with PROT_WRITE|PROT_EXEC): writing code into executable memory runs it without dropping an executable."),
    // the kernel sends only those (mem_prot_alert)
    events: [{ event: 'mem_prot_alert' }],
    detect: () => (events$) =>
      events$.pipe(
        // W+X (ours, and Tracee's mmap alert); or Tracee's alert 4, W+X made
        // X, which only its LSM hook sees (recorded Tracee events replayed)
        filter((e) => (num(e, 'prot') & (PROT_WRITE | PROT_EXEC)) === (PROT_WRITE | PROT_EXEC) || num(e, 'alert') === 4),
        map((event) => ({ event, data: { alert: num(event, 'alert') } })),
      ),
  },
  {
    ...meta('TRC-105', 'fileless_execution', 'Fileless execution detected', 3, { tactic: 'Defense Evasion', technique: 'Reflective Code Loading', id: 'T1620' },
      'A program was executed from memory (a memfd, or shared memory under /dev/shm or /run/shm) instead of from a file on disk.'),
    // Tracee's definition (helpers.IsMemoryPath) on the file that runs:
    // sched_process_exec's pathname is its real path (a memfd as
    // memfd:name), whatever name reached it (/proc/self/fd/N, a relative
    // path, a link), so an fd of a plain file is not fileless
    events: [{ event: 'sched_process_exec' }],
    detect: () => (events$) =>
      events$.pipe(
        filter((e) => MEMORY_PATH.test(str(e, 'pathname'))),
        map((event) => ({ event, data: { path: str(event, 'pathname') } })),
      ),
  },
  {
    ...meta('TRC-107', 'ld_preload', 'LD_PRELOAD code injection detected', 2, { tactic: 'Persistence', technique: 'Hijack Execution Flow: Dynamic Linker Hijacking', id: 'T1574.006' },
      'A program was executed with LD_PRELOAD or LD_LIBRARY_PATH in its environment, or /etc/ld.so.preload was written: the dynamic loader loads the libraries they name into the program (or every program).'),
    // sched_process_exec carries the new program's environment (with
    // execEnv), whichever exec made it (execve, execveat, fexecve), as
    // Tracee's does; execve's envp is read too, for recorded events
    events: [...fileWriteEvents(['/etc/ld.so.preload']), { event: 'sched_process_exec' }],
    execEnv: true,
    detect: () => (events$) =>
      events$.pipe(
        mergeMap((e): RuleMatch[] => {
          if (e.eventName !== 'execve' && e.eventName !== 'sched_process_exec') return matchesOf(fileWrite(e, oneOf(['/etc/ld.so.preload'])));
          const name = e.returnValue === 0 ? PRELOAD_ENVS.find((n) => envVar(e, n) !== undefined) : undefined;
          return name ? [{ event: e, data: { [name]: envVar(e, name) } }] : [];
        }),
      ),
  },
  fileWriteRule(
    meta('TRC-106', 'cgroup_notify_on_release', 'Cgroups notify_on_release file modification', 2, ESCAPE,
      "A cgroup's notify_on_release file was written: with release_agent it runs a program on the host when the cgroup empties, a known container escape."),
    ['*/notify_on_release'],
    (p) => basename(p) === 'notify_on_release',
  ),
  fileWriteRule(
    meta('TRC-1010', 'cgroup_release_agent', 'Cgroups release agent file modification', 3, ESCAPE,
      "A cgroup's release_agent file was written: the kernel runs that program on the host, a known container escape."),
    ['*/release_agent'],
    (p) => basename(p) === 'release_agent',
  ),
  fileWriteRule(
    meta('TRC-1011', 'core_pattern_modification', 'Core dumps configuration file modification detected', 3, ESCAPE,
      '/proc/sys/kernel/core_pattern was written: a pipe there runs a program as root on the host at the next core dump.'),
    ['/proc/sys/kernel/core_pattern'],
    oneOf(['/proc/sys/kernel/core_pattern']),
  ),
  fileWriteRule(
    meta('TRC-1026', 'rcd_modification', 'Rcd modification detected', 2, { tactic: 'Persistence', technique: 'RC Scripts', id: 'T1037.004' },
      'An rc script (run at boot) was written.'),
    ['/etc/rc.local', '/etc/init.d/*', '/etc/rc.d/*', '/etc/rc0.d/*', '/etc/rc1.d/*', '/etc/rc2.d/*', '/etc/rc3.d/*', '/etc/rc4.d/*', '/etc/rc5.d/*', '/etc/rc6.d/*', '/etc/rcS.d/*'],
    either(oneOf(['/etc/rc.local', '/etc/init.d/rc.local']), under(['/etc/init.d/', '/etc/rc.d/', ...'0123456S'.split('').map((n) => `/etc/rc${n}.d/`)])),
  ),
  fileWriteRule(
    meta('TRC-1027', 'scheduled_task_mod', 'Scheduled tasks modification detected', 2, { tactic: 'Persistence', technique: 'Cron', id: 'T1053.003' },
      'A cron table or cron directory was written: a scheduled task is a common way to keep running.'),
    ['/etc/crontab', '/etc/anacrontab', '/etc/cron.deny', '/etc/cron.allow', '/etc/cron.*', '/var/spool/cron/*', '/var/spool/anacron/*'],
    either(oneOf(['/etc/crontab', '/etc/anacrontab', '/etc/cron.deny', '/etc/cron.allow']), under(['/etc/cron.hourly/', '/etc/cron.daily/', '/etc/cron.weekly/', '/etc/cron.monthly/', '/etc/cron.d/', '/var/spool/cron/', '/var/spool/anacron/'])),
  ),
  fileWriteRule(
    meta('TRC-1028', 'sudoers_modification', 'Sudoers file modification detected', 2, { tactic: 'Privilege Escalation', technique: 'Sudo and Sudo Caching', id: 'T1548.003' },
      'The sudoers file (sudo\'s permissions) was written: adversaries alter it to run commands as other users.'),
    ['/etc/sudoers', '/etc/sudoers.d/*'],
    either(oneOf(['/etc/sudoers']), under(['/etc/sudoers.d/'])),
  ),
  fileWriteRule(
    meta('TRC-1030', 'system_request_key_mod', 'System request key configuration modification', 3, ESCAPE,
      'The magic SysRq key configuration or trigger was written: it can crash or reboot the host from a container.'),
    ['/proc/sys/kernel/sysrq', '/proc/sysrq-trigger'],
    oneOf(['/proc/sys/kernel/sysrq', '/proc/sysrq-trigger']),
  ),
  fileReadRule(
    meta('TRC-109', 'aslr_inspection', 'ASLR inspection detected', 0, { tactic: 'Privilege Escalation', technique: 'Exploitation for Privilege Escalation', id: 'T1068' },
      'The ASLR configuration (/proc/sys/kernel/randomize_va_space) was read, as exploits do to plan memory corruption.'),
    ['/proc/sys/kernel/randomize_va_space'],
    oneOf(['/proc/sys/kernel/randomize_va_space']),
  ),
  fileReadRule(
    meta('TRC-108', 'k8s_service_account_token', 'K8s service account token file read', 0, { tactic: 'Credential Access', technique: 'Exploitation for Credential Access', id: 'T1212' },
      "A Kubernetes service account's token was read: it authenticates to the API server as that account."),
    ['/var/run/secrets/kubernetes.io/serviceaccount/*', '/run/secrets/kubernetes.io/serviceaccount/*'],
    (p) => /^\/(var\/)?run\/secrets\/kubernetes\.io\/serviceaccount\/.*token$/.test(p),
  ),
  fileReadRule(
    meta('TRC-1018', 'k8s_cert_theft', 'K8s TLS certificate theft detected', 3, { tactic: 'Credential Access', technique: 'Steal Application Access Token', id: 'T1528' },
      "A Kubernetes TLS certificate or key (/etc/kubernetes/pki/) was read by a process other than Kubernetes' own: with it an adversary can impersonate a cluster component."),
    ['/etc/kubernetes/pki/*'],
    (p) => p.startsWith('/etc/kubernetes/pki/'),
    ['kube-apiserver', 'kubelet', 'kube-controller', 'etcd'],
  ),
  fileReadRule(
    meta('TRC-1023', 'proc_mem_access', 'Process memory access detected', 3, { tactic: 'Credential Access', technique: 'Proc Filesystem', id: 'T1003.007' },
      "Another process's memory was opened for reading through /proc/<pid>/mem, as credential stealers do."),
    ['*/mem'],
    (p) => /^\/proc\/\d+\/mem$/.test(p),
  ),
  fileWriteRule(
    meta('TRC-1024', 'proc_mem_code_injection', 'Code injection detected through /proc/<pid>/mem file', 3, { tactic: 'Defense Evasion', technique: 'Proc Memory', id: 'T1055.009' },
      "A process's memory was opened for writing through /proc/<pid>/mem: possible code injection."),
    ['*/mem'],
    (p) => /^\/proc\/\d+\/mem$/.test(p),
  ),
  fileWriteRule(
    meta('TRC-1012', 'default_loader_mod', 'Default dynamic loader modification detected', 3, { tactic: 'Defense Evasion', technique: 'Hijack Execution Flow', id: 'T1574' },
      'The dynamic loader (ld.so), which runs before every dynamically linked program, was written or replaced.'),
    ['/lib*', '/usr/lib*'],
    (p) => /^\/(lib|usr\/lib).*\/ld.*\.so[^/]*$/.test(p),
  ),
  fileReadRule(
    meta('TRC-1029', 'sched_debug_recon', 'sched_debug CPU file was read', 1, { tactic: 'Discovery', technique: 'Container and Resource Discovery', id: 'T1613' },
      "The scheduler's debug file (CPUs, every process) was read, as reconnaissance from a container does."),
    ['/proc/sched_debug', '/sys/kernel/debug/sched/debug'],
    oneOf(['/proc/sched_debug', '/sys/kernel/debug/sched/debug']),
  ),
  fileReadRule(
    meta('TRC-1021', 'proc_kcore_read', 'Kcore memory file read', 2, ESCAPE,
      "/proc/kcore (the host's physical memory as a core file) was read."),
    ['/proc/kcore'],
    oneOf(['/proc/kcore']),
  ),
  {
    ...meta('TRC-1017', 'kernel_module_loading', 'Kernel module loading detected', 2, { tactic: 'Persistence', technique: 'Kernel Modules and Extensions', id: 'T1547.006' },
      'A kernel module was loaded, or an attempt was made (init_module, finit_module): code in the kernel can hide anything. Attempts the kernel refused are findings too (data.loaded false).'),
    events: [{ event: 'init_module' }, { event: 'finit_module' }],
    detect: () => (events$) => events$.pipe(map((event) => ({ event, data: { loaded: event.returnValue === 0 } }))),
  },
  {
    ...meta('TRC-1015', 'hidden_file_created', 'Hidden executable creation detected', 2, { tactic: 'Defense Evasion', technique: 'Hidden Files and Directories', id: 'T1564.001' },
      'An executable file was created (or made executable) under a hidden name (a path component starting with a dot). Judged by the mode given, not by the contents, until the kernel reports written bytes.'),
    events: [
      { event: 'openat', filters: ['data.pathname=*/.*', 'retval>=0'] },
      { event: 'creat', filters: ['data.pathname=*/.*', 'retval>=0'] },
      { event: 'chmod', filters: ['data.pathname=*/.*', 'retval=0'] },
      { event: 'fchmodat', filters: ['data.pathname=*/.*', 'retval=0'] },
    ],
    detect: () => (events$) =>
      events$.pipe(
        filter((e) => {
          const path = str(e, 'pathname');
          const created = e.eventName === 'creat' || (e.eventName === 'openat' && (num(e, 'flags') & O_CREAT) !== 0) || e.eventName.endsWith('chmod') || e.eventName === 'fchmodat';
          return e.returnValue >= 0 && created && (num(e, 'mode') & 0o111) !== 0 && /\/\.[^/.]/.test(path);
        }),
        map((event) => ({ event, data: { path: str(event, 'pathname') } })),
      ),
  },
  {
    ...meta('TRC-1022', 'dropped_executable', 'New executable dropped', 2, { tactic: 'Defense Evasion', technique: 'Masquerading', id: 'T1036' },
      'An ELF executable was written to a file (the first bytes written at its start are the ELF magic): a program that was not installed, as attackers drop their tools.'),
    // the kernel sends only first writes at offset 0 of regular files
    events: [{ event: 'magic_write' }],
    detect: () => (events$) =>
      events$.pipe(
        mergeMap((e): RuleMatch[] => {
          const bytes = argOf(e, 'bytes');
          const path = str(e, 'pathname');
          return Array.isArray(bytes) && ELF_MAGIC.every((b, i) => bytes[i] === b) && !MEMORY_PATH.test(path) ? [{ event: e, data: { path } }] : [];
        }),
      ),
  },
  {
    ...meta('TRC-1016', 'illegitimate_shell', 'Web server spawned a shell', 2, { tactic: 'Initial Access', technique: 'Exploit Public-Facing Application', id: 'T1190' },
      "A web server's process executed a shell: web servers do not run shells, an adversary exploiting one does."),
    events: [{ event: 'sched_process_exec' }],
    detect: ({ tree }: RuleContext) => (events$) =>
      events$.pipe(
        filter((e) => SHELLS.includes(e.processName) && WEB_SERVERS.includes(tree.get(e.hostProcessId)?.previousComm ?? '')),
        map((event) => ({ event, data: { 'web server': tree.get(event.hostProcessId)?.previousComm } })),
      ),
  },
  {
    ...meta('TRC-1014', 'disk_mount', 'Container device mount detected', 3, ESCAPE,
      "A container mounted a host device (/dev/...): with the host's disk mounted it can read and change the host."),
    events: [{ event: 'mount', filters: ['data.source=/dev/*', 'retval=0'] }],
    detect: () => (events$) =>
      events$.pipe(
        filter((e) => e.returnValue === 0 && str(e, 'source').startsWith('/dev/') && e.pidNamespace !== KERNEL_VALUES.PROC_PID_INIT_INO),
        map((event) => ({ event, data: { source: str(event, 'source'), target: str(event, 'target') } })),
      ),
  },
  {
    ...meta('TRC-1013', 'k8s_api_connection', 'Kubernetes API server connection detected', 1, { tactic: 'Discovery', technique: 'Cloud Service Discovery', id: 'T1526' },
      "A container connected to the Kubernetes API server (the address its environment's KUBERNETES_SERVICE_HOST names): from there it can gather secrets or start more containers."),
    // the environment of every program the container runs, however it was exec'd
    events: [{ event: 'sched_process_exec' }, { event: 'connect' }],
    execEnv: true,
    detect: () => (events$) => {
      // the API server's address per container (pid namespace), from the
      // environment its programs were executed with
      const apiServer = new Map<number, string>();
      return events$.pipe(
        mergeMap((e): RuleMatch[] => {
          if (e.pidNamespace === KERNEL_VALUES.PROC_PID_INIT_INO) return [];
          if (e.eventName === 'sched_process_exec' || e.eventName === 'execve') {
            const host = e.returnValue === 0 ? envVar(e, 'KUBERNETES_SERVICE_HOST')?.trim() : undefined;
            if (host) apiServer.set(e.pidNamespace, host);
            return [];
          }
          const a = argOf(e, 'addr') as Sockaddr | undefined;
          const ip = typeof a === 'object' ? (a.sin_addr ?? a.sin6_addr) : undefined;
          const host = apiServer.get(e.pidNamespace);
          return ip !== undefined && ip === host ? [{ event: e, data: { ip } }] : [];
        }),
      );
    },
  },
  {
    ...meta('TRC-1019', 'docker_abuse', 'Docker socket abuse detected', 2, { tactic: 'Privilege Escalation', technique: 'Exploitation for Privilege Escalation', id: 'T1068' },
      "The Docker daemon's UNIX socket was connected to: whoever talks to it can start privileged containers."),
    events: [{ event: 'connect', filters: ['retval=0'] }],
    detect: () => (events$) =>
      events$.pipe(
        filter((e) => {
          const a = argOf(e, 'addr') as Sockaddr | undefined;
          return e.returnValue === 0 && typeof a === 'object' && a?.sa_family === 'AF_UNIX' && (a.sun_path ?? '').endsWith('docker.sock');
        }),
        map((event) => ({ event, data: { path: (argOf(event, 'addr') as Sockaddr).sun_path } })),
      ),
  },
];
