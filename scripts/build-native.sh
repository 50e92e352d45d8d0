#!/usr/bin/env bash
# Builds the Node binding (crates/tracee-node, with tracee-core and the BPF
# object inside) into packages/core/native, against glibc 2.17.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $(uname -m) == x86_64 ]] || { echo "build-native: only x86_64 hosts are supported so far" >&2; exit 1; }
# the BTF archive's inputs, as scripts/setup.sh found them (else the
# embedded archive is built from whatever the environment says, maybe
# nothing), unless the caller names the inputs
[[ -z ${TRACEE_BTFHUB_ARCHIVE:-} && -f .cache/build-env.sh ]] && source .cache/build-env.sh
source scripts/cross-env.sh
cd packages/core
with_cross_env npx napi build --platform --release --target "$TRACEE_CARGO_TARGET" \
  --manifest-path ../../crates/tracee-node/Cargo.toml --package-json-path package.json \
  --output-dir native --no-js --dts native.d.ts
