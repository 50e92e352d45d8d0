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

[[ -f packages/core/src/generated/schema.ts ]] || { echo "test-unit: error: packages/core/src/generated/ is missing; run npm run build first" >&2; exit 1; }

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

# a step can fail before any test ran (a build error): said here, the count follows
((${#failed[@]} == 0)) || echo "unit tier: failed: ${failed[*]} (see above)"
if $own_out; then
  bash scripts/test-count.sh "$out" "unit tests" || failed+=(count)
fi
((${#failed[@]} == 0))
