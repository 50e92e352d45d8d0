//! in_scope() (bpf/lib/scope.h) on its own, as Tetragon's bpf/tests do:
//! policies are compiled and their scopes written as the loader writes
//! them, then bpf/tests/scope_test.bpf.c runs through BPF_PROG_TEST_RUN in
//! tasks of known comm, uid, pid and namespaces (a raw tracepoint program
//! runs in the task that asks) and gives the exact policies each task is
//! in. Every way the kernel side reads the scopes is run: from .rodata
//! with probe reads or with direct task reads, and from the legacy
//! programs' map. As root (fails, not skips, without).

mod skel {
    #![allow(clippy::all, non_camel_case_types, non_upper_case_globals, unused)]
    include!(concat!(env!("OUT_DIR"), "/scope_test.skel.rs"));
}

use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::MetadataExt;
use std::sync::mpsc;

use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, OpenObject};
use skel::{types, ScopeTestSkel, ScopeTestSkelBuilder};
use tracee_core::policy::{self, ScopeImage};
use tracee_core::{Policy, Rule, MAX_POLICIES};

/// The tasks the program runs in.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Task {
    /// A thread of this process named scope-a.
    A,
    /// A thread of this process named scope-b, with real uid 1000.
    B,
    /// A process named scope-c in pid, mount and UTS namespaces of its own
    /// (hostname scope-test) and in a cgroup of its own that the containers
    /// map holds (made after the trace started): a container, as the kernel
    /// side tells one.
    C,
}
use Task::{A, B, C};
const TASKS: [Task; 3] = [A, B, C];
const B_UID: u32 = 1000;
const C_HOSTNAME: &str = "scope-test";

/// A thread that runs jobs: its comm and credentials are its own.
struct Worker {
    jobs: mpsc::Sender<Box<dyn FnOnce() + Send>>,
    tid: u32,
}

impl Worker {
    fn spawn(comm: &'static str, uid: Option<u32>) -> Worker {
        let (jobs, queue) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let (tid_tx, tid_rx) = mpsc::channel();
        std::thread::spawn(move || {
            set_comm(comm);
            if let Some(uid) = uid {
                // the raw syscall: libc's setresuid changes every thread's;
                // the real uid only, so the thread keeps root's capabilities
                // SAFETY: plain syscall with integer arguments.
                let r = unsafe { libc::syscall(libc::SYS_setresuid, uid, -1, -1) };
                assert_eq!(r, 0, "setresuid: {}", std::io::Error::last_os_error());
            }
            // SAFETY: plain syscall without arguments.
            tid_tx
                .send(unsafe { libc::syscall(libc::SYS_gettid) } as u32)
                .unwrap();
            for job in queue {
                job();
            }
        });
        Worker {
            jobs,
            tid: tid_rx.recv().expect("worker started"),
        }
    }

    fn run(&self, job: impl FnOnce() + Send + 'static) {
        let (done, wait) = mpsc::channel();
        self.jobs
            .send(Box::new(move || {
                job();
                done.send(()).unwrap();
            }))
            .unwrap();
        wait.recv().expect("job ran");
    }
}

fn set_comm(comm: &str) {
    let name = std::ffi::CString::new(comm).unwrap();
    // SAFETY: a NUL-terminated name that outlives the call.
    assert_eq!(unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr()) }, 0);
}

/// One BPF_PROG_TEST_RUN of a scope_test program: ctx is its raw
/// tracepoint arguments (the policies that select the event, the result's
/// key). Only a syscall, so a forked child may call it; false on failure.
fn test_run(fd: i32, ctx: &[u64; 2]) -> bool {
    let mut opts = libbpf_rs::libbpf_sys::bpf_test_run_opts {
        sz: size_of::<libbpf_rs::libbpf_sys::bpf_test_run_opts>() as _,
        ctx_in: ctx.as_ptr().cast(),
        ctx_size_in: size_of_val(ctx) as u32,
        ..Default::default()
    };
    // SAFETY: opts is valid and points to ctx, which outlives the call.
    unsafe { libbpf_rs::libbpf_sys::bpf_prog_test_run_opts(fd, &mut opts) == 0 }
}

