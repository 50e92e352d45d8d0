//! The BPF object's BTF as `bpftool -j btf dump file tracee.bpf.o` prints
//! it (`{"types": [{"id", "kind", "name", ...}]}`): the record layout and
//! the enums of bpf/tracee.h, so the C header stays their one definition.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::error::{bail, Error};

/// The parts of bpftool's BTF JSON the generators need: types by id, and
/// the structs and enums by name (the last of a name wins).
#[derive(Debug, Clone)]
pub struct Btf {
    types: BTreeMap<u64, Value>,
    by_name: BTreeMap<String, u64>,
}

/// `v[key]` as a number.
fn num(v: &Value, key: &str, what: &dyn std::fmt::Display) -> Result<u64, Error> {
    match v[key].as_u64() {
        Some(n) => Ok(n),
        None => bail!("BTF: {what}: no {key}"),
    }
}

impl Btf {
    /// Reads bpftool's JSON.
    ///
    /// # Errors
    /// Not JSON, no `types` array, a type without a numeric `id`.
    pub fn from_json(json: &[u8]) -> Result<Btf, Error> {
        let doc: Value = serde_json::from_slice(json)
            .map_err(|e| Error(format!("bpftool -j btf dump: bad JSON: {e}")))?;
        let Some(list) = doc["types"].as_array() else {
            bail!("bpftool -j btf dump: no \"types\" array");
        };
        let mut types = BTreeMap::new();
        let mut by_name = BTreeMap::new();
        for t in list {
            let id = num(t, "id", &"a type")?;
            if let Some(n) = t["name"].as_str() {
                if matches!(t["kind"].as_str(), Some("STRUCT" | "ENUM")) {
                    by_name.insert(n.to_string(), id);
                }
            }
            types.insert(id, t.clone());
        }
        Ok(Btf { types, by_name })
    }

    fn ty(&self, id: u64) -> Result<&Value, Error> {
        match self.types.get(&id) {
            Some(t) => Ok(t),
            None => bail!("BTF: no type {id}"),
        }
    }

    /// The struct or enum `name`.
    fn named(&self, name: &str) -> Result<&Value, Error> {
        match self.by_name.get(name) {
            Some(id) => self.ty(*id),
            None => bail!("{name} is not in the object's BTF"),
        }
    }

    /// Follows typedefs and qualifiers to the type that has a layout.
    fn resolve(&self, mut id: u64) -> Result<&Value, Error> {
        loop {
            let t = self.ty(id)?;
            match t["kind"].as_str() {
                Some("TYPEDEF" | "CONST" | "VOLATILE" | "RESTRICT" | "TYPE_TAG") => {
                    id = num(t, "type_id", &format_args!("type {id}"))?
                }
                _ => return Ok(t),
            }
        }
    }

    fn members(&self, st: &str) -> Result<&Vec<Value>, Error> {
        match self.named(st)?["members"].as_array() {
            Some(m) => Ok(m),
            None => bail!("{st} in the object's BTF has no members"),
        }
    }

    fn member(&self, st: &str, name: &str) -> Result<&Value, Error> {
        match self.members(st)?.iter().find(|m| m["name"] == name) {
            Some(m) => Ok(m),
            None => bail!("{st}.{name} is not in the object's BTF"),
        }
    }

    /// The byte offset of member `name` of struct `st`.
    pub fn member_offset(&self, st: &str, name: &str) -> Result<u64, Error> {
        Ok(num(
            self.member(st, name)?,
            "bits_offset",
            &format_args!("{st}.{name}"),
        )? / 8)
    }

    /// The element count of array member `name` of struct `st`.
    pub fn array_len(&self, st: &str, name: &str) -> Result<u64, Error> {
        let what = format!("{st}.{name}");
        let t = self.resolve(num(self.member(st, name)?, "type_id", &what)?)?;
        num(t, "nr_elems", &what)
    }

    /// The size of struct `st`, in bytes.
    pub fn struct_size(&self, st: &str) -> Result<u64, Error> {
        num(self.named(st)?, "size", &st)
    }

    /// Fields of a struct of integers and char arrays, in order, as
    /// `{"name", "offset", "size", "type"}` (offset and size in bytes; type
    /// `signed`, `unsigned` or `string`).
    ///
    /// # Errors
    /// A field of another kind, or an array of elements wider than a byte.
    pub fn struct_fields(&self, st: &str) -> Result<Vec<Value>, Error> {
        let mut fields = Vec::new();
        for m in self.members(st)? {
            let name = m["name"].as_str().unwrap_or("(anon)");
            let what = format!("{st}.{name}");
            let t = self.resolve(num(m, "type_id", &what)?)?;
            let offset = num(m, "bits_offset", &what)? / 8;
            let field = match t["kind"].as_str() {
                Some("INT") | Some("ENUM") => json!({
                    "name": name, "offset": offset, "size": t["size"],
                    "type": if t["encoding"] == "SIGNED" { "signed" } else { "unsigned" },
                }),
                Some("ARRAY") => {
                    let elem = self.resolve(num(t, "type_id", &what)?)?;
                    if elem["size"] != 1 {
                        bail!("{what}: only char arrays are supported");
                    }
                    json!({"name": name, "offset": offset, "size": t["nr_elems"], "type": "string"})
                }
                k => bail!("{what}: unsupported field kind {k:?}"),
            };
            fields.push(field);
        }
        Ok(fields)
    }

