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
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf 'fetch-inputs: %s\n' "$*" >&2; }
die() { printf 'fetch-inputs: error: %s\n' "$*" >&2; exit 1; }

VMLINUX_MODULE=github.com/cilium/ebpf
VMLINUX_VERSION=v0.22.0
VMLINUX_ZIP_SHA256=6a8dcf130ef62f80312dfccd84e78e1318ba3c47599865c93fcd41787b000548
VMLINUX_MEMBER=btf/testdata/vmlinux.btf.gz
GOPROXY_URL=${GOPROXY_URL:-https://proxy.golang.org}

out=.cache/inputs
mkdir -p "$out"
for tool in curl sha256sum unzip gzip; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install curl coreutils unzip gzip)"
done

stamp="$VMLINUX_MODULE@$VMLINUX_VERSION:$VMLINUX_MEMBER:$VMLINUX_ZIP_SHA256"
# kept only if it is still the file extracted then (its sha256 is in the stamp)
kept() {
  [[ -f $out/vmlinux.btf && -f $out/vmlinux.btf.source ]] || return 1
  [[ $(head -1 "$out/vmlinux.btf.source") == "$stamp" ]] || return 1
  [[ $(sed -n 2p "$out/vmlinux.btf.source") == "$(sha256sum "$out/vmlinux.btf" | cut -d' ' -f1)" ]]
}
if ! kept; then
  zip=$(mktemp --suffix=.zip)
  trap 'rm -f "$zip"' EXIT
  url="$GOPROXY_URL/$VMLINUX_MODULE/@v/$VMLINUX_VERSION.zip"
  log "fetching the pinned kernel types: $url"
  curl -fsSL --retry 3 -o "$zip" "$url" || die "cannot download $url (the Go module proxy must be reachable, or set GOPROXY_URL)"
  got=$(sha256sum "$zip" | cut -d' ' -f1)
  [[ $got == "$VMLINUX_ZIP_SHA256" ]] || die "$url has sha256 $got, pinned $VMLINUX_ZIP_SHA256: refusing it"
  unzip -p "$zip" "$VMLINUX_MODULE@$VMLINUX_VERSION/$VMLINUX_MEMBER" | gzip -dc > "$out/vmlinux.btf.tmp"
  mv "$out/vmlinux.btf.tmp" "$out/vmlinux.btf"
  printf '%s\n%s\n' "$stamp" "$(sha256sum "$out/vmlinux.btf" | cut -d' ' -f1)" > "$out/vmlinux.btf.source"
fi
