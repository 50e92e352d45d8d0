# Reads, fetches and updates inputs.lock: the Debian packages the build
# reads, each pinned by name, version, pool path and sha256 (see the lock's
# header). Sourced by scripts/fetch-inputs.sh (the headers: .cache/inputs/)
# and btfhub/fetch-debian.sh (the kernels); the callers' log and die are used.
#
# Packages are downloaded from $DEBIAN_MIRROR (default https://deb.debian.org)
# at <mirror>/debian/<pool path> (<mirror>/debian-security/ for a
# *-security suite) and refused unless their sha256 is the pinned one.
# shellcheck shell=bash

LOCK_MIRROR=${DEBIAN_MIRROR:-https://deb.debian.org}
LOCK_UPDATE="pin today's packages with scripts/fetch-inputs.sh --update-lock, then rebuild and commit inputs.lock"
declare -F log >/dev/null || log() { printf 'inputs-lock: %s\n' "$*" >&2; }
declare -F die >/dev/null || die() { printf 'inputs-lock: error: %s\n' "$*" >&2; exit 1; }

# The rules --update-lock follows, in the lock's order: for each, the newest
# package whose name matches (by version sort of the names), at its newest
# version in those suites (the first suite listed wins a tie).
# use: embed = a kernel whose minimized BTF is embedded (and booted by the
# qemu tests); boot = a kernel only booted, one the archive does not have;
# syscalls = the kernel headers whose include/linux/syscalls.h gives the
# catalog its prototypes: the last embedded kernel's linux-headers-*-common
# (no pattern); include = a package of headers.
LOCK_RULES=(
  "embed    bullseye                                ^linux-image-5\.10\.[0-9]+-[0-9]+-cloud-amd64-unsigned$"
  "embed    bookworm                                ^linux-image-6\.1\.[0-9]+-[0-9]+-amd64-unsigned$"
  "embed    bookworm                                ^linux-image-6\.1\.[0-9]+-[0-9]+-cloud-amd64-unsigned$"
  "embed    trixie                                  ^linux-image-6\.12\.[0-9]+\+deb13-cloud-amd64-unsigned$"
  "boot     trixie                                  ^linux-image-6\.12\.[0-9]+\+deb13-amd64-unsigned$"
  "syscalls -                                       -"
  "include  bookworm,bookworm-updates,bookworm-security ^linux-libc-dev$"
  "include  bookworm,bookworm-updates,bookworm-security ^libc6-dev$"
  "include  bookworm,bookworm-updates,bookworm-security ^linux-libc-dev-arm64-cross$"
)

# Prints the entries of lock $1 whose use is one of $2..., one a line:
# use suite package version sha256 filename. Dies on a malformed line.
lock_entries() {
  local lock=$1 n=0 line use suite package version sha256 filename extra want
  shift
  [[ -f $lock ]] || die "$lock is missing (it is committed: git checkout -- $lock)"
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    line=${line%%#*}
    [[ ! $line =~ ^[[:space:]]*$ ]] || continue
    read -r use suite package version sha256 filename extra <<< "$line"
    if [[ -n $extra || ! $use =~ ^(embed|boot|syscalls|include)$ || ! $sha256 =~ ^[0-9a-f]{64}$ ||
      $filename != pool/* || ${filename##*/} != "${package}_${version#*:}_"*.deb ]]; then
      die "$lock:$n: not 'use suite package version sha256 pool/.../package_version_arch.deb' (use: embed, boot, syscalls or include): $line"
    fi
    for want in "$@"; do
      if [[ $use == "$want" ]]; then
        echo "$use $suite $package $version $sha256 $filename"
        break
      fi
    done
  done < "$lock"
}

lock_url() { # suite filename
  local archive=debian
  [[ $1 != *-security ]] || archive=debian-security
  echo "$LOCK_MIRROR/$archive/$2"
}

# Makes DIR/<the pool file's name> the pinned package and prints its path:
# a file already there is kept while its sha256 is the pinned one.
lock_fetch_deb() { # dir suite package version sha256 filename
  local dir=$1 suite=$2 package=$3 version=$4 sha256=$5 filename=$6
  local deb="$1/${6##*/}" url code got
  if [[ -f $deb && $(sha256sum "$deb" | cut -d' ' -f1) == "$sha256" ]]; then
    echo "$deb"
    return
  fi
  mkdir -p "$dir"
  url=$(lock_url "$suite" "$filename")
  log "fetching $package $version: $url"
  code=$(curl -sSL --retry 3 -o "$deb.part" -w '%{http_code}' "$url" 2> "$deb.err") || true
  case $code in
    200) ;;
    404 | 410)
      rm -f "$deb.part" "$deb.err"
      die "$package $version ($suite) is no longer on $LOCK_MIRROR ($url: HTTP $code); $LOCK_UPDATE" ;;
    *)
      got=$(head -1 "$deb.err")
      rm -f "$deb.part" "$deb.err"
      die "cannot download $url (${got:-HTTP $code}); $LOCK_MIRROR must be reachable, or set DEBIAN_MIRROR to a Debian mirror" ;;
  esac
  rm -f "$deb.err"
  got=$(sha256sum "$deb.part" | cut -d' ' -f1)
  if [[ $got != "$sha256" ]]; then
    rm -f "$deb.part"
    die "$url has sha256 $got, inputs.lock pins $sha256 for $package $version: refusing it"
  fi
  mv "$deb.part" "$deb"
  echo "$deb"
}