/// Runs each of `runs` (program fd, context) in task C: a child that
/// makes new pid, mount and UTS namespaces and forks into them (a new pid
/// namespace holds only the children made after it). Between fork and
/// exit only syscalls: the other threads' locks are not in the child.
fn run_in_container(runs: &[(i32, [u64; 2])], cgroup_procs: &std::ffi::CStr) {
    let hostname = C_HOSTNAME.as_bytes();
    let comm = std::ffi::CString::new("scope-c").unwrap();
    // SAFETY: the child calls only async-signal-safe functions and _exit.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork: {}", std::io::Error::last_os_error());
    if child == 0 {
        // SAFETY: syscalls on memory prepared before the fork.
        unsafe {
            // into the container's cgroup ("0": the writer itself)
            let fd = libc::open(cgroup_procs.as_ptr(), libc::O_WRONLY);
            if fd < 0 || libc::write(fd, b"0".as_ptr().cast(), 1) != 1 {
                libc::_exit(6);
            }
            libc::close(fd);
            if libc::unshare(libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWUTS) != 0
                || libc::sethostname(hostname.as_ptr().cast(), hostname.len()) != 0
            {
                libc::_exit(2);
            }
            let inner = libc::fork();
            if inner == 0 {
                libc::prctl(libc::PR_SET_NAME, comm.as_ptr());
                let ok = runs.iter().all(|(fd, ctx)| test_run(*fd, ctx));
                libc::_exit(if ok { 0 } else { 3 });
            }
            let mut status = 0;
            if inner < 0 || libc::waitpid(inner, &mut status, 0) != inner {
                libc::_exit(4);
            }
            libc::_exit(if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                5
            });
        }
    }
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the container task failed (status {status:#x}: exit 2 namespaces, 3 test run, 4 wait, 5 killed, 6 cgroup)"
    );
}

/// The policies, named p0.., with these scopes, compiled and written as
/// the loader writes them.
fn scope_image(scopes: &[Vec<String>]) -> ScopeImage {
    let policies: Vec<Policy> = scopes
        .iter()
        .enumerate()
        .map(|(i, scope)| Policy {
            name: format!("p{i}"),
            scope: scope.clone(),
            rules: vec![Rule {
                event: "openat".into(),
                filters: vec![],
            }],
        })
        .collect();
    policy::compile(&policies)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .scope_image()
}

/// The test object with `image` written into it as the loader writes it
/// (.rodata's scope, live_scope, the scope maps, proc_scopes' seeds),
/// and `follow` (host pid, policies) as tracee_sched_process_fork marks
/// the children of a matching process.
fn load<'o>(
    storage: &'o mut MaybeUninit<OpenObject>,
    image: &ScopeImage,
    direct_task_reads: bool,
    follow: (u32, u64),
    container: &ContainerCgroup,
) -> (ScopeTestSkel<'o>, u64) {
    let mut open = ScopeTestSkelBuilder::default()
        .open(storage)
        .expect("open scope_test.bpf.o");
    let rodata = open.maps.rodata_data.as_deref_mut().expect(".rodata");
    rodata.direct_task_reads = direct_task_reads;
    assert_eq!(size_of_val(&rodata.scope), image.config.len());
    // SAFETY: struct scope_config is integers only, and image.config its
    // bytes as tracee-core laid them out (the same tracee.h).
    unsafe {
        std::ptr::copy_nonoverlapping(
            image.config.as_ptr(),
            (&raw mut rodata.scope).cast::<u8>(),
            image.config.len(),
        )
    };
    let comm_inline = rodata.scope.comm_inline;
    let skel = open
        .load()
        .unwrap_or_else(|e| panic!("loading scope_test.bpf.o (as root): {e}"));
    let obj = skel.object();
    let map = |name: &str| {
        obj.maps()
            .find(|m| m.name() == name)
            .unwrap_or_else(|| panic!("no map {name}"))
    };
    map("live_scope")
        .update(&0u32.to_ne_bytes(), &image.config, MapFlags::ANY)
        .unwrap();
    // cgroup v2 identifies containers, as on this host (lib/cgroup.h)
    let settings = types::legacy_settings {
        self_tgid: 0,
        cgroup_v1_subsys: -1,
        cgroup_hierarchy_id: 0,
    };
    // SAFETY: struct legacy_settings is integers only.
    let bytes = unsafe {
        std::slice::from_raw_parts((&raw const settings).cast::<u8>(), size_of_val(&settings))
    };
    map("legacy_settings")
        .update(&0u32.to_ne_bytes(), bytes, MapFlags::ANY)
        .unwrap();
    // C's cgroup is a container's, made after the trace started
    map("containers")
        .update(
            &container.id.to_ne_bytes(),
            &types::container_state::CONTAINER_NEW.0.to_ne_bytes(),
            MapFlags::ANY,
        )
        .unwrap();
    for (name, key, policies) in &image.listed {
        map(name)
            .update(key, &policies.to_ne_bytes(), MapFlags::ANY)
            .unwrap();
    }
    let mut procs = image.procs.clone();
    if !procs.iter().any(|&(pid, ..)| pid == follow.0) {
        procs.push((follow.0, 0, 0));
    }
    for (pid, tree, exe) in procs {
        let v = types::proc_scope {
            tree,
            exe,
            follow: if pid == follow.0 { follow.1 } else { 0 },
            created: 0,
        };
        // SAFETY: struct proc_scope is plain u64s.
        let bytes =
            unsafe { std::slice::from_raw_parts((&raw const v).cast::<u8>(), size_of_val(&v)) };
        map("proc_scopes")
            .update(&pid.to_ne_bytes(), bytes, MapFlags::ANY)
            .unwrap();
    }
    (skel, comm_inline)
}

