#!/usr/bin/env bash
# Source 2 of the btfhub pipeline: Debian's packaged kernels.
#
# Downloads the kernel image packages pinned in inputs.lock (use embed and
# boot: exact name, version, pool path and sha256; scripts/inputs-lock.sh)
# from deb.debian.org, kept beside OUT in OUT.cache/debs, extracts each
# vmlinux from its bzImage and the .BTF section from the vmlinux, and files
# it in btfhub-archive layout: OUT/debian/<version>/x86_64/<release>.btf.tar.xz.
# Idempotent: a kernel already filed is kept while it is what its pinned
# package gave (OUT.cache/filed/ records that; OUT itself changes only when
# a kernel is filed, since builds watch it), and a package already
# downloaded is not fetched again.
#
#   btfhub/fetch-debian.sh [OUT] [--images DIR]
#
# OUT defaults to /var/cache/tracee-rs/btfhub-debian. Then build with
# TRACEE_BTFHUB_ARCHIVE=OUT (colon-separated with others).
# --images DIR also keeps each kernel's bootable image, for the qemu tests
# (test/qemu/): DIR/<release>/vmlinuz, and DIR/kernels.tsv listing
# release, Debian version and whether its BTF is embedded.
# (The kernel's syscall prototypes are scripts/fetch-inputs.sh's.)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=/var/cache/tracee-rs/btfhub-debian
images=
while (($#)); do
  case $1 in
    --images) images=$(realpath -m "${2:?--images needs a directory}"); shift 2 ;;
    -*) echo "fetch-debian: error: unknown option $1 (btfhub/fetch-debian.sh [OUT] [--images DIR])" >&2; exit 1 ;;
    *) out=$1; shift ;;
  esac
done
out=$(realpath -m "$out")
log() { printf 'fetch-debian: %s\n' "$*" >&2; }
die() { printf 'fetch-debian: error: %s\n' "$*" >&2; exit 1; }
source "$root/scripts/inputs-lock.sh"

for tool in curl sha256sum dpkg-deb objcopy xz tar grep; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install curl coreutils dpkg binutils xz-utils tar grep)"
done
kernels=$(lock_entries "$root/inputs.lock" embed boot) || exit 1

cache="$out.cache"
work_root="$cache/work"
mkdir -p "$cache/debs" "$cache/filed" "$out"
rm -rf "$out/.apt" "$out/.work" # where older versions kept them
# older versions downloaded with apt: their packages are reused (checked
# against the lock like any other), their apt state is not needed
if [[ -d $out.apt ]]; then
  find "$out.apt/debs" -name '*.deb' -exec mv -t "$cache/debs" {} + 2>/dev/null || true
  rm -rf "$out.apt"
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

# Whether file $1 is still what package stamp $3 gave: $2 records that stamp
# and the file's sha256 when it was made.
made_from() { # file record stamp
  [[ -f $1 && -f $2 && $(head -1 "$2") == "$3" && $(sed -n 2p "$2") == "$(sha256sum "$1" | cut -d' ' -f1)" ]]
}
record() { # file record stamp
  printf '%s\n%s\n' "$3" "$(sha256sum "$1" | cut -d' ' -f1)" > "$2"
}

[[ -z $images ]] || { mkdir -p "$images" && : > "$images/kernels.tsv.tmp"; }
while read -r use suite pkg version sha256 filename; do
  [[ $use == embed || -n $images ]] || continue
  case $suite in
    bullseye) debian=11 ;;
    bookworm*) debian=12 ;;
    trixie*) debian=13 ;;
    *) die "inputs.lock: $pkg: suite $suite is not bullseye, bookworm or trixie (add its Debian version to btfhub/fetch-debian.sh)" ;;
  esac
  release=${pkg#linux-image-}
  release=${release%-unsigned}
  stamp="$pkg $version $sha256"
  dest="$out/debian/$debian/x86_64/$release.btf.tar.xz"
  [[ -z $images ]] || printf '%s\t%s\t%s\n' "$release" "$debian" "$([[ $use == embed ]] && echo yes || echo no)" >> "$images/kernels.tsv.tmp"
  need_btf=$([[ $use == embed ]] && ! made_from "$dest" "$cache/filed/$release" "$stamp" && echo 1 || true)
  need_image=$([[ -n $images ]] && ! made_from "$images/$release/vmlinuz" "$images/$release/vmlinuz.source" "$stamp" && echo 1 || true)
  if [[ -z $need_btf && -z $need_image ]]; then
    log "have $release ($pkg $version)"
    continue
  fi
  deb=$(lock_fetch_deb "$cache/debs" "$suite" "$pkg" "$version" "$sha256" "$filename") || exit 1
  work="$work_root/$release"
  rm -rf "$work" && mkdir -p "$work/pkg"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/pkg" "./boot/vmlinuz-$release" 2>/dev/null \
    || die "$pkg has no /boot/vmlinuz-$release"
  image="$work/pkg/boot/vmlinuz-$release"
  if [[ -n $need_image ]]; then
    mkdir -p "$images/$release"
    cp "$image" "$images/$release/vmlinuz.tmp" && mv "$images/$release/vmlinuz.tmp" "$images/$release/vmlinuz"
    record "$images/$release/vmlinuz" "$images/$release/vmlinuz.source" "$stamp"
    log "kept the image of $release for booting"
  fi
  if [[ -n $need_btf ]]; then
    extract_vmlinux "$image" "$work/vmlinux" || die "cannot find the compressed vmlinux inside $image"
    objcopy --dump-section ".BTF=$work/$release.btf" "$work/vmlinux" "$work/vmlinux.stripped" 2>/dev/null \
      || die "$release: the vmlinux has no .BTF section"
    # a kernel filed before with the same BTF stays as it is (builds watch OUT)
    if [[ -f $dest ]] && tar -xOJf "$dest" "$release.btf" 2>/dev/null | cmp -s - "$work/$release.btf"; then
      log "have $release ($pkg $version; its BTF checked)"
    else
      mkdir -p "$(dirname "$dest")"
      tar -cJf "$dest.tmp" -C "$work" "$release.btf"
      mv "$dest.tmp" "$dest"
      log "filed debian/$debian/x86_64/$release ($(stat -c %s "$dest") bytes)"
    fi
    record "$dest" "$cache/filed/$release" "$stamp"
  fi
  rm -rf "$work"
done <<< "$kernels"
rm -rf "$work_root"
[[ -z $images ]] || mv "$images/kernels.tsv.tmp" "$images/kernels.tsv"

# What the lock no longer names goes: OUT is embedded whole, so a kernel
# filed for an older lock would be embedded by this machine only.
keep_btf=$(awk '$1 == "embed" { sub(/^linux-image-/, "", $3); sub(/-unsigned$/, "", $3); print $3 ".btf.tar.xz" }' <<< "$kernels")
keep_debs=$(awk '{ sub(/.*\//, "", $6); print $6 }' <<< "$kernels")
while IFS= read -r -d '' f; do
  grep -qxF "${f##*/}" <<< "$keep_btf" || { rm -f "$f" "$cache/filed/$(basename "$f" .btf.tar.xz)"; log "removed ${f#"$out"/}: inputs.lock no longer pins it"; }
done < <(find "$out/debian" -name '*.btf.tar.xz' -print0 2>/dev/null)
while IFS= read -r -d '' f; do
  grep -qxF "${f##*/}" <<< "$keep_debs" || rm -f "$f"
done < <(find "$cache/debs" -type f -print0)