# One sha256 for a directory tree: its files' paths and contents, its links'
# paths and targets.
lock_tree_sum() {
  (cd "$1" && {
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
    find . -type l -printf '%p -> %l\n' | LC_ALL=C sort
  }) | sha256sum | cut -d' ' -f1
}

lock_sum() { # path: a file's sha256, a directory's lock_tree_sum
  if [[ -d $1 ]]; then lock_tree_sum "$1"; else sha256sum "$1" | cut -d' ' -f1; fi
}

# Whether $1 is still what was extracted from the package of stamp line $2:
# $1.source holds that line and the sha256 of what was extracted.
lock_kept() { # path stamp
  [[ -e $1 && -f $1.source ]] || return 1
  [[ $(head -1 "$1.source") == "$2" ]] || return 1
  [[ $(sed -n 2p "$1.source") == "$(lock_sum "$1")" ]]
}

lock_stamp() { # path stamp
  printf '%s\n%s\n' "$2" "$(lock_sum "$1")" > "$1.source"
}

# The build's headers from lock $1 into directory $2 (downloads in $3, each
# deleted once extracted): syscalls -> $2/syscalls.h (the package's
# include/linux/syscalls.h); include -> $2/<package>/ (the package's include
# directories, at their paths under /: usr/include/...). What is there is kept while
# it is what the pinned package gave (a damaged one is extracted again).
lock_fetch_headers() { # lock out downloads
  local lock=$1 out=$2 downloads=$3 entries use suite package version sha256 filename dest stamp deb
  entries=$(lock_entries "$lock" syscalls include) || exit 1
  mkdir -p "$out"
  while read -r use suite package version sha256 filename; do
    stamp="$package $version $sha256"
    if [[ $use == syscalls ]]; then dest=$out/syscalls.h; else dest=$out/$package; fi
    lock_kept "$dest" "$stamp" && continue
    deb=$(lock_fetch_deb "$downloads" "$suite" "$package" "$version" "$sha256" "$filename") || exit 1
    rm -rf "$dest.tmp"
    if [[ $use == syscalls ]]; then
      dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$package/include/linux/syscalls.h" > "$dest.tmp" ||
        die "$package has no /usr/src/$package/include/linux/syscalls.h"
      log "syscall prototypes from $package $version"
    else
      mkdir -p "$dest.tmp"
      dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest.tmp" --wildcards '*/include/*' ||
        die "$package has no include directory"
      log "headers from $package $version"
    fi
    rm -rf "$dest" "$deb"
    mv "$dest.tmp" "$dest"
    lock_stamp "$dest" "$stamp"
  done <<< "$entries"
}

