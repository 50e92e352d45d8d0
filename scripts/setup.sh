#!/usr/bin/env bash
# Installs everything tracee-rs needs to build and run, then builds it.
# Idempotent: a second run installs nothing and rebuilds only what changed.
# Needs root (apt-get) on Debian 12, with Node.js >= 20 and Rust >= 1.88
# on PATH (as on this project's machines).
set -euo pipefail
cd "$(dirname "$0")/.."
# Progress goes to stderr; stdout (fd 3) carries only what --print-env asks.
exec 3>&1 1>&2

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# Build tools: clang compiles the BPF object; bpftool generates vmlinux.h;
# autotools, flex, bison and gawk build the vendored libelf that libbpf-sys
# links statically. qemu,
# busybox-static and cpio boot other kernels for the tests (test/qemu/);
# strace and python3 are the oracle and a workload of test/strace.test.ts
# (python3 and bpftool also the tests' probe of fentry and kprobes,
# test/fixtures/hook-probe.py); curl and unzip fetch the pinned build
# inputs (scripts/fetch-inputs.sh); systemd's systemd-analyze verifies the
# service unit (test/unit/deploy.test.ts; nothing is started). The headers the build reads (syscall
# numbers and prototypes, constants) are not this host's: they are
# Debian's packages pinned in inputs.lock, which fetch-inputs.sh extracts.
DEBIAN_PACKAGES=(clang llvm bpftool make pkg-config gcc libc6-dev linux-libc-dev binutils xz-utils zstd curl unzip
  autoconf autopoint automake libtool flex bison gawk zlib1g-dev libelf-dev util-linux
  qemu-system-x86 busybox-static cpio strace python3 systemd)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ $EUID -eq 0 ]] || die "missing Debian packages (${missing[*]}); run this script as root"
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v node >/dev/null || die "Node.js >= 20 is not on PATH"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node.js >= 20 is needed, found $(node --version)"
command -v cargo >/dev/null || die "Rust (cargo >= 1.88) is not on PATH; install it with rustup"

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# The kernel types the object is compiled against and the headers it reads,
# pinned (not this host's).
bash scripts/fetch-inputs.sh

# Kernels whose minimized BTF is embedded: btfhub-archive layout directories,
# colon-separated. By default: a btfhub-archive checkout beside the project
# (../shared/btfhub-archive) and Debian's packaged kernels pinned in
# inputs.lock (fetched once, cached in /var/cache/tracee-rs); this host's
# own kernel only with TRACEE_EMBED_HOST_BTF=1 (scripts/test.sh sets it:
# the tests hide this kernel's BTF and load with the embedded one), never
# in a package.
debian_btf=/var/cache/tracee-rs/btfhub-debian
bash btfhub/fetch-debian.sh "$debian_btf"
if [[ -z ${TRACEE_BTFHUB_ARCHIVE:-} ]]; then
  TRACEE_BTFHUB_ARCHIVE=$debian_btf
  if [[ -d ../shared/btfhub-archive ]]; then
    TRACEE_BTFHUB_ARCHIVE=$(realpath ../shared/btfhub-archive):$TRACEE_BTFHUB_ARCHIVE
  fi
  export TRACEE_BTFHUB_ARCHIVE
fi
log "embedding minimized BTFs from: $TRACEE_BTFHUB_ARCHIVE${TRACEE_EMBED_HOST_BTF:+ and this host (TRACEE_EMBED_HOST_BTF=1)}"

log "building (BPF object, Rust core, Node binding, TypeScript)"
npm run build --silent
# The CLI's bin link is made at install time, before dist/ exists.
npm rebuild tracee-rs --silent >/dev/null 2>&1 || true
log "ready: npx tracee-rs --help"
# The inputs this build used, as shell exports: for scripts/test.sh
# (--print-env) and, kept in .cache/build-env.sh, for npm run test:unit,
# which builds with the same ones so it reuses this build's artifacts.
build_env() {
  printf 'export TRACEE_BTFHUB_ARCHIVE=%q\n' "$TRACEE_BTFHUB_ARCHIVE"
  # (an override of the pinned prototypes, only if one was given)
  [[ -z ${TRACEE_SYSCALLS_H:-} ]] || printf 'export TRACEE_SYSCALLS_H=%q\n' "$TRACEE_SYSCALLS_H"
  printf 'export TRACEE_EMBED_HOST_BTF=%q\n' "${TRACEE_EMBED_HOST_BTF:-}"
}
build_env > .cache/build-env.sh
[[ ${1:-} != --print-env ]] || build_env >&3
