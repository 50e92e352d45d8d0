//! `schema.json`: the record layout and the event catalog, which the
//! TypeScript decoder is generated from (packages/core/scripts/codegen.mjs,
//! through tracee-core's `SCHEMA_JSON`).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::args::DECODERS;
use crate::btf::Btf;
use crate::error::Error;
use crate::events::{ArchSyscall, EventDef};

/// The schema, pretty-printed: `record` (event_header's fields, the
/// offsets and sizes of struct event, data_item and msghdr_item),
/// `recordFlags`, `argKinds`, `limits` and `kernelValues` (tracee.h's enums,
/// prefixes cut), `constants` ([`with_tracee_constants`]), `arm64Syscalls`,
/// `decoders` and `events`.
///
/// # Errors
/// A struct, member or enum the schema needs is not in `btf`.
pub fn schema_json(
    btf: &Btf,
    constants: &Value,
    arm64_syscalls: &[ArchSyscall],
    events: &[EventDef],
) -> Result<String, Error> {
    let schema = json!({
        "record": {
            "header": btf.struct_fields("event_header")?,
            "headerSize": btf.struct_size("event_header")?,
            "argsOffset": btf.member_offset("event", "args")?,
            "argCount": btf.array_len("event", "args")?,
            "dataOffset": btf.member_offset("event", "data")?,
            "item": btf.struct_fields("data_item")?,
            "itemSize": btf.struct_size("data_item")?,
            "msghdr": btf.struct_fields("msghdr_item")?,
            "msghdrSize": btf.struct_size("msghdr_item")?,
        },
        "recordFlags": strip_prefix_map(&btf.enum_values("tracee_record_flags")?, "RECORD_FLAG_"),
        "argKinds": strip_prefix_map(&btf.enum_values("tracee_arg_kind")?, "ARG_"),
        "limits": strip_prefix_map(&btf.enum_values("tracee_limits")?, ""),
        // a 32-bit enum: BTF may carry its values sign-extended
        "kernelValues": btf.enum_values("tracee_kernel_values")?.into_iter().map(|(n, v)| (n, v & 0xffff_ffff)).collect::<BTreeMap<_, _>>(),
        "constants": constants,
        "arm64Syscalls": arm64_syscalls.iter().map(|s| json!({
            "id": s.id,
            "name": s.name,
            "args": s.args.iter().map(|a| json!({"name": a.name, "type": a.ty, "kind": a.kind})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "decoders": DECODERS,
        "events": events.iter().map(|e| json!({
            "id": e.id,
            "name": e.name,
            "syscall": e.syscall,
            "hook": e.hook.as_str(),
            "after": e.after,
            "fallback": e.fallback,
            "args": e.args.iter().map(|a| json!({"name": a.name, "type": a.ty, "kind": a.kind, "decode": a.decode})).collect::<Vec<_>>(),
            "sets": e.sets,
        })).collect::<Vec<_>>(),
    });
    Ok(serde_json::to_string_pretty(&schema).expect("a Value serializes"))
}

/// An enum's values by name, `prefix` cut.
/// The headers' constants ([`crate::constants::constants`]) with tracee.h's
/// own named values beside them, in the headers' `[name, value]` form:
/// `mem_prot_alert` (enum tracee_mem_prot_alert).
///
/// # Errors
/// The enum is not in `btf`.
pub fn with_tracee_constants(btf: &Btf, mut constants: Value) -> Result<Value, Error> {
    constants["mem_prot_alert"] = json!(btf.enum_values("tracee_mem_prot_alert")?);
    Ok(constants)
}

fn strip_prefix_map(values: &[(String, u64)], prefix: &str) -> BTreeMap<String, u64> {
    values
        .iter()
        .map(|(n, v)| (n.trim_start_matches(prefix).to_string(), *v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::ArgDef;
    use crate::events::Hook;

    fn btf() -> Btf {
        Btf::from_json(include_bytes!("../testdata/btf.json")).unwrap()
    }

    fn openat() -> EventDef {
        EventDef {
            id: 257,
            name: "openat".into(),
            syscall: true,
            hook: Hook::Syscall,
            args: vec![ArgDef {
                name: "flags".into(),
                ty: "int".into(),
                kind: "I32",
                decode: Some("open_flags".into()),
            }],
            sets: vec!["fs".into(), "syscalls".into()],
            noreturn: false,
            str_at_entry: false,
            after: vec![],
            before: vec![],
            fallback: vec![],
            line: Some(2),
        }
    }

    fn arm64_openat() -> ArchSyscall {
        ArchSyscall {
            id: 56,
            name: "openat".into(),
            args: vec![ArgDef {
                name: "dirfd".into(),
                ty: "int".into(),
                kind: "I32",
                decode: Some("dirfd".into()),
            }],
        }
    }

    fn schema() -> Value {
        let constants = with_tracee_constants(&btf(), json!({"errno": [["EPERM", 1]]})).unwrap();
        let text = schema_json(&btf(), &constants, &[arm64_openat()], &[openat()]).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn record_layout_from_the_btf() {
        let s = schema();
        let r = &s["record"];
        assert_eq!(r["header"].as_array().unwrap().len(), 21);
        assert_eq!(
            r["header"][0],
            json!({"name": "timestamp", "offset": 0, "size": 8, "type": "unsigned"})
        );
        assert_eq!(r["headerSize"], 112);
        assert_eq!(r["argsOffset"], 112);
        assert_eq!(r["argCount"], 6);
        assert_eq!(r["dataOffset"], 160);
        assert_eq!(r["itemSize"], 4);
        assert_eq!(
            r["item"][2],
            json!({"name": "len", "offset": 2, "size": 2, "type": "unsigned"})
        );
        assert_eq!(r["msghdrSize"], 32);
        assert_eq!(
            r["msghdr"][3],
            json!({"name": "msg_namelen", "offset": 24, "size": 4, "type": "unsigned"})
        );
    }

    #[test]
    fn enums_with_their_prefixes_cut() {
        let s = schema();
        assert_eq!(
            s["recordFlags"],
            json!({"TRUNCATED": 1, "AT_ENTRY": 2, "ARGS_UNKNOWN": 4, "UNREADABLE": 8})
        );
        assert_eq!(s["argKinds"]["STR_ARRAY"], 4);
        assert_eq!(s["argKinds"]["MSGHDR"], 9);
        assert_eq!(s["limits"]["MAX_EVENT_ID"], 2048);
        assert_eq!(s["limits"]["SOCKADDR_ARG_B"], 4);
        // 0xEFFFFFFC, not sign-extended
        assert_eq!(
            s["kernelValues"],
            json!({"PROC_PID_INIT_INO": 4026531836u64})
        );
    }

    #[test]
    fn constants_with_tracee_h_s_own() {
        let s = schema();
        assert_eq!(
            s["constants"],
            json!({
                "errno": [["EPERM", 1]],
                "mem_prot_alert": [["MEM_PROT_ALERT_MMAP_W_X", 1], ["MEM_PROT_ALERT_MPROTECT_W_X_TO_X", 4], ["MEM_PROT_ALERT_MPROTECT_W_X", 5]],
            })
        );
        assert_eq!(s["decoders"], json!(DECODERS));
    }

    #[test]
    fn events_and_arm64_syscalls() {
        let s = schema();
        assert_eq!(
            s["events"],
            json!([{
                "id": 257, "name": "openat", "syscall": true, "sets": ["fs", "syscalls"],
                "hook": "syscall", "after": [], "fallback": [],
                "args": [{"name": "flags", "type": "int", "kind": "I32", "decode": "open_flags"}],
            }])
        );
        // no decoders: the arm64 build's catalog to come checks the table only
        assert_eq!(
            s["arm64Syscalls"],
            json!([{"id": 56, "name": "openat", "args": [{"name": "dirfd", "type": "int", "kind": "I32"}]}])
        );
    }

    #[test]
    fn pretty_printed_with_sorted_keys() {
        let text = schema_json(&btf(), &json!({}), &[], &[]).unwrap();
        assert!(
            text.starts_with("{\n  \"argKinds\": {\n    \"BYTES\": 6,\n"),
            "{}",
            &text[..60]
        );
        assert!(!text.ends_with('\n'));
    }

    #[test]
    fn a_struct_missing_from_the_btf_is_named() {
        let mut doc: Value =
            serde_json::from_slice(include_bytes!("../testdata/btf.json")).unwrap();
        doc["types"]
            .as_array_mut()
            .unwrap()
            .retain(|t| t["name"] != "msghdr_item");
        let btf = Btf::from_json(doc.to_string().as_bytes()).unwrap();
        assert_eq!(
            schema_json(&btf, &json!({}), &[], &[])
                .unwrap_err()
                .to_string(),
            "msghdr_item is not in the object's BTF"
        );
    }
}