# Writes lock $1 anew from today's Debian (apt's state in $2): the newest
# package each of LOCK_RULES names. The indexes come through apt, which
# checks their signatures with this host's Debian keyring.
lock_update() { # lock state
  local lock=$1 state suite archive rule use suites pattern file tool
  local last_embed="" best name version s p v h f
  local -a APT entries
  for tool in apt-get dpkg awk /usr/lib/apt/apt-helper; do
    command -v "$tool" > /dev/null || die "$tool is missing (apt-get install apt dpkg gawk)"
  done
  state=$(realpath -m "$2")
  mkdir -p "$state"/{lists/partial,cache/archives/partial}
  : > "$state/sources.list"
  for suite in bullseye bookworm bookworm-updates bookworm-security trixie; do
    archive=debian
    [[ $suite != *-security ]] || archive=debian-security
    echo "deb $LOCK_MIRROR/$archive $suite main" >> "$state/sources.list"
  done
  APT=(-o "Dir::Etc::sourcelist=$state/sources.list" -o "Dir::Etc::sourceparts=/nonexistent"
    -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
    -o "APT::Architecture=amd64" -o "APT::Sandbox::User=root")
  log "reading today's package indexes (bullseye, bookworm, trixie) from $LOCK_MIRROR"
  apt-get "${APT[@]}" update -qq > /dev/null || die "apt-get update failed for $LOCK_MIRROR"
  # suite package version sha256 filename, of the packages a rule can name
  while read -r suite file; do
    /usr/lib/apt/apt-helper cat-file "$file" | awk -v suite="$suite" '
      BEGIN { RS = ""; FS = "\n" }
      {
        p = v = s = f = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Package: /) p = substr($i, 10)
          else if ($i ~ /^Version: /) v = substr($i, 10)
          else if ($i ~ /^SHA256: /) s = substr($i, 9)
          else if ($i ~ /^Filename: /) f = substr($i, 11)
        }
        if (p ~ /^(linux-image-|linux-headers-|linux-libc-dev|libc6-dev$)/) print suite, p, v, s, f
      }'
  done < <(apt-get "${APT[@]}" indextargets --format '$(RELEASE) $(FILENAME)' 'Identifier: Packages') > "$state/index"

  for rule in "${LOCK_RULES[@]}"; do
    read -r use suites pattern <<< "$rule"
    if [[ $use == syscalls ]]; then
      # the last embedded kernel's headers, from its suite
      [[ -n $last_embed ]] || die "LOCK_RULES: syscalls must come after an embedded kernel"
      read -r suites name <<< "$last_embed"
      name=${name#linux-image-}
      name=${name%-unsigned}
      name=${name%-amd64}
      name=${name%-cloud}
      pattern="^linux-headers-${name//+/\\+}-common\$"
    fi
    name=$(re=$pattern awk -v suites=",$suites," 'index(suites, "," $1 ",") && $2 ~ ENVIRON["re"] { print $2 }' "$state/index" | sort -uV | tail -1)
    [[ -n $name ]] || die "no package matches $pattern in $suites"
    best=""
    for s in ${suites//,/ }; do
      while read -r _ p v h f; do
        if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$version"; then
          best="$use $s $p $v $h $f"
          version=$v
        fi
      done < <(awk -v s="$s" -v p="$name" '$1 == s && $2 == p' "$state/index")
    done
    entries+=("$best")
    [[ $use != embed ]] || last_embed=$(cut -d' ' -f2,3 <<< "$best")
  done

  {
    cat << 'EOF'
# The Debian packages the build reads, each pinned by exact name, version,
# pool path (the Filename of Debian's Packages index) and sha256: fetched
# from https://deb.debian.org/debian/<pool path> (debian-security/ for a
# *-security suite) and refused unless its sha256 is this one.
#   scripts/fetch-inputs.sh: syscalls, include -> .cache/inputs/ (read by
#     crates/tracee-core/build.rs)
#   btfhub/fetch-debian.sh: embed, boot -> the kernels' BTF (embedded) and
#     their images (--images: the qemu tests)
# use: embed = a kernel whose minimized BTF is embedded (the qemu tests boot
# it too); boot = a kernel only booted, one the archive lacks; syscalls =
# the kernel headers whose include/linux/syscalls.h gives the catalog its
# argument names and types; include = headers (the package's include
# directories): the syscall numbers (x86_64's asm/unistd_64.h, arm64's
# asm/unistd.h), the decoding constants (errno, O_*, AF_*, ...) and the
# UAPI headers libbpf is compiled with.
# Written by scripts/fetch-inputs.sh --update-lock from today's newest
# packages (the rules in scripts/inputs-lock.sh); review and commit it.
EOF
    printf '%s\n' "${entries[@]}" | awk '
      { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NF }
      END { for (r = 1; r <= NR; r++) { line = ""; for (i = 1; i < n; i++) line = line sprintf("%-" w[i] "s  ", cell[r, i]); print line cell[r, n] } }'
  } > "$lock.tmp"
  lock_entries "$lock.tmp" embed > /dev/null || exit 1
  if cmp -s "$lock" "$lock.tmp"; then
    rm "$lock.tmp"
    log "$lock: unchanged (the pinned packages are today's newest)"
  else
    diff <(lock_entries "$lock" embed boot syscalls include 2> /dev/null | cut -d' ' -f3,4) \
      <(lock_entries "$lock.tmp" embed boot syscalls include | cut -d' ' -f3,4) | sed -n 's/^< /  was: /p; s/^> /  now: /p' >&2 || true
    mv "$lock.tmp" "$lock"
    log "$lock: written; fetch it (scripts/setup.sh), rebuild, check and commit it"
  fi
}
