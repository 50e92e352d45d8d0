// The builtin rules on this machine, for real: each behaviour is performed
// harmlessly (system files only inside private mount namespaces, over
// tmpfs; sockets on 127.0.0.1; children killed), once in a way that must
// be found and once in a similar benign way that must not. One trace with
// every rule runs through all of them.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { share, type Subscription } from 'rxjs';
import { BUILTIN_RULES, detect, findings, isFindingEvent, replay, rulePolicies, trace, traceeJson, type Finding, type TraceeEvent } from '@tracee/core';
import { arg, buildExecCases, cgroup2Mount, CLI, until } from './helpers.js';

const ACTIONS = new URL('./fixtures/rule-actions.py', import.meta.url).pathname;
const DIR = `/tmp/trc-rules-${process.pid}`;

/**
 * Runs argv to its end; its pid (the process the finding must name). Not
 * spawnSync: this process's event loop keeps running, so the trace keeps
 * draining while the actions run, as a real consumer's does.
 */
async function run(argv: string[]): Promise<number> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${argv.join(' ')}: exit ${code}: ${stderr}`);
  return child.pid!;
}
const py = (...args: string[]) => run(['python3', ACTIONS, ...args]);
/** A shell in a private mount namespace, with a tmpfs over `dir` (system files are never touched). */
const privately = (dir: string, script: string) => run(['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs none ${dir} && ${script}`]);
/**
 * A container as a runtime makes one, without the runtime (test/containers.test.ts
 * has the real ones): a cgroup named by a 64-hex id, as containerd names its
 * containers', made before the traces start (so each finds it running), and
 * a pid namespace of its own, whose pid 1 starts it by its first exec.
 */
