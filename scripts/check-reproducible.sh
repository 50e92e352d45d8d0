#!/usr/bin/env bash
# Builds the crate's generated products a second time from a copy of this
# tree in another directory and fails unless they are byte-identical to
# this tree's: the BPF objects, the catalog (Rust and the JSON the
# TypeScript decoder is generated from) and the embedded BTF archives. A
# prebuilt binary must not depend on where, or on which machine's kernel,
# it was built. Run after a build with the same environment (scripts/test.sh
# does). The copy starts from a copy of target/ (same mtimes: the
# dependencies stay built), so only the workspace's own crates build again;
# a shared target/ would not do, as cargo gives both the same OUT_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cross-env.sh
log() { printf 'reproducible: %s\n' "$*" >&2; }

copy=$(mktemp -d /tmp/tracee-rs-repro.XXXXXX)
trap 'rm -rf "$copy"' EXIT
# the tree as it is (tracked and new files, not ignored ones); the pinned
# inputs are cached outside what git sees, and are the same files
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$copy"
mkdir -p "$copy/.cache" && cp -a .cache/inputs "$copy/.cache/"
mkdir "$copy/target"
for d in target/*; do
  # clippy's own target dir is not the build's (scripts/test.sh)
  [[ $d == target/clippy ]] || cp -a "$d" "$copy/target/"
done
# the copy's own build scripts must run: forget their outputs
rm -rf "$copy"/target/*/release/build/{tracee-core,btfhub}-* "$copy"/target/*/release/.fingerprint/{tracee-core,btfhub}-*

out_dir() { # the tracee-core build script's OUT_DIR for the workspace at $1
  (cd "$1" && with_cross_env cargo build -q --release -p tracee-core --target "$TRACEE_CARGO_TARGET" \
    --message-format=json 2>/dev/null) |
    node -e 'let o; for (const l of require("fs").readFileSync(0, "utf8").split("\n")) { try { const m = JSON.parse(l); if (m.reason === "build-script-executed" && m.package_id.includes("tracee-core")) o = m.out_dir; } catch {} } if (!o) process.exit(1); console.log(o);'
}
a=$(out_dir "$PWD")
log "building again in $copy"
b=$(out_dir "$copy")
[[ $a != "$b" ]] || { echo "reproducible: error: both builds used $a" >&2; exit 1; }
status=0
for f in tracee.bpf.o bpf-arm64/tracee.bpf.o catalog.rs schema.json btf-archive-x86_64.zst btf-archive-arm64.zst; do
  if cmp -s "$a/$f" "$b/$f"; then
    log "identical: $f ($(stat -c %s "$a/$f") bytes)"
  else
    echo "reproducible: error: $f differs between a build in $PWD and one in $copy" >&2
    status=1
  fi
done
exit $status