fn ns_inode(ns: &str) -> u64 {
    std::fs::metadata(format!("/proc/self/ns/{ns}"))
        .unwrap()
        .ino()
}

/// This process's cgroup v2 id: its cgroup directory's inode.
/// A cgroup v2 directory named as containerd names its containers' (a
/// 64-hex id), for task C; removed when dropped.
struct ContainerCgroup {
    dir: std::path::PathBuf,
    procs: std::ffi::CString,
    id: u64,
}

impl ContainerCgroup {
    fn new() -> ContainerCgroup {
        let root = cgroup2_root();
        let dir = std::path::PathBuf::from(format!(
            "{root}/tracee-scope-test-{}/{}",
            std::process::id(),
            "5c0be".repeat(12) + "5c0b"
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let procs = std::ffi::CString::new(format!("{}/cgroup.procs", dir.display())).unwrap();
        let id = std::fs::metadata(&dir).unwrap().ino();
        ContainerCgroup { dir, procs, id }
    }
}

impl Drop for ContainerCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
        let _ = std::fs::remove_dir(self.dir.parent().unwrap());
    }
}

fn cgroup2_root() -> String {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    mountinfo
        .lines()
        .find_map(|l| {
            let (fields, fs) = l.split_once(" - ")?;
            fs.starts_with("cgroup2 ")
                .then(|| fields.split(' ').nth(4).unwrap().to_string())
        })
        .expect("cgroup v2 mounted")
}

fn cgroup_id() -> u64 {
    let root = cgroup2_root();
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let path = cgroups
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .expect("a cgroup v2 path");
    std::fs::metadata(format!("{root}{path}")).unwrap().ino()
}

/// Runs in_scope in every task, by every way the kernel side reads the
/// scopes, with every policy selecting the event and with every other one;
/// each result must be the policies of `cases` whose tasks include it.
fn check(
    workers: &[(Task, Worker)],
    cases: &[(Vec<String>, &[Task])],
    follow: (u32, u64),
    inline: bool,
    container: &ContainerCgroup,
) {
    let scopes: Vec<Vec<String>> = cases.iter().map(|(s, _)| s.clone()).collect();
    let image = scope_image(&scopes);
    let all = if cases.len() == 64 {
        u64::MAX
    } else {
        (1u64 << cases.len()) - 1
    };
    let expected = |task: Task| {
        cases
            .iter()
            .enumerate()
            .filter(|(_, (_, tasks))| tasks.contains(&task))
            .fold(0u64, |acc, (i, _)| acc | 1 << i)
    };
    for direct_task_reads in [false, true] {
        let mut storage = MaybeUninit::uninit();
        let (skel, comm_inline) = load(&mut storage, &image, direct_task_reads, follow, container);
        // the comm values are compared in place, or looked up in scope_comms
        assert_eq!(comm_inline != 0, inline, "comm_inline {comm_inline}");
        let programs = [
            ("scope_test", skel.progs.scope_test.as_fd().as_raw_fd()),
            (
                "scope_test_legacy",
                skel.progs.scope_test_legacy.as_fd().as_raw_fd(),
            ),
        ];
        let selections = [all, all & 0x5555_5555_5555_5555];
        // one result key per (task, program, selection)
        let key =
            |t: usize, p: usize, s: usize| ((t * programs.len() + p) * selections.len() + s) as u64;
        let mut container_runs = Vec::new();
        for (t, task) in TASKS.iter().enumerate() {
            for (p, (_, fd)) in programs.iter().enumerate() {
                for (s, &selected) in selections.iter().enumerate() {
                    let (fd, ctx) = (*fd, [selected, key(t, p, s)]);
                    match workers.iter().find(|(w, _)| w == task) {
                        Some((_, w)) => w.run(move || assert!(test_run(fd, &ctx), "test run")),
                        None => container_runs.push((fd, ctx)),
                    }
                }
            }
        }
        run_in_container(&container_runs, &container.procs);
        for (t, &task) in TASKS.iter().enumerate() {
            for (p, (program, _)) in programs.iter().enumerate() {
                for (s, &selected) in selections.iter().enumerate() {
                    let got = skel
                        .maps
                        .scope_result
                        .lookup(&key(t, p, s).to_ne_bytes(), MapFlags::ANY)
                        .unwrap()
                        .map(|v| u64::from_ne_bytes(v.try_into().unwrap()))
                        .unwrap_or_else(|| panic!("{program} did not run in {task:?}"));
                    assert_eq!(
                        got,
                        expected(task) & selected,
                        "task {task:?}, {program}, direct_task_reads {direct_task_reads}, selected {selected:#x}: \
                         got {got:#x}, want {:#x} (wrong bits: {:#x})",
                        expected(task) & selected,
                        got ^ (expected(task) & selected)
                    );
                }
            }
        }
    }
}

