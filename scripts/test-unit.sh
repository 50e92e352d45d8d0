#!/usr/bin/env bash
# The unit tier: every test that needs neither root nor a kernel to trace
# with, as any user, in well under a minute once built. The Rust unit tests
# (record decoding, the catalog, the policy grammar, the BTF archive and
# key logic, the build's parsers and generators) and vitest's `unit` project (the generated decoder, sockaddrs,
# policies, rules on recorded events, the CLI's formatting).
#
#   npm run test:unit                  # after `npm run build`
#   bash scripts/test-unit.sh OUT_DIR  # scripts/test.sh: reports kept in OUT_DIR
#
# Build inputs come from the environment, as for the build (scripts/setup.sh
# --print-env gives the ones it used): the same ones reuse its artifacts.
# Exit status 1 if any test failed.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -f packages/core/src/generated/schema.ts ]] || { echo "test-unit: error: packages/core/src/generated/ is missing; run scripts/setup.sh (or npm run build) first" >&2; exit 1; }
# the build inputs of the last scripts/setup.sh, unless given: the Rust
# tests then reuse that build instead of rebuilding with other inputs
if [[ -z ${TRACEE_BTFHUB_ARCHIVE:-} ]]; then
  [[ -f .cache/build-env.sh ]] || { echo "test-unit: error: .cache/build-env.sh is missing (the build inputs scripts/setup.sh used); run scripts/setup.sh first, or set TRACEE_BTFHUB_ARCHIVE" >&2; exit 1; }
  source .cache/build-env.sh
fi
# cargo writes its test binaries into target/: as another user than the
# tree's owner nothing can be built there
[[ -w target ]] || { echo "test-unit: error: $(pwd)/target is not writable by uid $(id -u): run the unit tier as the user who owns the build tree (or in a copy of the tree you own, built there)" >&2; exit 1; }
command -v cargo >/dev/null || { echo "test-unit: error: cargo is not on PATH for uid $(id -u); install Rust for this user (rustup) or put its cargo on PATH" >&2; exit 1; }

if [[ $# -ge 1 ]]; then
  out=$1
  own_out=false
else
  out=$(mktemp -d)
  own_out=true
  trap 'rm -rf "$out"' EXIT
fi

# Crates tested here: their lib targets, the unit tests beside the code
# (tracee-codegen: the build's parsers and generators).
UNIT_CRATES=(tracee-core btfhub tracee-codegen)

packages=()
for c in "${UNIT_CRATES[@]}"; do packages+=(-p "$c"); done

failed=()
echo "== unit tier: Rust unit tests (${UNIT_CRATES[*]}; no kernel)"
source scripts/cross-env.sh
# Same profile, target, features and toolchain as the napi build and the
# kernel tier: their artifacts are shared. Unit tests that load programs
# into the kernel live in modules named kernel_tests: the kernel tier
# (scripts/test.sh) runs those.
with_cross_env cargo test "${packages[@]}" --features btfhub/pack --release --target "$TRACEE_CARGO_TARGET" \
  --lib -- --skip kernel_tests 2>&1 | tee "$out/cargo-unit.txt" || failed+=("cargo test --lib")

echo "== unit tier: vitest --project unit"
npx vitest run --project unit --reporter=default --reporter=json --outputFile="$out/vitest-unit.json" || failed+=("vitest --project unit")

if $own_out; then
  bash scripts/test-count.sh "$out" "unit tests" || failed+=(count)
fi
# a step can fail before any test ran (a build error): said last, after the count
((${#failed[@]} == 0)) || echo "unit tier: FAILED: ${failed[*]} (see above)"
((${#failed[@]} == 0))
