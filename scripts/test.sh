#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), runs the gates, then every test in
# two tiers: the unit tier (scripts/test-unit.sh: no root, no kernel), then
# the kernel tier (Rust and TypeScript tests on the real kernel). Needs root:
# the kernel tier loads and attaches eBPF programs. The kernel tier runs
# even where the unit tier failed; the last line counts both.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $EUID -eq 0 ]] || { echo "test: error: the kernel tests need root (they attach eBPF programs); run as root" >&2; exit 1; }
# setup.sh picks the btfhub inputs; the tests read the same list. This
# host's kernel is embedded too: the tests hide its BTF and load with the
# embedded one (case 4), which a packaged build does not carry.
export TRACEE_EMBED_HOST_BTF=1
source <(bash scripts/setup.sh --print-env)

# The container runtimes the container tests start (none is started here).
bash scripts/setup-containers.sh
# The OpenTelemetry Collector the OTLP destination's tests start (built
# once with the collector builder; cached under /var/cache/tracee-rs/otelcol)
bash scripts/setup-otelcol.sh >/dev/null
# The Prometheus server the metrics test scrapes the agent with.
bash scripts/setup-prometheus.sh

# Debian's kernels for the qemu matrix (test/qemu/matrix.mjs): the ones
# embedded, and one that is not; fetched once, cached outside the repo.
bash btfhub/fetch-debian.sh /var/cache/tracee-rs/btfhub-debian --images /var/cache/tracee-rs/qemu-kernels

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== gates: rustfmt, clippy (warnings denied), tsc over every TypeScript file (tests included), eslint, generated docs, reproducible build"
source scripts/cross-env.sh
for tool in fmt clippy; do
  cargo "$tool" --version >/dev/null 2>&1 || { echo "test: error: cargo $tool is missing; install it with: rustup component add ${tool/fmt/rustfmt}" >&2; exit 1; }
done
cargo fmt --check
# with the host's toolchain: clippy builds the dependencies anew (check
# mode), and libbpf-sys's vendored zlib does not compile against the cross
# sysroot's headers there; the code linted is the same. In a target dir of
# its own: built without the cross linker, the build scripts it shares with
# the cross build would otherwise be rebuilt by each in turn (and with them
# everything, libbpf-sys's vendored C included: minutes per run)
cargo clippy -q --release --target-dir target/clippy -p tracee-core -p tracee-node -p btfhub -p tracee-codegen --features btfhub/pack --all-targets -- -D warnings
# the packages' tsconfigs build their sources only, and vitest strips types unchecked
npx tsc -p tsconfig.check.json
# the TypeScript linter (eslint.config.mjs: ESLint's and typescript-eslint's recommended rules)
npm run lint --silent
# docs derived from the catalog are committed; they must be what it gives
node scripts/gen-docs.mjs --check
# the object, catalog and BTF archives do not depend on where they are built
bash scripts/check-reproducible.sh

failed=()
bash scripts/test-unit.sh "$out" || failed+=("the unit tier")

echo "== kernel tier: cargo test (tracee-core on the real kernel)"
# Same profile, target and toolchain as the napi build: its artifacts are
# reused. The integration tests, and the unit tests that load programs (in
# modules named kernel_tests; the unit tier skips them).
# (the same packages as the unit tier, so features resolve the same and
# its artifacts are reused)
cargo_kernel=(-p tracee-core -p btfhub -p tracee-codegen --features btfhub/pack --release --target "$TRACEE_CARGO_TARGET")
with_cross_env cargo test "${cargo_kernel[@]}" --test '*' 2>&1 | tee "$out/cargo-kernel.txt" || failed+=("cargo test --test '*'")
with_cross_env cargo test "${cargo_kernel[@]}" --lib -- kernel_tests 2>&1 | tee -a "$out/cargo-kernel.txt" || failed+=("cargo test --lib -- kernel_tests")
# the binary the qemu guests run (test/kernels.test.ts)
with_cross_env cargo build -q -p tracee-core --release --target "$TRACEE_CARGO_TARGET" --example qemu_guest

echo "== kernel tier: vitest --project kernel (kernel -> Rust -> napi -> RxJS, CLI)"
npx vitest run --project kernel --reporter=default --reporter=json --outputFile="$out/vitest-kernel.json" || failed+=("vitest --project kernel")

((${#failed[@]} == 0)) || echo "test: failed: ${failed[*]} (see above)"
bash scripts/test-count.sh "$out" tests || failed+=(count)
((${#failed[@]} == 0))
