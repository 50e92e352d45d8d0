#!/usr/bin/env bash
# Packs @tracee/core, its platform package and the tracee-rs CLI as npm
# tarballs into DIR (default: dist/npm). Run after scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=$(realpath -m "${1:-dist/npm}")
mkdir -p "$dest"
triple=linux-x64-gnu
cp "packages/core/native/tracee.$triple.node" "npm/$triple/"
trap 'rm -f "npm/$triple/tracee.$triple.node"' EXIT
for pkg in packages/core "npm/$triple" packages/cli; do
  (cd "$pkg" && npm pack --silent --pack-destination "$dest" >/dev/null)
done
ls "$dest"/*.tgz