    /// The values of enum `name`, in declaration order. bpftool prints a
    /// 32-bit enum's values as it reads them: possibly sign-extended.
    pub fn enum_values(&self, name: &str) -> Result<Vec<(String, u64)>, Error> {
        let Some(values) = self.named(name)?["values"].as_array() else {
            bail!("{name} in the object's BTF has no values");
        };
        values
            .iter()
            .map(|v| match (v["name"].as_str(), v["val"].as_u64()) {
                (Some(n), Some(val)) => Ok((n.to_string(), val)),
                _ => bail!("{name}: a value without a name or a number: {v}"),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The object's structs and enums of bpf/tracee.h and the types they
    /// use, as bpftool printed them (one type a line).
    fn btf() -> Btf {
        Btf::from_json(include_bytes!("../testdata/btf.json")).unwrap()
    }

    #[test]
    fn struct_fields_follow_typedefs_to_ints_and_char_arrays() {
        let btf = btf();
        assert_eq!(
            btf.struct_fields("data_item").unwrap(),
            [
                json!({"name": "arg", "offset": 0, "size": 1, "type": "unsigned"}),
                json!({"name": "kind", "offset": 1, "size": 1, "type": "unsigned"}),
                json!({"name": "len", "offset": 2, "size": 2, "type": "unsigned"}),
            ]
        );
        let header = btf.struct_fields("event_header").unwrap();
        assert_eq!(header.len(), 21);
        assert_eq!(
            header[0],
            json!({"name": "timestamp", "offset": 0, "size": 8, "type": "unsigned"})
        );
        // __s64
        assert_eq!(
            header[4],
            json!({"name": "return_value", "offset": 32, "size": 8, "type": "signed"})
        );
        assert_eq!(
            header[20],
            json!({"name": "process_name", "offset": 96, "size": 16, "type": "string"})
        );
    }

    #[test]
    fn sizes_offsets_and_array_lengths() {
        let btf = btf();
        assert_eq!(btf.struct_size("event_header").unwrap(), 112);
        assert_eq!(btf.struct_size("msghdr_item").unwrap(), 32);
        assert_eq!(btf.member_offset("event", "args").unwrap(), 112);
        assert_eq!(btf.member_offset("event", "data").unwrap(), 160);
        assert_eq!(btf.array_len("event", "args").unwrap(), 6);
    }

    #[test]
    fn enum_values_in_declaration_order() {
        let btf = btf();
        assert_eq!(
            btf.enum_values("tracee_record_flags").unwrap(),
            [
                ("RECORD_FLAG_TRUNCATED".to_string(), 1),
                ("RECORD_FLAG_AT_ENTRY".to_string(), 2),
                ("RECORD_FLAG_ARGS_UNKNOWN".to_string(), 4),
                ("RECORD_FLAG_UNREADABLE".to_string(), 8),
            ]
        );
        // PROC_PID_INIT_INO, 0xEFFFFFFC, as bpftool prints it: sign-extended
        assert_eq!(
            btf.enum_values("tracee_kernel_values").unwrap(),
            [("PROC_PID_INIT_INO".to_string(), 0xffff_ffff_efff_fffc)]
        );
    }

    #[test]
    fn what_is_missing_is_named() {
        let btf = btf();
        assert_eq!(
            btf.struct_size("nope").unwrap_err().to_string(),
            "nope is not in the object's BTF"
        );
        assert_eq!(
            btf.member_offset("event", "nope").unwrap_err().to_string(),
            "event.nope is not in the object's BTF"
        );
        // a typedef is not found by name: only structs and enums are
        assert!(btf.enum_values("__u32").is_err());
    }

    #[test]
    fn struct_fields_refuse_other_kinds() {
        let btf = btf();
        assert_eq!(
            btf.struct_fields("event").unwrap_err().to_string(),
            "event.header: unsupported field kind Some(\"STRUCT\")"
        );
        let wide = Btf::from_json(br#"{"types":[
{"id":1,"kind":"INT","name":"unsigned int","size":4,"bits_offset":0,"nr_bits":32,"encoding":"(none)"},
{"id":2,"kind":"INT","name":"__ARRAY_SIZE_TYPE__","size":4,"bits_offset":0,"nr_bits":32,"encoding":"(none)"},
{"id":3,"kind":"ARRAY","name":"(anon)","type_id":1,"index_type_id":2,"nr_elems":4},
{"id":4,"kind":"STRUCT","name":"s","size":16,"vlen":1,"members":[{"name":"ids","type_id":3,"bits_offset":0}]}
]}"#)
        .unwrap();
        assert_eq!(
            wide.struct_fields("s").unwrap_err().to_string(),
            "s.ids: only char arrays are supported"
        );
    }

    #[test]
    fn bad_json_is_an_error() {
        assert!(Btf::from_json(b"{\"types\": [")
            .unwrap_err()
            .to_string()
            .starts_with("bpftool -j btf dump: bad JSON: "));
        assert_eq!(
            Btf::from_json(b"{}").unwrap_err().to_string(),
            "bpftool -j btf dump: no \"types\" array"
        );
        assert_eq!(
            Btf::from_json(br#"{"types":[{"kind":"INT"}]}"#)
                .unwrap_err()
                .to_string(),
            "BTF: a type: no id"
        );
    }
}
