#!/usr/bin/env bash
# Fetches the build's pinned inputs into .cache/inputs/ (not committed:
# data fetched from elsewhere), each by exact version and checksum, so two
# machines build the same object from the same commit whatever kernel they
# run. Idempotent: the file already there is kept while it has the sha256
# recorded when it was extracted (a damaged one is fetched again).
#
#   scripts/fetch-inputs.sh        # then build; crates/tracee-core/build.rs reads .cache/inputs/
#
# vmlinux.btf: the kernel types the BPF object is compiled against
# (vmlinux.h is dumped from it by bpftool at build time). It is the BTF of a
# recent upstream x86_64 kernel (6.18 or later: it has struct ns_tree) that
# cilium/ebpf ships as test data (btf/testdata/vmlinux.btf.gz, MIT), taken
# from that module's release zip on the Go module proxy, whose bytes never
# change for a version; the zip's sha256 pins it. CO-RE makes the object
# independent of the kernel it was compiled against; the arm64 object for
# BTFGen uses the same types with arm64's registers declared by the source.
#
# The container runtimes' gRPC API definitions (.proto), read at run time
# by @tracee/core's runtime clients (its build copies them into
# packages/core/protos/): containerd's native API (its services and types,
# from the module github.com/containerd/containerd/api) and Kubernetes'
# CRI (runtime.v1: k8s.io/cri-api, pkg/apis/runtime/v1/api.proto), each the
# .proto files of a pinned release zip of the Go module proxy, refused
# unless its sha256 is the one pinned here; extracted into
# .cache/inputs/protos/<name>/ at their paths in the module.
#
# Debian's headers, pinned in inputs.lock (by name, version, pool path and
# sha256; scripts/inputs-lock.sh fetches them from deb.debian.org):
# syscalls.h, the kernel's syscall prototypes (include/linux/syscalls.h of
# a linux-headers-*-common), and whole packages of headers, each in a
# directory of its name: linux-libc-dev (x86_64's syscall numbers, the
# kernel's constants, the UAPI headers libbpf is built with), libc6-dev
# (glibc's socket constants), linux-libc-dev-arm64-cross (arm64's syscall
# numbers). Never this host's /usr/include.
#
#   scripts/fetch-inputs.sh --update-lock   # inputs.lock from today's newest packages
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf 'fetch-inputs: %s\n' "$*" >&2; }
die() { printf 'fetch-inputs: error: %s\n' "$*" >&2; exit 1; }
source scripts/inputs-lock.sh

case ${1:-} in
  '') ;;
  --update-lock)
    lock_update inputs.lock .cache/apt
    exit ;;
  *) die "unknown argument $1 (scripts/fetch-inputs.sh [--update-lock])" ;;
esac

VMLINUX_MODULE=github.com/cilium/ebpf
VMLINUX_VERSION=v0.22.0
VMLINUX_ZIP_SHA256=6a8dcf130ef62f80312dfccd84e78e1318ba3c47599865c93fcd41787b000548
VMLINUX_MEMBER=btf/testdata/vmlinux.btf.gz
GOPROXY_URL=${GOPROXY_URL:-https://proxy.golang.org}

out=.cache/inputs
mkdir -p "$out"
for tool in curl sha256sum unzip gzip dpkg-deb tar; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install curl coreutils unzip gzip dpkg tar)"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

stamp="$VMLINUX_MODULE@$VMLINUX_VERSION:$VMLINUX_MEMBER:$VMLINUX_ZIP_SHA256"
# kept only if it is still the file extracted then (its sha256 is in the stamp)
kept() {
  [[ -f $out/vmlinux.btf && -f $out/vmlinux.btf.source ]] || return 1
  [[ $(head -1 "$out/vmlinux.btf.source") == "$stamp" ]] || return 1
  [[ $(sed -n 2p "$out/vmlinux.btf.source") == "$(sha256sum "$out/vmlinux.btf" | cut -d' ' -f1)" ]]
}
if ! kept; then
  zip=$tmp/module.zip
  url="$GOPROXY_URL/$VMLINUX_MODULE/@v/$VMLINUX_VERSION.zip"
  log "fetching the pinned kernel types: $url"
  curl -fsSL --retry 3 -o "$zip" "$url" || die "cannot download $url (the Go module proxy must be reachable, or set GOPROXY_URL)"
  got=$(sha256sum "$zip" | cut -d' ' -f1)
  [[ $got == "$VMLINUX_ZIP_SHA256" ]] || die "$url has sha256 $got, pinned $VMLINUX_ZIP_SHA256: refusing it"
  unzip -p "$zip" "$VMLINUX_MODULE@$VMLINUX_VERSION/$VMLINUX_MEMBER" | gzip -dc > "$out/vmlinux.btf.tmp"
  mv "$out/vmlinux.btf.tmp" "$out/vmlinux.btf"
  printf '%s\n%s\n' "$stamp" "$(sha256sum "$out/vmlinux.btf" | cut -d' ' -f1)" > "$out/vmlinux.btf.source"
fi

# name module version sha256-of-the-zip
PROTO_MODULES=(
  "containerd github.com/containerd/containerd/api v1.12.0 4ab15ee9c8ffe50c31cdc50cd6ea02f4e761bc7ff7a913092e0a6c6199344a6c"
  "cri-api    k8s.io/cri-api                        v0.37.2 61996edd091bc551c0ac0e42510330519442406811f0a6e29cd9dfcca04420fd"
)
mkdir -p "$out/protos"
for entry in "${PROTO_MODULES[@]}"; do
  read -r name module version sum <<< "$entry"
  dest=$out/protos/$name
  stamp="$module@$version:*.proto:$sum"
  # kept while it is what that zip gave (lock_kept: the tree's sha256 is in the stamp file)
  lock_kept "$dest" "$stamp" && continue
  zip=$tmp/$name.zip
  url="$GOPROXY_URL/$module/@v/$version.zip"
  log "fetching the pinned $name API definitions: $url"
  curl -fsSL --retry 3 -o "$zip" "$url" || die "cannot download $url (the Go module proxy must be reachable, or set GOPROXY_URL)"
  got=$(sha256sum "$zip" | cut -d' ' -f1)
  [[ $got == "$sum" ]] || die "$url has sha256 $got, pinned $sum: refusing it"
  rm -rf "$dest" "$tmp/$name"
  unzip -q "$zip" '*.proto' -d "$tmp/$name"
  mv "$tmp/$name/$module@$version" "$dest"
  lock_stamp "$dest" "$stamp"
  rm -f "$zip"
done

lock_fetch_headers inputs.lock "$out" "$tmp"
