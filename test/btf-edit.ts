// Edits a raw BTF blob: moves one struct member's offset. Used to prove
// that CO-RE offsets come from the BTF tracee-rs hands to libbpf.

/** Bytes after the 12-byte btf_type header, by kind (see include/uapi/linux/btf.h). */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case 1: return 4; // INT
    case 3: return 12; // ARRAY
    case 4: case 5: return 12 * vlen; // STRUCT, UNION: name_off, type, offset
    case 6: return 8 * vlen; // ENUM
    case 13: return 8 * vlen; // FUNC_PROTO
    case 14: return 4; // VAR
    case 15: return 12 * vlen; // DATASEC
    case 17: return 4; // DECL_TAG
    case 19: return 12 * vlen; // ENUM64
    default: return 0; // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
  }
}

/** A copy of `btf` where `struct.member` sits `deltaBits` further on. */
export function moveMember(btf: Buffer, struct: string, member: string, deltaBits: number): Buffer {
  const out = Buffer.from(btf);
  const m = findMember(out, struct, member);
  out.writeUInt32LE(out.readUInt32LE(m + 8) + deltaBits, m + 8);
  return out;
}

/** A copy of `btf` where `struct.member` is named `newName` (a string the BTF already has), as a kernel that renamed it. */
export function renameMember(btf: Buffer, struct: string, member: string, newName: string): Buffer {
  const out = Buffer.from(btf);
  const m = findMember(out, struct, member);
  const strOff = out.readUInt32LE(4) + out.readUInt32LE(16);
  const at = out.indexOf(Buffer.from(`\0${newName}\0`, 'latin1'), strOff);
  if (at < 0) throw new Error(`no string ${newName} in this BTF`);
  out.writeUInt32LE(at + 1 - strOff, m);
  return out;
}

/** Byte offset of the btf_member `struct.member`. */
function findMember(out: Buffer, struct: string, member: string): number {
  if (out.readUInt16LE(0) !== 0xeb9f) throw new Error('not BTF');
  const hdrLen = out.readUInt32LE(4);
  const typeOff = hdrLen + out.readUInt32LE(8);
  const typeEnd = typeOff + out.readUInt32LE(12);
  const strOff = hdrLen + out.readUInt32LE(16);
  const name = (off: number) => out.toString('latin1', strOff + off, out.indexOf(0, strOff + off));
  for (let p = typeOff; p < typeEnd; ) {
    const info = out.readUInt32LE(p + 4);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === 4 && name(out.readUInt32LE(p)) === struct) {
      for (let i = 0; i < vlen; i++) {
        const m = p + 12 + 12 * i;
        if (name(out.readUInt32LE(m)) === member) return m;
      }
    }
    p += 12 + extraBytes(kind, vlen);
  }
  throw new Error(`struct ${struct} has no member ${member} in this BTF`);
}
