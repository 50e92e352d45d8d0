# Sourced by the build and the tests: compile all native code (libbpf, the
# vendored libelf and zlib, the Rust core) against glibc 2.17 with napi-rs's
# cross toolchain (an npm package), so the .node loads on the old hosts that
# lack kernel BTF (RHEL/CentOS 8 and older). The toolchain's sysroot has
# CentOS 7's kernel headers, too old for libbpf; Debian's UAPI headers
# (linux-libc-dev, pinned in inputs.lock: scripts/fetch-inputs.sh), which
# do not depend on the libc, are put in front.
# shellcheck shell=bash
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_pkg="$_root/node_modules/@napi-rs/cross-toolchain-x64-target-x86_64"
[[ -f "$_pkg/package.json" ]] || { echo "cross-env: $_pkg is missing; run npm ci (scripts/setup.sh)" >&2; return 1; }
_version=$(node -p "require('$_pkg/package.json').version")
_tc="$_root/.cache/cross-toolchain/$_version"
if [[ ! -x "$_tc/bin/x86_64-unknown-linux-gnu-gcc" ]]; then
  rm -rf "$_tc.tmp" && mkdir -p "$_tc.tmp"
  tar xJf "$_pkg/x86_64-unknown-linux-gnu.tar.xz" -C "$_tc.tmp"
  rm -rf "$_tc" && mv "$_tc.tmp" "$_tc"
fi
_uapi="$_root/.cache/cross-toolchain/uapi"
_inc="$_root/.cache/inputs/linux-libc-dev/usr/include"
[[ -f "$_inc/linux/bpf.h" ]] || { echo "cross-env: $_inc is missing; run scripts/fetch-inputs.sh (scripts/setup.sh does)" >&2; return 1; }
# made once (a user who cannot write the tree still reads them)
for _link in "linux:$_inc/linux" "asm:$_inc/x86_64-linux-gnu/asm" "asm-generic:$_inc/asm-generic"; do
  [[ $(readlink "$_uapi/${_link%%:*}" 2>/dev/null) == "${_link#*:}" ]] && continue
  mkdir -p "$_uapi" && ln -sfn "${_link#*:}" "$_uapi/${_link%%:*}" || return 1
done
_cc="$_tc/bin/x86_64-unknown-linux-gnu"
export CC_x86_64_unknown_linux_gnu="$_cc-gcc"
export CXX_x86_64_unknown_linux_gnu="$_cc-g++"
export AR_x86_64_unknown_linux_gnu="$_cc-ar"
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER="$_cc-gcc"
export LIBBPF_SYS_EXTRA_CFLAGS="-I$_uapi"
# the target every native build and test uses, so they share artifacts
export TRACEE_CARGO_TARGET=x86_64-unknown-linux-gnu
# Runs a command in this environment. The compiler is NOT also given in the
# dashed form (CC_x86_64-unknown-linux-gnu), though cc-rs looks that one up
# first and watches it: the napi build goes through npx's shell, which drops
# names a shell cannot hold, so libbpf-sys was fingerprinted with it in
# cargo test and without it in the build, and each rebuilt the other's
# artifacts (2 min per switch). cc-rs finds the same compiler through the
# underscored name either way.
with_cross_env() {
  "$@"
}
unset _root _pkg _version _tc _uapi _inc _cc _link