const CONTAINER_PARENT = `${cgroup2Mount()}/trc-rules-${process.pid}`;
const CONTAINER_CGROUP = `${CONTAINER_PARENT}/${'c0de'.repeat(16)}`;
/** argv run in the container's cgroup, in a pid namespace of its own. */
const contained = (argv: string[]) => run(['sh', '-c', `echo $$ > ${CONTAINER_CGROUP}/cgroup.procs && exec unshare -p -f "$@"`, 'sh', ...argv]);
/** A shell in the container (Tracee's container-only signatures). */
const inContainer = (script: string) => contained(['sh', '-c', script]);
/** privately(), in the container. */
const privatelyInContainer = (dir: string, script: string) => contained(['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs none ${dir} && ${script}`]);
/** An action in the container. */
const pyInContainer = (...args: string[]) => contained(['python3', ACTIONS, ...args]);
beforeAll(() => mkdirSync(CONTAINER_CGROUP, { recursive: true }));
afterAll(() => {
  rmdirSync(CONTAINER_CGROUP, { maxRetries: 5 });
  rmdirSync(CONTAINER_PARENT);
});

interface Case {
  rule: string;
  what: string;
  found: boolean;
  act: () => Promise<number>;
}

describe('builtin rules, live', () => {
  /** test/fixtures/c/exec-cases.c: the ways of exec'ing a program */
  let exec = '';
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(`${DIR}/cg`, { recursive: true });
    exec = buildExecCases(DIR);
    server = createServer((s) => s.on('error', () => {}).resume());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server?.close();
    rmSync(DIR, { recursive: true, force: true });
  });

  it('each rule: one finding for the real behaviour, none for a similar benign one', async () => {
    const cases: Case[] = [
      { rule: 'TRC-101', what: 'stdout dup2ed onto a TCP socket', found: true, act: () => py('stdio-socket', String(port)) },
      { rule: 'TRC-101', what: 'a TCP socket dup2ed onto fd 10', found: false, act: () => py('socket-high-fd', String(port)) },
      { rule: 'TRC-101', what: 'stdout dup2ed onto /dev/null', found: false, act: () => py('stdio-file') },
      // socket_dup reads the socket in the kernel: no bookkeeping of who connected what
      { rule: 'TRC-101', what: 'stdin dup2ed onto a TCP socket in a forked child', found: true, act: () => py('stdio-socket-child', String(port)) },
      { rule: 'TRC-101', what: 'a TCP socket moved to fd 17, closed, then dup2ed onto stdin', found: true, act: () => py('stdio-socket-moved', String(port)) },
      { rule: 'TRC-101', what: 'a bind shell: an accepted connection on stdin', found: true, act: () => py('bind-shell') },
      { rule: 'TRC-102', what: 'ptrace(PTRACE_TRACEME)', found: true, act: () => py('traceme') },
      { rule: 'TRC-102', what: 'ptrace attach and peek', found: false, act: () => py('ptrace-peek') },
      { rule: 'TRC-103', what: 'ptrace POKEDATA into a child', found: true, act: () => py('ptrace-poke') },
      { rule: 'TRC-103', what: 'ptrace PEEKDATA of a child', found: false, act: () => py('ptrace-peek') },
      { rule: 'TRC-1025', what: 'process_vm_writev into a child', found: true, act: () => py('vm-write') },
      { rule: 'TRC-1025', what: 'process_vm_writev into itself', found: false, act: () => py('vm-write-self') },
      // Tracee's TRC-104 takes mem_prot_alert 4 alone (mprotect from W+X to X): W+X
      // mappings alone are not findings, as in Tracee
      { rule: 'TRC-104', what: 'an rwx mapping mprotected r-x (a JIT)', found: true, act: () => py('jit') },
      { rule: 'TRC-104', what: 'an rw- mapping mprotected r-x', found: false, act: () => py('rw-to-rx') },
      { rule: 'TRC-104', what: 'an rwx mapping', found: false, act: () => py('mmap-wx') },
      { rule: 'TRC-104', what: 'an r-x mapping', found: false, act: () => py('mmap-rx') },
      { rule: 'TRC-104', what: 'an rw- mapping mprotected rwx', found: false, act: () => py('mprotect-wx') },
      // judged, as Tracee does, on the mapping's flags before the mprotect
      { rule: 'TRC-104', what: 'the middle page of an rwx mapping mprotected r-x', found: true, act: () => py('jit-subrange') },
      { rule: 'TRC-104', what: 'an rwx mapping pkey_mprotected r-x (no key)', found: true, act: () => py('jit-pkey') },
      { rule: 'TRC-104', what: 'an rwx mapping moved by mremap, then mprotected r-x', found: true, act: () => py('jit-mremap') },
      { rule: 'TRC-104', what: 'an rwx mapping mprotected rw-', found: false, act: () => py('rwx-to-rw') },
      // fileless: the file that runs is in memory, whatever path reached it
      { rule: 'TRC-105', what: 'exec of a memfd through /proc/self/fd', found: true, act: () => py('memfd-exec') },
      { rule: 'TRC-105', what: 'execveat of a memfd (AT_EMPTY_PATH)', found: true, act: () => run([exec, 'execveat-memfd']) },
      { rule: 'TRC-105', what: 'exec of a memfd through a link to /proc/self/fd/N', found: true, act: () => run([exec, 'memfd-proc-self']) },
      { rule: 'TRC-105', what: 'an ELF in /dev/shm run as ./t from there', found: true, act: () => privately('/dev/shm', 'cp /bin/true /dev/shm/t && cd /dev/shm && exec ./t') },
      { rule: 'TRC-105', what: 'an ELF in /dev/shm run through a link', found: true, act: () => privately('/dev/shm', `cp /bin/true /dev/shm/t && ln -sf /dev/shm/t ${DIR}/shm-link && exec ${DIR}/shm-link`) },
      // deeper than the path walk goes: the top (/dev/shm) is kept, the middle elided
      { rule: 'TRC-105', what: 'an ELF 40 directories deep in /dev/shm', found: true, act: () => privately('/dev/shm', 'd=/dev/shm; for i in $(seq 40); do d=$d/s$i; done; mkdir -p $d && cp /bin/true $d/t && exec $d/t') },
      { rule: 'TRC-105', what: 'exec of /bin/true', found: false, act: () => py('exec-true') },
      { rule: 'TRC-105', what: 'fexecve of /bin/true (an fd of a file on disk: /dev/fd/N)', found: false, act: () => run([exec, 'fexecve']) },
      { rule: 'TRC-107', what: 'write /etc/ld.so.preload', found: true, act: () => privately('/etc', ': > /etc/ld.so.preload') },
      { rule: 'TRC-107', what: 'write /etc/ld.so.conf', found: false, act: () => privately('/etc', ': > /etc/ld.so.conf') },
      // the environment given exactly (env -i): nothing inherited from this one
      { rule: 'TRC-107', what: 'exec with LD_PRELOAD set', found: true, act: () => run(['env', '-i', 'LD_PRELOAD=', '/bin/true']) },
      { rule: 'TRC-107', what: 'exec with LD_PRELOADED set', found: false, act: () => run(['env', '-i', 'LD_PRELOADED=1', '/bin/true']) },
      {
        rule: 'TRC-1013',
        what: "a container connects to its environment's KUBERNETES_SERVICE_HOST",
        found: true,
        act: () => contained(['env', '-i', 'KUBERNETES_SERVICE_HOST=127.0.0.1', 'python3', ACTIONS, 'connect', `127.0.0.1:${port}`]),
      },
      {
        rule: 'TRC-1013',
        what: 'a container connects elsewhere',
        found: false,
        act: () => contained(['env', '-i', 'KUBERNETES_SERVICE_HOST=10.96.0.1', 'python3', ACTIONS, 'connect', `127.0.0.1:${port}`]),
      },
      { rule: 'TRC-1013', what: 'the host connects to it', found: false, act: () => run(['env', '-i', 'KUBERNETES_SERVICE_HOST=127.0.0.1', 'python3', ACTIONS, 'connect', `127.0.0.1:${port}`]) },
      { rule: 'TRC-1028', what: 'write /etc/sudoers.d/x', found: true, act: () => privately('/etc', 'mkdir /etc/sudoers.d && : > /etc/sudoers.d/x') },
      { rule: 'TRC-1028', what: 'write /etc/sudoers.bak', found: false, act: () => privately('/etc', ': > /etc/sudoers.bak') },
      // opens are judged by the file's absolute path, whatever the syscall was given
      { rule: 'TRC-1028', what: 'write sudoers through a relative path from /etc', found: true, act: () => privately('/etc', 'cd /etc && : > sudoers') },
      { rule: 'TRC-1028', what: 'rename onto //etc/./sudoers (a path not as written in the rule)', found: true, act: () => privately('/etc', `echo x > /etc/a && exec python3 -c 'import os; os.rename("/etc/a", "//etc/./sudoers")'`) },
      { rule: 'TRC-1021', what: 'a container reads kcore through a relative path from /proc', found: true, act: () => privatelyInContainer('/proc', ': > /proc/kcore && cd /proc && exec cat kcore') },
      { rule: 'TRC-1027', what: 'write /etc/cron.d/job', found: true, act: () => privately('/etc', 'mkdir /etc/cron.d && : > /etc/cron.d/job') },
      { rule: 'TRC-1027', what: 'write /etc/cronjob', found: false, act: () => privately('/etc', ': > /etc/cronjob') },
      // renames judged on absolute paths (security_inode_rename, or its fallback at the rename syscalls' exit): a
      // relative name, a dirfd, a directory reached through a symlink
      { rule: 'TRC-1027', what: 'mv a file into /etc/cron.d by a relative name', found: true, act: () => privately('/etc', 'mkdir /etc/cron.d && echo x > /etc/x && cd /etc/cron.d && exec mv /etc/x job') },
      { rule: 'TRC-1028', what: 'renameat into /etc/sudoers.d by a dirfd', found: true, act: () => privately('/etc', `mkdir /etc/sudoers.d && echo x > /etc/x && exec python3 -c 'import os; s = os.open("/etc", os.O_RDONLY); d = os.open("/etc/sudoers.d", os.O_RDONLY); os.rename("x", "x", src_dir_fd=s, dst_dir_fd=d)'`) },
      { rule: 'TRC-1027', what: 'mv into /etc/cron.d from a symlink to it as the cwd', found: true, act: () => privately('/etc', `mkdir /etc/cron.d && echo x > /etc/x && ln -sfn /etc/cron.d ${DIR}/cron-link && cd ${DIR}/cron-link && exec mv /etc/x job`) },
      { rule: 'TRC-1027', what: 'mv into /etc/cron.d by a name with .. from /tmp', found: true, act: () => privately('/etc', 'mkdir /etc/cron.d && echo x > /etc/x && cd /tmp && exec mv /etc/x ../etc/cron.d/job') },
      { rule: 'TRC-1027', what: 'mv an unrelated file in a relative directory', found: false, act: () => run(['sh', '-c', `mkdir -p ${DIR}/plain && cd ${DIR}/plain && echo x > a && exec mv a job`]) },
      { rule: 'TRC-1027', what: 'run a program named crontab', found: true, act: () => run([`${DIR}/crontab`]) },
      { rule: 'TRC-1027', what: 'run a program named crontab2', found: false, act: () => run([`${DIR}/crontab2`]) },
      { rule: 'TRC-1027', what: 'run a program named at', found: true, act: () => run([`${DIR}/at`]) },
      { rule: 'TRC-1027', what: 'run a program named batch', found: true, act: () => run([`${DIR}/batch`]) },
      { rule: 'TRC-1026', what: 'write /etc/init.d/svc', found: true, act: () => privately('/etc', 'mkdir /etc/init.d && : > /etc/init.d/svc') },
      { rule: 'TRC-1026', what: 'write /etc/initial', found: false, act: () => privately('/etc', ': > /etc/initial') },
      { rule: 'TRC-1026', what: 'run a program named update-rc.d', found: true, act: () => run([`${DIR}/update-rc.d`]) },
      { rule: 'TRC-1011', what: 'a container writes core_pattern', found: true, act: () => privatelyInContainer('/proc/sys/kernel', 'echo core > /proc/sys/kernel/core_pattern') },
      { rule: 'TRC-1011', what: 'the host writes core_pattern', found: false, act: () => privately('/proc/sys/kernel', 'echo core > /proc/sys/kernel/core_pattern') },
      { rule: 'TRC-1011', what: 'read core_pattern', found: false, act: () => run(['cat', '/proc/sys/kernel/core_pattern']) },
      { rule: 'TRC-1031', what: 'a container writes kernel.sysrq', found: true, act: () => privatelyInContainer('/proc/sys/kernel', 'echo 0 > /proc/sys/kernel/sysrq') },
      { rule: 'TRC-1031', what: 'a container writes kernel.sysrq_other', found: false, act: () => privatelyInContainer('/proc/sys/kernel', 'echo 0 > /proc/sys/kernel/sysrq_other') },
      { rule: 'TRC-1010', what: 'a container writes a release_agent', found: true, act: () => inContainer(`echo /x > ${DIR}/cg/release_agent`) },
      { rule: 'TRC-1010', what: 'a container writes release_agent.bak', found: false, act: () => inContainer(`echo /x > ${DIR}/cg/release_agent.bak`) },
      { rule: 'TRC-1010', what: 'a container renames a file onto release_agent', found: true, act: () => inContainer(`echo /x > ${DIR}/cg/ra.tmp && mv ${DIR}/cg/ra.tmp ${DIR}/cg/release_agent`) },
      { rule: 'TRC-1010', what: 'the host writes a release_agent', found: false, act: () => run(['sh', '-c', `echo /x > ${DIR}/cg/release_agent`]) },
      { rule: 'TRC-106', what: 'a container writes a notify_on_release', found: true, act: () => inContainer(`echo 1 > ${DIR}/cg/notify_on_release`) },
      { rule: 'TRC-106', what: 'a container reads a notify_on_release', found: false, act: () => inContainer(`exec cat ${DIR}/cg/notify_on_release`) },
      { rule: 'TRC-109', what: 'read randomize_va_space', found: true, act: () => run(['cat', '/proc/sys/kernel/randomize_va_space']) },
      { rule: 'TRC-109', what: 'read kernel.hostname', found: false, act: () => run(['cat', '/proc/sys/kernel/hostname']) },
      {
        rule: 'TRC-108',
        what: 'a container reads a service account token',
        found: true,
        act: () => privatelyInContainer('/run', 'mkdir -p /run/secrets/kubernetes.io/serviceaccount && echo t > /run/secrets/kubernetes.io/serviceaccount/token && exec cat /var/run/secrets/kubernetes.io/serviceaccount/token'),
      },
      {
        rule: 'TRC-108',
        what: "read the service account's namespace",
        found: false,
        act: () => privatelyInContainer('/run', 'mkdir -p /run/secrets/kubernetes.io/serviceaccount && echo ns > /run/secrets/kubernetes.io/serviceaccount/namespace && exec cat /var/run/secrets/kubernetes.io/serviceaccount/namespace'),
      },
      { rule: 'TRC-1016', what: "a shell spawned by 'nginx'", found: true, act: () => run([`${DIR}/nginx`, '-c', 'sh -c true; true']) },
      { rule: 'TRC-1016', what: "a shell spawned by 'myapp'", found: false, act: () => run([`${DIR}/myapp`, '-c', 'sh -c true; true']) },
      {
        rule: 'TRC-1014',
        what: 'a container bind-mounts /dev/null',
        found: true,
        act: () => contained(['unshare', '-m', '--propagation', 'private', 'sh', '-c', `exec mount --bind /dev/null ${DIR}/mnt-in-container`]),
      },
      { rule: 'TRC-1014', what: 'the host bind-mounts /dev/null', found: false, act: () => run(['unshare', '-m', '--propagation', 'private', 'sh', '-c', `exec mount --bind /dev/null ${DIR}/mnt-on-host`]) },
      // containers only, as Tracee's
      { rule: 'TRC-1019', what: 'a container connects to /var/run/docker.sock', found: true, act: () => privatelyInContainer('/run', `exec python3 ${ACTIONS} unix-connect /run/docker.sock:/var/run/docker.sock`) },
      { rule: 'TRC-1019', what: 'a container connects to /var/run/other.sock', found: false, act: () => privatelyInContainer('/run', `exec python3 ${ACTIONS} unix-connect /run/other.sock:/var/run/other.sock`) },
      // a pid namespace of its own is no container (a cgroup a runtime made is)
      { rule: 'TRC-1019', what: 'unshare -p (no container) connects to /var/run/docker.sock', found: false, act: () => run(['unshare', '-m', '-p', '-f', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs none /run && exec python3 ${ACTIONS} unix-connect /run/docker.sock:/var/run/docker.sock`]) },
      { rule: 'TRC-1019', what: 'the host connects to /var/run/docker.sock', found: false, act: () => privately('/run', `exec python3 ${ACTIONS} unix-connect /run/docker.sock:/var/run/docker.sock`) },
      { rule: 'TRC-1018', what: 'cat reads a cluster CA key', found: true, act: () => privately('/etc', 'mkdir -p /etc/kubernetes/pki && echo k > /etc/kubernetes/pki/ca.key && exec cat /etc/kubernetes/pki/ca.key') },
      { rule: 'TRC-1018', what: "'kubelet' reads it", found: false, act: () => privately('/etc', `mkdir -p /etc/kubernetes/pki && echo k > /etc/kubernetes/pki/ca.key && exec ${DIR}/kubelet /etc/kubernetes/pki/ca.key`) },
      { rule: 'TRC-1023', what: "read a child's /proc/<pid>/mem", found: true, act: () => py('proc-mem-read') },
      { rule: 'TRC-1023', what: "read a child's /proc/<pid>/status", found: false, act: () => py('proc-status') },
      { rule: 'TRC-1024', what: "open a child's /proc/<pid>/mem for writing", found: true, act: () => py('proc-mem-write') },
      { rule: 'TRC-1024', what: "open it for reading", found: false, act: () => py('proc-mem-read') },
      { rule: 'TRC-1012', what: 'write /lib64/ld-linux-x86-64.so.2', found: true, act: () => privately('/usr/lib64', ': > /lib64/ld-linux-x86-64.so.2') },
      { rule: 'TRC-1012', what: 'write /lib64/libfoo.so', found: false, act: () => privately('/usr/lib64', ': > /lib64/libfoo.so') },
      { rule: 'TRC-1029', what: 'a container reads sched/debug', found: true, act: () => privatelyInContainer('/sys/kernel/debug', 'mkdir /sys/kernel/debug/sched && echo x > /sys/kernel/debug/sched/debug && exec cat /sys/kernel/debug/sched/debug') },
      { rule: 'TRC-1029', what: 'a container reads sched/other', found: false, act: () => privatelyInContainer('/sys/kernel/debug', 'mkdir /sys/kernel/debug/sched && echo x > /sys/kernel/debug/sched/other && exec cat /sys/kernel/debug/sched/other') },
      { rule: 'TRC-1021', what: 'a container reads /proc/kcore', found: true, act: () => privatelyInContainer('/proc', ': > /proc/kcore && exec cat /proc/kcore') },
      { rule: 'TRC-1021', what: 'the host reads /proc/kcore', found: false, act: () => privately('/proc', ': > /proc/kcore && exec cat /proc/kcore') },
      { rule: 'TRC-1021', what: 'a container reads /proc/kcore2', found: false, act: () => privatelyInContainer('/proc', ': > /proc/kcore2 && exec cat /proc/kcore2') },
      { rule: 'TRC-1017', what: 'finit_module (refused)', found: true, act: () => py('finit-module') },
      { rule: 'TRC-1017', what: 'open a file', found: false, act: () => py('open-file', '/bin/true') },
      // containers only, as Tracee's
      { rule: 'TRC-1022', what: 'a container writes an ELF to a new file', found: true, act: () => pyInContainer('drop-elf', `${DIR}/dropped`) },
      { rule: 'TRC-1022', what: 'the host writes an ELF to a new file', found: false, act: () => py('drop-elf', `${DIR}/dropped-on-host`) },
      { rule: 'TRC-1022', what: 'a container writes text to a new file', found: false, act: () => pyInContainer('drop-text', `${DIR}/notes`) },
      { rule: 'TRC-1022', what: 'a container writes an ELF into a pipe', found: false, act: () => pyInContainer('elf-to-pipe') },
      { rule: 'TRC-1022', what: 'a container pwrites an ELF at offset 0', found: true, act: () => pyInContainer('pwrite-elf', `${DIR}/pwritten`) },
      { rule: 'TRC-1022', what: 'a container writevs an ELF in two buffers', found: true, act: () => pyInContainer('writev-elf', `${DIR}/writtenv`) },
      { rule: 'TRC-1022', what: 'a container writes an ELF after some text', found: false, act: () => pyInContainer('elf-after-text', `${DIR}/mixed`) },
      { rule: 'TRC-1022', what: 'a container writes an ELF into a memfd', found: false, act: () => pyInContainer('elf-to-memfd') },
      // what was written decides (an ELF), not the mode
      { rule: 'TRC-1015', what: 'write an ELF to a hidden file', found: true, act: () => py('drop-elf', `${DIR}/.hidden-tool`) },
      { rule: 'TRC-1015', what: 'write an ELF to a hidden file with mode 0644', found: true, act: () => py('drop-elf', `${DIR}/.hidden-644:644`) },
      { rule: 'TRC-1015', what: 'chmod +x of a hidden shell script', found: false, act: () => py('hidden-script-chmod', `${DIR}/.hidden-script`) },
      { rule: 'TRC-1015', what: 'write an ELF into a hidden directory', found: true, act: () => run(['sh', '-c', `mkdir -p ${DIR}/.hid && cd ${DIR}/.hid && exec python3 ${ACTIONS} drop-elf tool`]) },
      { rule: 'TRC-1015', what: 'write an ELF to a visible file', found: false, act: () => py('drop-elf', `${DIR}/visible-tool`) },
      { rule: 'TRC-1015', what: 'write text to a hidden file', found: false, act: () => py('drop-text', `${DIR}/.hidden-notes`) },
      { rule: 'TRC-1015', what: 'create an empty hidden file with mode 755', found: false, act: () => py('create', `${DIR}/.hidden-empty:755`) },
    ];
    // the processes some cases need: a web server's name, mount targets
    await run(['cp', '/usr/bin/dash', `${DIR}/nginx`]);
    await run(['cp', '/usr/bin/dash', `${DIR}/myapp`]);
    await run(['cp', '/usr/bin/cat', `${DIR}/kubelet`]);
    for (const name of ['crontab', 'crontab2', 'at', 'batch', 'update-rc.d']) await run(['cp', '/bin/true', `${DIR}/${name}`]);
    await run(['touch', `${DIR}/mnt-in-container`, `${DIR}/mnt-on-host`]);
    await run(['sh', '-c', `echo 0 > ${DIR}/cg/notify_on_release`]);

    const seen: Finding[] = [];
    let failure: unknown;
    const ruleErrors: unknown[] = [];
    let stats: (() => unknown) | undefined;
    const sub = findings(BUILTIN_RULES, { onRuleError: (f) => ruleErrors.push(f), onAttach: (_info, s) => (stats = s) }).subscribe({ next: (f) => seen.push(f), error: (e) => (failure = e) });
    try {
      expect(failure).toBeUndefined();
      const pids: number[] = [];
      for (const c of cases) pids.push(await c.act());
      // a last action every rule set up sees: when its finding is in, the rest are too
      const marker = await py('traceme');
      await until(() => failure !== undefined || seen.some((f) => f.event.hostProcessId === marker), 15_000, 'the last finding').catch((e: Error) => {
        throw new Error(`${e.message}; the trace's counters: ${JSON.stringify(stats?.())}`);
      });
      expect(failure).toBeUndefined();
      expect(ruleErrors).toEqual([]);

      // the finding of a case: its rule, from its process or a descendant
      const mine = (c: Case, pid: number) => seen.filter((f) => f.rule.id === c.rule && f.ancestry.some((p) => p.hostPid === pid));
      const wrong = cases.flatMap((c, i) => {
        const got = mine(c, pids[i]);
        return got.length === (c.found ? 1 : 0) ? [] : [`${c.rule} ${c.what}: ${got.length} findings (${got.map((f) => `${f.event.eventName} by ${f.event.processName}`).join(', ')})`];
      });
      expect(wrong).toEqual([]);
      // a rename by a relative name is found on security_inode_rename's absolute path (the syscall's is skipped)
      const mv = cases.findIndex((c) => c.what === 'mv a file into /etc/cron.d by a relative name');
      expect(mine(cases[mv], pids[mv]).map((f) => [f.event.eventName, arg(f.event, 'new_path')])).toEqual([['security_inode_rename', '/etc/cron.d/job']]);
      // a finding carries the rule's metadata and the process's ancestry
      const poke = mine(cases.find((c) => c.rule === 'TRC-103')!, pids[cases.findIndex((c) => c.rule === 'TRC-103')])[0];
      expect(poke.rule).toMatchObject({ id: 'TRC-103', eventName: 'ptrace_code_injection', severity: 3, mitre: { id: 'T1055.008' } });
      expect(poke.event.eventName).toBe('ptrace');
      expect(poke.ancestry[1]?.hostPid).toBe(process.pid);
    } finally {
      sub.unsubscribe();
    }
  }, 60_000);

  it('offline: the recorded events give the same findings as live, in the API and in `tracee-rs analyze`', async () => {
    const live: Finding[] = [];
    const recorded: TraceeEvent[] = [];
    const events$ = trace({ policies: rulePolicies(BUILTIN_RULES) }).pipe(share());
    const subs: Subscription[] = [events$.subscribe((e) => recorded.push(e)), events$.pipe(detect(BUILTIN_RULES)).subscribe((f) => live.push(f))];
    try {
      await py('traceme');
      await py('ptrace-poke');
      await py('memfd-exec');
      await py('stdio-socket', String(port));
      await run([`${DIR}/nginx`, '-c', 'sh -c true; true']);
      await privately('/etc', 'mkdir /etc/cron.d && : > /etc/cron.d/job');
      const marker = await py('vm-write');
      await until(() => live.some((f) => f.event.hostProcessId === marker), 15_000, 'the last finding');
    } finally {
      for (const s of subs) s.unsubscribe();
    }
    const file = `${DIR}/recorded.jsonl`;
    writeFileSync(file, recorded.map((e) => traceeJson(e) + '\n').join(''));
    const key = (f: Finding) => `${f.rule.id} ${f.event.eventName} ${f.event.hostProcessId} ${f.event.timestamp}`;
    expect(live.length).toBeGreaterThanOrEqual(7);

    const offline: Finding[] = [];
    await new Promise<void>((resolve, reject) => replay(file).pipe(detect(BUILTIN_RULES)).subscribe({ next: (f) => offline.push(f), error: reject, complete: resolve }));
    expect(offline.map(key)).toEqual(live.map(key));

    const cli = spawnSync('node', [CLI, 'analyze', file, '-o', 'json'], { encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    const lines = cli.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.metadata.Properties.signatureID, l.hostProcessId])).toEqual(live.map((f) => [f.rule.id, f.event.hostProcessId]));
    // Tracee's detection shape: the rule's event name, the trigger under args[0]
    const poke = lines.find((l) => l.eventName === 'ptrace_code_injection');
    expect(poke).toMatchObject({ eventName: 'ptrace_code_injection', processName: 'python3', args: [{ name: 'triggeredBy', value: { name: 'ptrace' } }], metadata: { Properties: { Severity: 3, external_id: 'T1055.008' } } });
    expect(cli.stderr).toBe(`tracee-rs: ${live.length} findings\n`);
  }, 60_000);

  it("--rules-dir: users' rule modules run beside the builtin ones; one that throws is stopped and reported, the others go on", async () => {
    const dir = new URL('./fixtures/rules/', import.meta.url).pathname;
    const child = spawn('node', [CLI, '--rules-dir', dir, '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d) => (out.stdout += d));
    child.stderr.on('data', (d) => (out.stderr += d));
    await until(() => out.stderr.includes('attached'), 10_000, 'the attached line');
    // secret-read.mjs, throws.mjs and typed.ts (TypeScript: compiled on import where Node does not strip types)
    expect(out.stderr).toMatch(new RegExp(`^tracee-rs: ${BUILTIN_RULES.length + 3} rules; attached to`));
    const reader = spawnSync('cat', [`${DIR}/trc-user-secret`]).pid!;
    const typedReader = spawnSync('cat', [`${DIR}/trc-user-typed`]).pid!;
    await until(() => out.stdout.includes('"user_secret_read"') && out.stdout.includes('"user_typed_secret_read"'), 10_000, "the user rules' findings");
    const after = await py('traceme');
    await until(() => out.stdout.includes(`"hostProcessId":${after},`), 10_000, 'a builtin finding after the failure');
    child.kill('SIGTERM');
    await once(child, 'exit');
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.eventName === 'user_secret_read')).toMatchObject({ hostProcessId: reader, metadata: { Properties: { signatureID: 'USR-1' } } });
    expect(lines.find((l) => l.eventName === 'user_typed_secret_read')).toMatchObject({ hostProcessId: typedReader, metadata: { Properties: { signatureID: 'USR-3' } } });
    expect(out.stderr).toContain('tracee-rs: rule USR-2 failed and is stopped: boom\n');
    // the summary: what the trace saw and lost (exact, as the trace's), and every finding printed
    expect(out.stderr).toMatch(new RegExp(`\ntracee-rs: [1-9]\\d* events seen, \\d+ lost, ${lines.length} findings\n$`));
    // modules that are not rules: one line naming the file, exit 1
    const bad = `${DIR}/bad-rules`;
    mkdirSync(bad, { recursive: true });
    for (const [name, text, expected] of [
      ['a.mjs', 'export default {', `${bad}/a.mjs: the module does not load: `],
      ['a.mjs', "export default { id: 'X' };", `${bad}/a.mjs: export is not a rule: missing eventName, name, description, severity, mitre, events, detect`],
      ['a.mjs', "export const other = 1;", `${bad}/a.mjs: exports no rule (export default a rule, or a list of rules)`],
      ['b.ts', "const x: number = ;", `${bad}/b.ts: the module does not load: `],
    ]) {
      rmSync(bad, { recursive: true, force: true });
      mkdirSync(bad);
      writeFileSync(`${bad}/${name}`, text);
      const r = spawnSync('node', [CLI, '--rules-dir', bad, '-d', '1s'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr.startsWith(`tracee-rs: error: ${expected}`), r.stderr).toBe(true);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 60_000);

  it("signatures as events: a Tracee policy selecting fileless_execution in a scope gives the finding only in it, with matchedPolicies; plain events beside it; the rule's own events stay out", async () => {
    const policies = `${DIR}/policies`;
    mkdirSync(policies, { recursive: true });
    // uid 4242 is the scope: the same exec as root is out of it
    writeFileSync(
      `${policies}/fileless.yaml`,
      [
        'apiVersion: tracee.aquasec.com/v1beta1',
        'kind: Policy',
        'metadata:',
        '  name: fileless-4242',
        'spec:',
        '  scope:',
        '    - uid=4242',
        '  rules:',
        '    - event: fileless_execution',
        '    - event: openat',
        '      filters:',
        `        - data.pathname=${DIR}/trc-marker`,
        '',
      ].join('\n'),
    );
    const child = spawn('node', [CLI, '--policy', policies, '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let inScope: number | undefined;
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d) => (out.stdout += d));
    child.stderr.on('data', (d) => (out.stderr += d));
    try {
      await until(() => out.stderr.includes('attached'), 10_000, 'the attached line');
      writeFileSync(`${DIR}/trc-marker`, '');
      const asUser = (...argv: string[]) => run(['setpriv', '--reuid', '4242', '--regid', '4242', '--clear-groups', ...argv]);
      inScope = await asUser(exec, 'execveat-memfd');
      // out of scope: no finding
      await run([exec, 'execveat-memfd']);
      const marker = await asUser('cat', `${DIR}/trc-marker`);
      await until(() => out.stdout.includes(`"hostProcessId":${marker},`), 10_000, 'the marker open');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.eventName, l.userId, l.matchedPolicies])).toEqual([
      ['fileless_execution', 4242, ['fileless-4242']],
      ['openat', 4242, ['fileless-4242']],
    ]);
    expect(lines[0]).toMatchObject({ hostProcessId: inScope, eventId: '6105', args: [{ name: 'triggeredBy', value: { name: 'sched_process_exec' } }], metadata: { Properties: { signatureID: 'TRC-105' } } });
    expect(out.stderr).not.toContain('error');
  }, 30_000);

  it('signatures as events through the API and the CLI flags: trace({ events: [name] }), --events name, list events --tag signatures', async () => {
    const got: TraceeEvent[] = [];
    let failure: unknown;
    const sub = trace({ events: ['anti_debugging'] }).subscribe({ next: (e) => got.push(e), error: (e) => (failure = e) });
    let pid = 0;
    try {
      pid = await py('traceme');
      await py('ptrace-peek');
      await until(() => failure !== undefined || got.some((e) => e.hostProcessId === pid), 10_000, 'the finding');
    } finally {
      sub.unsubscribe();
    }
    expect(failure).toBeUndefined();
    // only findings: the ptrace events the rule needs are not output
    expect(got.map((e) => [e.eventName, e.hostProcessId, e.matchedPolicies, isFindingEvent(e) && e.finding.rule.id])).toEqual([['anti_debugging', pid, [''], 'TRC-102']]);

    const list = spawnSync('node', [CLI, 'list', 'events', '--tag', 'signatures'], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    expect(list.stdout.trim().split('\n')).toHaveLength(BUILTIN_RULES.length);
    expect(list.stdout).toMatch(/^fileless_execution\s+6105\s+signatures\s+TRC-105, needs sched_process_exec$/m);
  }, 30_000);

  it('tracee-rs --rules: findings as JSON lines, live; list rules', async () => {
    const child = spawn('node', [CLI, '--rules', '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d) => (out.stdout += d));
    child.stderr.on('data', (d) => (out.stderr += d));
    await until(() => out.stderr.includes('attached'), 10_000, 'the attached line');
    expect(out.stderr).toMatch(new RegExp(`^tracee-rs: ${BUILTIN_RULES.length} rules; attached to`));
    const pid = await py('traceme');
    await until(() => out.stdout.includes('"anti_debugging"'), 10_000, 'the finding');
    child.kill('SIGTERM');
    await once(child, 'exit');
    const finding = out.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.hostProcessId === pid);
    expect(finding).toMatchObject({ eventName: 'anti_debugging', processName: 'python3', metadata: { Properties: { signatureID: 'TRC-102' } } });
    expect(finding.processAncestry[0]).toMatchObject({ hostPid: pid, comm: 'python3' });
    const list = spawnSync('node', [CLI, 'list', 'rules'], { encoding: 'utf8' });
    expect(list.stdout.trim().split('\n')).toHaveLength(BUILTIN_RULES.length);
    expect(list.stdout).toMatch(/^TRC-102\s+anti_debugging\s+low\s+T1622 Debugger Evasion\s+ptrace$/m);
  }, 30_000);
});
