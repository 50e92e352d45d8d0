#!/usr/bin/env bash
# Builds the tracee-rs agent image (deploy/Dockerfile) offline, with the
# Docker daemon `docker` talks to (DOCKER_HOST), and prints its tag on stdout:
# tracee-rs:<12 hex>, a sha256 of every input (the packed npm tarballs, the
# base's files, the Dockerfile, this script); it is also tagged
# tracee-rs:<version> (packages/cli's, the tag deploy/kubernetes names).
# Run after the build
# (npm run build). Idempotent: when the daemon has that tag nothing is
# built; when it does not but the image was saved before (CACHE) it is
# loaded.
#
# The base is made from this host's Node.js and the shared libraries it, env
# and the native addon link (ldd), in a tar imported with `docker import`:
# Debian 12's own nodejs (18) is older than the Node >= 20 tracee-rs needs,
# so a Debian base would carry this Node anyway beside ~75 MB of dpkg, apt
# and coreutils that an agent never runs. No registry is asked for an image.
# tracee-rs is installed from the tarballs scripts/pack.sh makes, by npm on
# this host (the daemon's build containers have no network); the tarballs
# carry the prebuilt binary, so no compiler is involved.
#
# Environment: TRACEE_IMAGE_CACHE (default /var/cache/tracee-rs/image) holds
# the base tars and the saved images; TRACEE_PACK_ALLOW_HOST_BTF passes to
# scripts/pack.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf 'build-image: %s\n' "$*" >&2; }
die() { printf 'build-image: error: %s\n' "$*" >&2; exit 1; }
command -v docker >/dev/null || die "docker is missing; run scripts/setup-containers.sh"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no Docker daemon answers${DOCKER_HOST:+ at $DOCKER_HOST}; start dockerd (or set DOCKER_HOST)"
CACHE=${TRACEE_IMAGE_CACHE:-/var/cache/tracee-rs/image}
mkdir -p "$CACHE"
t0=$(date +%s%3N)
elapsed() { local ms=$(($(date +%s%3N) - t0)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. the tarballs (npm pack is reproducible: same files, same bytes)
bash scripts/pack.sh "$work/tgz" >/dev/null
tgzs=("$work"/tgz/*.tgz)
((${#tgzs[@]} == 3)) || die "scripts/pack.sh made ${#tgzs[@]} tarballs, not 3"

# 2. the base's files: node, env (the bin's #!/usr/bin/env node) and every
# library they and the native addon load, each at the path the loader asks for
node_bin=$(command -v node)
addon=packages/core/native/tracee.linux-x64-gnu.node
base_files=("$node_bin" /usr/bin/env)
mapfile -t libs < <(ldd "$node_bin" /usr/bin/env "$addon" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | sort -u)
base_files+=("${libs[@]}")
base_id=$( (sha256sum deploy/Dockerfile scripts/build-image.sh | awk '{print $1}'; for f in "${base_files[@]}"; do printf '%s ' "$f"; sha256sum <"$f"; done) | sha256sum | cut -c1-12)
base_tag=tracee-rs-base:$base_id
tag=tracee-rs:$( (echo "$base_id"; sha256sum "${tgzs[@]}" | awk '{print $1}') | sha256sum | cut -c1-12)
version_tag=tracee-rs:$(node -p 'require("./packages/cli/package.json").version')
# the version's tag follows the last image built or loaded; the hash is printed
finish() { docker tag "$tag" "$version_tag"; echo "$tag"; }

if docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag is present; nothing to build"
  finish
  exit 0
fi
saved=$CACHE/image-${tag#*:}.tar
if [[ -f $saved ]]; then
  docker load -q -i "$saved" >/dev/null
  log "$tag loaded from $saved in $(elapsed)"
  finish
  exit 0
fi

# 3. the base: a tar of those files (sorted, mtime 0: the same inputs give
# the same bytes), imported once per daemon
base_tar=$CACHE/base-$base_id.tar
if [[ ! -f $base_tar ]]; then
  root=$work/base
  mkdir -p "$root/tmp" "$root/etc"
  chmod 1777 "$root/tmp"
  for f in "${base_files[@]}"; do
    mkdir -p "$root$(dirname "$f")"
    cp -L "$f" "$root$f"
  done
  # a user and a group database for root (Node's os.userInfo, id lookups)
  echo 'root:x:0:0:root:/root:/usr/sbin/nologin' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$base_tar.part" .
  mv "$base_tar.part" "$base_tar"
  log "base $base_tar: $(du -m "$base_tar" | cut -f1) MB (${#base_files[@]} files)"
fi
docker image inspect "$base_tag" >/dev/null 2>&1 || docker import "$base_tar" "$base_tag" >/dev/null

# 4. tracee-rs from the tarballs, installed as a user of npm would
ctx=$work/context
mkdir -p "$ctx/opt/tracee-rs"
cp deploy/Dockerfile "$ctx/"
echo '{ "name": "tracee-rs-agent", "private": true }' >"$ctx/opt/tracee-rs/package.json"
(cd "$ctx/opt/tracee-rs" && npm install --omit=dev --no-audit --no-fund --loglevel=error "${tgzs[@]}" >/dev/null)
[[ -f $ctx/opt/tracee-rs/node_modules/@tracee/core-linux-x64-gnu/tracee.linux-x64-gnu.node ]] || die "npm did not install the platform package @tracee/core-linux-x64-gnu"

# 5. the image, with Docker's classic builder (no buildx needed, no network
# used: FROM the imported base, COPY only)
# (its notice that the classic builder is deprecated is shown only with a failure)
DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$base_tag" --label "org.opencontainers.image.title=tracee-rs" -t "$tag" "$ctx" >/dev/null 2>"$work/build.log" ||
  die "docker build failed: $(cat "$work/build.log")"
docker save -o "$saved.part" "$tag"
mv "$saved.part" "$saved"
# the images and bases saved before are superseded (100 MB and more each)
find "$CACHE" -maxdepth 1 \( -name 'image-*.tar' ! -name "$(basename "$saved")" -o -name 'base-*.tar' ! -name "$(basename "$base_tar")" \) -delete
log "$tag built in $(elapsed): $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1 / 1e6}')"
finish
