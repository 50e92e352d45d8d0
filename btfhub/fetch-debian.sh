#!/usr/bin/env bash
# Source 2 of the btfhub pipeline: Debian's packaged kernels.
#
# Downloads kernel image packages with apt, using private apt state beside
# OUT (the host's apt configuration is not touched; OUT itself changes only
# when a kernel is filed, since builds watch it), extracts each vmlinux
# from its bzImage and the .BTF section from the vmlinux, and files it in
# btfhub-archive layout: OUT/debian/<version>/x86_64/<release>.btf.tar.xz.
# Idempotent: kernels already filed are not fetched again.
#
#   btfhub/fetch-debian.sh [OUT]     (default /var/cache/tracee-rs/btfhub-debian)
#
# Then build with TRACEE_BTFHUB_ARCHIVE=OUT (colon-separated with others).
set -euo pipefail

out=$(realpath -m "${1:-/var/cache/tracee-rs/btfhub-debian}")
log() { printf 'fetch-debian: %s\n' "$*" >&2; }
die() { printf 'fetch-debian: error: %s\n' "$*" >&2; exit 1; }

# suite  version  package name pattern (newest match wins)
KERNELS=(
  "bullseye 11 ^linux-image-5\.10\.[0-9]+-[0-9]+-cloud-amd64-unsigned$"
  "bookworm 12 ^linux-image-6\.1\.[0-9]+-[0-9]+-amd64-unsigned$"
  "bookworm 12 ^linux-image-6\.1\.[0-9]+-[0-9]+-cloud-amd64-unsigned$"
  "trixie 13 ^linux-image-6\.12\.[0-9]+\+deb13-cloud-amd64-unsigned$"
)

for tool in apt-get apt-cache dpkg-deb objcopy xz tar grep; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install apt dpkg binutils xz-utils tar grep)"
done

state="$out.apt"
work_root="$out.work"
mkdir -p "$state"/{lists/partial,cache/archives/partial,preferences.d} "$work_root" "$out"
rm -rf "$out/.apt" "$out/.work" # where older versions kept them
: > "$state/sources.list"
for suite in bullseye bookworm trixie; do
  echo "deb http://deb.debian.org/debian $suite main" >> "$state/sources.list"
done
APT=(-o "Dir::Etc::sourcelist=$state/sources.list" -o "Dir::Etc::sourceparts=/nonexistent"
  -o "Dir::Etc::preferencesparts=$state/preferences.d" -o "Dir::State::Lists=$state/lists"
  -o "Dir::Cache=$state/cache" -o "APT::Architecture=amd64" -o "APT::Sandbox::User=root")
# The index is refreshed once a day at most.
if [[ -z $(find "$state/lists" -name '*Packages*' -mmin -1440 -print -quit) ]]; then
  log "updating the package index (bullseye, bookworm, trixie)"
  apt-get "${APT[@]}" update -qq >/dev/null || die "apt-get update failed for Debian's mirror"
fi

# Writes the vmlinux inside bzImage $1 to $2: the kernel is one compressed
# stream somewhere in the image; try each compressor's magic in turn (the
# method of the kernel's scripts/extract-vmlinux).
extract_vmlinux() {
  # (bash strings cannot hold NUL: magics are cut before any)
  local image=$1 dest=$2 magic cmd pos
  for pair in $'\xfd7zXZ:xz -dc' $'\x28\xb5\x2f\xfd:zstd -dc' $'\x1f\x8b\x08:gzip -dc' $'\x02\x21\x4c\x18:lz4 -dc'; do
    magic=${pair%%:*}
    cmd=${pair#*:}
    command -v "${cmd%% *}" >/dev/null || continue
    for pos in $(LC_ALL=C grep -aboF "$magic" "$image" 2>/dev/null | cut -d: -f1 | head -5); do
      tail -c +$((pos + 1)) "$image" | $cmd > "$dest" 2>/dev/null || true
      if [[ $(head -c 4 "$dest" 2>/dev/null | od -An -c | tr -d ' ') == 177ELF ]]; then
        return 0
      fi
    done
  done
  return 1
}

for entry in "${KERNELS[@]}"; do
  read -r suite version pattern <<< "$entry"
  pkg=$(apt-cache "${APT[@]}" pkgnames linux-image- | grep -E "$pattern" | sort -V | tail -1 || true)
  [[ -n $pkg ]] || die "no package matches $pattern in $suite"
  release=${pkg#linux-image-}
  release=${release%-unsigned}
  dest="$out/debian/$version/x86_64/$release.btf.tar.xz"
  if [[ -f $dest ]]; then
    log "have $release ($suite)"
    continue
  fi
  log "fetching $pkg ($suite)"
  work="$work_root/$release"
  rm -rf "$work" && mkdir -p "$work/pkg"
  (cd "$work" && apt-get "${APT[@]}" download -qq "$pkg" >/dev/null) || die "apt-get download $pkg failed"
  dpkg-deb -x "$work"/*.deb "$work/pkg"
  image="$work/pkg/boot/vmlinuz-$release"
  [[ -f $image ]] || die "$pkg has no /boot/vmlinuz-$release"
  extract_vmlinux "$image" "$work/vmlinux" || die "cannot find the compressed vmlinux inside $image"
  objcopy --dump-section ".BTF=$work/$release.btf" "$work/vmlinux" "$work/vmlinux.stripped" 2>/dev/null \
    || die "$release: the vmlinux has no .BTF section"
  mkdir -p "$(dirname "$dest")"
  tar -cJf "$dest.tmp" -C "$work" "$release.btf"
  mv "$dest.tmp" "$dest"
  rm -rf "$work"
  log "filed debian/$version/x86_64/$release ($(stat -c %s "$dest") bytes)"
done
rm -rf "$work_root"
