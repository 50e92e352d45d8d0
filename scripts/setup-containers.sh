#!/usr/bin/env bash
# Installs the container runtimes the container tests start and ask
# (test/containers-runtimes.test.ts, through test/fixtures/runtimes.ts):
# Docker (dockerd, with the containerd it manages), Podman (its CLI, its API
# service and conmon, its container monitor), containerd (with its CRI
# plugin) and runc, the OCI runtime under all of them. Debian 12's
# packages. Idempotent: installs nothing when they are present. Starts no
# daemon: each test starts what it needs on private sockets and roots.
#
# Not installed, because the tests run Podman as root with no network
# (--network none): slirp4netns and uidmap (rootless Podman's networking
# and user namespaces), crun (Podman is pointed at runc, which the other
# runtimes use too), netavark (containernetworking-plugins, a dependency
# of Debian's podman, suffices). The tests' image is made offline from
# busybox-static (scripts/setup.sh installs it).
set -euo pipefail
log() { printf 'setup-containers: %s\n' "$*" >&2; }
die() { printf 'setup-containers: error: %s\n' "$*" >&2; exit 1; }

PACKAGES=(docker.io podman conmon containerd runc containernetworking-plugins busybox-static)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ $EUID -eq 0 ]] || die "missing Debian packages (${missing[*]}); run this script as root"
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in dockerd docker containerd ctr podman runc conmon; do
  command -v "$tool" >/dev/null || die "$tool is missing after installing ${PACKAGES[*]}"
done
