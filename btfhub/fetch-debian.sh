#!/usr/bin/env bash
# Source 2 of the btfhub pipeline: Debian's packaged kernels.
#
# Downloads kernel image packages with apt, using private apt state beside
# OUT (the host's apt configuration is not touched; OUT itself changes only
# when a kernel is filed, since builds watch it), extracts each vmlinux
# from its bzImage and the .BTF section from the vmlinux, and files it in
# btfhub-archive layout: OUT/debian/<version>/x86_64/<release>.btf.tar.xz.
# Idempotent: kernels already filed are not fetched again (the packages
# are kept beside OUT).
#
#   btfhub/fetch-debian.sh [OUT] [--images DIR] [--headers DIR]
#
# OUT defaults to /var/cache/tracee-rs/btfhub-debian. Then build with
# TRACEE_BTFHUB_ARCHIVE=OUT (colon-separated with others).
# --images DIR also keeps each kernel's bootable image, for the qemu tests
# (test/qemu/): DIR/<release>/vmlinuz, and DIR/kernels.tsv listing
# release, Debian version and whether its BTF is embedded.
# --headers DIR also extracts the kernel's syscall prototypes
# (include/linux/syscalls.h of the newest kernel's linux-headers-*-common)
# to DIR/syscalls.h: the argument names and types of the event catalog.
set -euo pipefail

out=/var/cache/tracee-rs/btfhub-debian
images=
headers=
while (($#)); do
  case $1 in
    --images) images=$(realpath -m "${2:?--images needs a directory}"); shift 2 ;;
    --headers) headers=$(realpath -m "${2:?--headers needs a directory}"); shift 2 ;;
    *) out=$1; shift ;;
  esac
done
out=$(realpath -m "$out")
log() { printf 'fetch-debian: %s\n' "$*" >&2; }
die() { printf 'fetch-debian: error: %s\n' "$*" >&2; exit 1; }

# suite  version  package name pattern (newest match wins)  use
# use: embed = its minimized BTF is embedded (and it is booted by the qemu
# tests); boot = only booted, as a kernel the archive does not have.
KERNELS=(
  "bullseye 11 ^linux-image-5\.10\.[0-9]+-[0-9]+-cloud-amd64-unsigned$ embed"
  "bookworm 12 ^linux-image-6\.1\.[0-9]+-[0-9]+-amd64-unsigned$ embed"
  "bookworm 12 ^linux-image-6\.1\.[0-9]+-[0-9]+-cloud-amd64-unsigned$ embed"
  "trixie 13 ^linux-image-6\.12\.[0-9]+\+deb13-cloud-amd64-unsigned$ embed"
  "trixie 13 ^linux-image-6\.12\.[0-9]+\+deb13-amd64-unsigned$ boot"
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

debs="$state/debs"
mkdir -p "$debs"
[[ -z $images ]] || { mkdir -p "$images" && : > "$images/kernels.tsv.tmp"; }
for entry in "${KERNELS[@]}"; do
  read -r suite version pattern use <<< "$entry"
  [[ $use == embed || -n $images ]] || continue
  pkg=$(apt-cache "${APT[@]}" pkgnames linux-image- | grep -E "$pattern" | sort -V | tail -1 || true)
  [[ -n $pkg ]] || die "no package matches $pattern in $suite"
  release=${pkg#linux-image-}
  release=${release%-unsigned}
  # the list runs oldest to newest: the last embedded kernel's headers
  # give the catalog its syscall prototypes (--headers)
  [[ $use != embed ]] || headers_release=$release
  dest="$out/debian/$version/x86_64/$release.btf.tar.xz"
  [[ -z $images ]] || printf '%s\t%s\t%s\n' "$release" "$version" "$([[ $use == embed ]] && echo yes || echo no)" >> "$images/kernels.tsv.tmp"
  need_btf=$([[ $use == embed && ! -f $dest ]] && echo 1 || true)
  need_image=$([[ -n $images && ! -f $images/$release/vmlinuz ]] && echo 1 || true)
  if [[ -z $need_btf && -z $need_image ]]; then
    log "have $release ($suite)"
    continue
  fi
  deb=$(find "$debs" -name "${pkg}_*.deb" -print -quit)
  if [[ -z $deb ]]; then
    log "fetching $pkg ($suite)"
    (cd "$debs" && apt-get "${APT[@]}" download -qq "$pkg" >/dev/null) || die "apt-get download $pkg failed"
    deb=$(find "$debs" -name "${pkg}_*.deb" -print -quit)
  fi
  work="$work_root/$release"
  rm -rf "$work" && mkdir -p "$work/pkg"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/pkg" "./boot/vmlinuz-$release" 2>/dev/null \
    || die "$pkg has no /boot/vmlinuz-$release"
  image="$work/pkg/boot/vmlinuz-$release"
  if [[ -n $need_image ]]; then
    mkdir -p "$images/$release"
    cp "$image" "$images/$release/vmlinuz.tmp" && mv "$images/$release/vmlinuz.tmp" "$images/$release/vmlinuz"
    log "kept the image of $release for booting"
  fi
  if [[ -n $need_btf ]]; then
    extract_vmlinux "$image" "$work/vmlinux" || die "cannot find the compressed vmlinux inside $image"
    objcopy --dump-section ".BTF=$work/$release.btf" "$work/vmlinux" "$work/vmlinux.stripped" 2>/dev/null \
      || die "$release: the vmlinux has no .BTF section"
    mkdir -p "$(dirname "$dest")"
    tar -cJf "$dest.tmp" -C "$work" "$release.btf"
    mv "$dest.tmp" "$dest"
    log "filed debian/$version/x86_64/$release ($(stat -c %s "$dest") bytes)"
  fi
  rm -rf "$work"
done
if [[ -n $headers ]]; then
  common="linux-headers-${headers_release%-amd64}"
  common="${common%-cloud}-common"
  if [[ ! -f $headers/syscalls.h || $(cat "$headers/syscalls.h.source" 2>/dev/null) != "$common" ]]; then
    deb=$(find "$debs" -name "${common}_*.deb" -print -quit)
    if [[ -z $deb ]]; then
      log "fetching $common"
      (cd "$debs" && apt-get "${APT[@]}" download -qq "$common" >/dev/null) || die "apt-get download $common failed"
      deb=$(find "$debs" -name "${common}_*.deb" -print -quit)
    fi
    mkdir -p "$headers" "$work_root/headers"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work_root/headers" "./usr/src/$common/include/linux/syscalls.h" \
      || die "$common has no include/linux/syscalls.h"
    mv "$work_root/headers/usr/src/$common/include/linux/syscalls.h" "$headers/syscalls.h"
    echo "$common" > "$headers/syscalls.h.source"
    log "syscall prototypes from $common"
  fi
fi
rm -rf "$work_root"
[[ -z $images ]] || mv "$images/kernels.tsv.tmp" "$images/kernels.tsv"
