//! libbpf reports what went wrong (the verifier log above all) through its
//! print callback, not through the error value. Keep the tail of it so errors
//! can carry it; echo it to stderr only when TRACEE_DEBUG is set. What it
//! says is read by btfhub::libbpf_log.

use std::sync::{Mutex, Once};

use libbpf_rs::PrintLevel;

const KEEP_BYTES: usize = 64 * 1024;

static LOG: Mutex<String> = Mutex::new(String::new());
static INSTALL: Once = Once::new();

fn print(level: PrintLevel, msg: String) {
    if std::env::var_os("TRACEE_DEBUG").is_some() {
        eprint!("libbpf: {msg}");
    }
    if level == PrintLevel::Debug {
        return;
    }
    let mut log = LOG.lock().unwrap_or_else(|e| e.into_inner());
    log.push_str(&msg);
    if log.len() > KEEP_BYTES {
        let cut = log.len() - KEEP_BYTES;
        let cut = (cut..log.len())
            .find(|&i| log.is_char_boundary(i))
            .unwrap_or(0);
        log.drain(..cut);
    }
}

pub fn install() {
    INSTALL.call_once(|| {
        let level = if std::env::var_os("TRACEE_DEBUG").is_some() {
            PrintLevel::Debug
        } else {
            PrintLevel::Info
        };
        libbpf_rs::set_print(Some((level, print)));
    });
}

/// Takes what libbpf printed since the last call.
pub fn take() -> String {
    std::mem::take(&mut *LOG.lock().unwrap_or_else(|e| e.into_inner()))
}
