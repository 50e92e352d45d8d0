//! The workload: what the traced child does (`perform`, in the guest
//! binary run again with `--workload PATH`), and what the tracing parent
//! learns of it (`spawn`), which its events must show.

use std::process::Command;

/// Where the workload dup2s its connected socket (socket_dup's newfd).
pub const SOCKET_DUP_FD: i32 = 100;

/// What the workload did, as it saw it.
pub struct Workload {
    /// The file it writes, renames and unlinks.
    pub path: String,
    /// Where it renames that file to.
    pub moved: String,
    /// Where it mounts a tmpfs.
    pub mount_point: String,
    pub pid: u32,
    pub succeeded: bool,
    /// The port it listened on (0 where it did not say).
    pub listen_port: u16,
    /// Its connected socket's fd and local port, before the dup2
    /// (u64::MAX and 0 where it did not say).
    pub socket_fd: u64,
    pub socket_local_port: u16,
}

impl Workload {
    /// Runs the workload in a child and waits for it (it ends by
    /// exec'ing /bin/true); reads what it left for us, then removes that.
    pub fn spawn() -> Workload {
        let path = format!("/tmp/tracee-guest-{}", std::process::id());
        let child = Command::new("/tracee-guest")
            .args(["--workload", &path])
            .spawn()
            .expect("spawn the workload");
        let pid = child.id();
        let status = child.wait_with_output().expect("wait").status;
        let listen_port: u16 = std::fs::read_to_string(port_file(&path))
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let _ = std::fs::remove_file(port_file(&path));
        let (socket_fd, socket_local_port): (u64, u16) =
            std::fs::read_to_string(socket_file(&path))
                .ok()
                .and_then(|s| {
                    let (fd, local) = s.split_once(' ')?;
                    Some((fd.parse().ok()?, local.parse().ok()?))
                })
                .unwrap_or((u64::MAX, 0));
        let _ = std::fs::remove_file(socket_file(&path));
        Workload {
            moved: moved(&path),
            mount_point: mount_point(&path),
            path,
            pid,
            succeeded: status.success(),
            listen_port,
            socket_fd,
            socket_local_port,
        }
    }
}

fn moved(path: &str) -> String {
    format!("{path}.moved")
}

fn mount_point(path: &str) -> String {
    format!("{path}.mnt")
}

/// Where the workload leaves the port it listened on.
fn port_file(path: &str) -> String {
    format!("{path}.port")
}

/// Where it leaves its connected socket's fd and local port.
fn socket_file(path: &str) -> String {
    format!("{path}.dup")
}

/// The workload, in a child (the tracer does not trace its own process):
/// every kind of event the kernel side has, then an exec of /bin/true.
/// Unwraps only the calls that must succeed; the module load must fail.
pub fn perform(path: &str) {
    use std::os::unix::process::CommandExt;
    std::fs::write(path, "hello").unwrap();
    // writable and executable memory (mem_prot_alert), unmapped at once
    let rwx = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            rwx,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(addr, libc::MAP_FAILED);
    unsafe { libc::munmap(addr, 4096) };
    let moved = moved(path);
    std::fs::rename(path, &moved).unwrap();
    // the kernel reads the file to load it as a module: not an ELF, refused
    let file = std::fs::File::open(&moved).unwrap();
    let rc = unsafe {
        libc::syscall(
            libc::SYS_finit_module,
            std::os::fd::AsRawFd::as_raw_fd(&file),
            c"".as_ptr(),
            0,
        )
    };
    assert!(rc < 0, "finit_module of a text file succeeded");
    drop(file);
    std::fs::remove_file(&moved).unwrap();
    let dir = mount_point(path);
    std::fs::create_dir(&dir).unwrap();
    let target = std::ffi::CString::new(dir.as_str()).unwrap();
    // CAP_SYS_ADMIN checked (cap_capable), then the mount
    let rc = unsafe {
        libc::mount(
            c"tracee-dev".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID,
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "mount: {}", std::io::Error::last_os_error());
    unsafe { libc::umount(target.as_ptr()) };
    std::fs::remove_dir(&dir).unwrap();
    // bind, connect and accept on loopback, all from this thread (a
    // connection completes in the listener's backlog before accept)
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::fs::write(port_file(path), port.to_string()).unwrap();
    let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let _conn = listener.accept().unwrap();
    // the connected socket onto another fd (socket_dup), its local port
    // for the check
    let fd = std::os::fd::AsRawFd::as_raw_fd(&client);
    assert_eq!(unsafe { libc::dup2(fd, SOCKET_DUP_FD) }, SOCKET_DUP_FD);
    let local = client.local_addr().unwrap().port();
    std::fs::write(socket_file(path), format!("{fd} {local}")).unwrap();
    let err = std::process::Command::new("/bin/true").exec();
    panic!("exec /bin/true: {err}");
}