fn scope(filters: &[&str]) -> Vec<String> {
    filters.iter().map(|s| s.to_string()).collect()
}

#[test]
fn in_scope_gives_the_exact_policies_of_each_task() {
    let pid = std::process::id();
    // pid=, pidns=, container: as the kernel sees them from the host
    assert_eq!(
        ns_inode("pid"),
        types::tracee_kernel_values::PROC_PID_INIT_INO.0 as u64,
        "run in the initial pid namespace"
    );
    let workers = [
        (A, Worker::spawn("scope-a", None)),
        (B, Worker::spawn("scope-b", Some(B_UID))),
    ];
    let a_tid = workers[0].1.tid;
    let (mnt, pidns, cgroup) = (ns_inode("mnt"), ns_inode("pid"), cgroup_id());
    let container = ContainerCgroup::new();
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_str().unwrap();
    let follow_bit = 25;
    let mut cases: Vec<(Vec<String>, &[Task])> = vec![
        (scope(&["global"]), &[A, B, C]),
        (scope(&["comm=scope-a"]), &[A]),
        (scope(&["comm!=scope-a"]), &[B, C]),
        (scope(&["comm=scope-a,scope-b"]), &[A, B]),
        (scope(&["uid=0"]), &[A, C]),
        (scope(&["uid!=0"]), &[B]),
        (scope(&[&format!("uid>={B_UID}")]), &[B]),
        (scope(&[&format!("uid<{B_UID}")]), &[A, C]),
        (scope(&[&format!("pid={pid}")]), &[A, B]),
        (scope(&[&format!("pid!={pid}")]), &[C]),
        (
            scope(&[&format!("pid>={pid}"), &format!("pid<={pid}")]),
            &[A, B],
        ),
        (scope(&[&format!("tid={a_tid}")]), &[A]),
        (scope(&[&format!("tid!={a_tid}")]), &[B, C]),
        (scope(&[&format!("mntns={mnt}")]), &[A, B]),
        (scope(&[&format!("mntns!={mnt}")]), &[C]),
        (scope(&[&format!("pidns={pidns}")]), &[A, B]),
        (scope(&[&format!("pidns!={pidns}")]), &[C]),
        (scope(&["container"]), &[C]),
        (scope(&["not-container"]), &[A, B]),
        (scope(&[&format!("uts={C_HOSTNAME}")]), &[C]),
        (scope(&[&format!("uts!={C_HOSTNAME}")]), &[A, B]),
        (scope(&[&format!("cgroup={cgroup}")]), &[A, B]),
        (scope(&[&format!("cgroup!={cgroup}")]), &[C]),
        // proc_scopes, seeded from /proc for this process only: C was
        // forked since (the fork hook, not run here, would mark it)
        (scope(&[&format!("tree={pid}")]), &[A, B]),
        (scope(&[&format!("executable={exe}")]), &[A, B]),
        // followed from a matching ancestor (proc_scopes' follow bits)
        (scope(&["comm=nobody", "follow"]), &[A, B]),
        (scope(&["uid=0", "comm=scope-a"]), &[A]),
        (
            scope(&[&format!("uid>={B_UID}"), "comm=scope-b", "not-container"]),
            &[B],
        ),
        (
            scope(&[
                "comm=scope-c",
                "container",
                &format!("uts={C_HOSTNAME}"),
                "uid<1",
            ]),
            &[C],
        ),
        (scope(&["container=new"]), &[C]),
    ];
    assert_eq!(cases[follow_bit].0, scope(&["comm=nobody", "follow"]));
    // up to the last bit of the bitmaps: unscoped policies, then one that is
    while cases.len() < MAX_POLICIES - 1 {
        cases.push((scope(&["global"]), &[A, B, C]));
    }
    cases.push((scope(&["comm=scope-b"]), &[B]));
    check(&workers, &cases, (pid, 1 << follow_bit), true, &container);

    // more comm values than are compared in place: scope_comms
    let mut many = vec!["scope-a".to_string()];
    many.extend((0..types::tracee_limits::SCOPE_COMM_INLINE.0).map(|i| format!("other-{i}")));
    let cases: Vec<(Vec<String>, &[Task])> = vec![
        (vec![format!("comm={}", many.join(","))], &[A]),
        (scope(&["comm!=scope-b"]), &[A, C]),
        (scope(&["comm=scope-b,scope-c"]), &[B, C]),
    ];
    check(&workers, &cases, (pid, 0), false, &container);
}
