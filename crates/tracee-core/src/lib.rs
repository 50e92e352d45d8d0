//! tracee-core: the kernel half of tracee-rs.
//!
//! The data path, in order:
//! - [`catalog`]: which events exist (generated at build from `bpf/`);
//! - [`Tracer::start`]: checks privileges, loads the embedded CO-RE object,
//!   writes the selection into the kernel, attaches, and starts the poll
//!   thread that drains the ring buffer into [`Batch`]es of raw records;
//! - [`record`]: decodes those records into typed [`Event`]s;
//! - [`json`]: writes them as Tracee's JSON lines (the CLI's output).
//!
//! The Node binding (crates/tracee-node) hands batches to JavaScript as they
//! are, where a decoder generated from the same layout reads them.

mod bpf {
    #![allow(clippy::all, non_camel_case_types, non_upper_case_globals, unused)]
    include!(concat!(env!("OUT_DIR"), "/tracee.skel.rs"));
}

mod bpf_stats;
pub mod btf;
pub mod catalog;
pub mod containers;
pub mod decoders;
pub mod doctor;
mod error;
mod features;
pub mod json;
mod libbpf_log;
mod loader;
pub mod policy;
mod privileges;
pub mod record;
mod ringbuf;
pub mod rootkit;
mod syscall_hooks;
pub mod timing;
mod tracer;

pub use bpf_stats::{ProgramStats, RingFill};
pub use catalog::{ArgDef, ArgKind, EventDef};
pub use error::{Error, ErrorCode};
pub use loader::Disabled;
pub use policy::{Policy, PolicyIssue, Rule, MAX_POLICIES};
pub use record::{DecodeError, Event, Header, Records};
pub use syscall_hooks::{SyscallHookMode, PER_SYSCALL_MAX};
pub use tracer::{
    check_integer_option, check_ring_buffer_bytes, Batch, PolicyNames, Reloader, Stats,
    TraceOptions, Tracer, TracerInfo, BATCH_EVENTS_RANGE, FLUSH_INTERVAL_MS_RANGE,
    QUEUE_BATCHES_RANGE,
};

/// The record layout and the event catalog as JSON: what the TypeScript
/// decoder is generated from (packages/core/scripts/codegen.mjs).
pub const SCHEMA_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/schema.json"));
