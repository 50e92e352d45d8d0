#!/usr/bin/env bash
# Packs @tracee/core, its platform package and the tracee-rs CLI as npm
# tarballs into DIR (default: dist/npm). Run after scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=$(realpath -m "${1:-dist/npm}")
mkdir -p "$dest"
triple=linux-x64-gnu
# a package carries no trace of the machine that built it: refuse a build
# that embedded its host's kernel (TRACEE_EMBED_HOST_BTF=1, for local tests)
if node packages/cli/dist/cli.js btf list --report | grep -q '  build host$' && [[ ${TRACEE_PACK_ALLOW_HOST_BTF:-} != 1 ]]; then
  echo "pack: error: this build embeds the build host's kernel BTF (TRACEE_EMBED_HOST_BTF=1); rebuild without it (bash scripts/setup.sh) before packing" >&2
  exit 1
fi
cp "packages/core/native/tracee.$triple.node" "npm/$triple/"
trap 'rm -f "npm/$triple/tracee.$triple.node"' EXIT
for pkg in packages/core "npm/$triple" packages/cli; do
  (cd "$pkg" && npm pack --silent --pack-destination "$dest" >/dev/null)
done
ls "$dest"/*.tgz
