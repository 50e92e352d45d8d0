#!/usr/bin/env bash
# Installs the Prometheus server the metrics test starts and queries
# (test/agent-metrics.test.ts): Debian 12's `prometheus` package, at the
# version pinned below. Its .deb is kept in /var/cache/tracee-rs/prometheus,
# so a reinstall needs only its dependencies from the mirror. Idempotent:
# does nothing when that version is installed.
#
# The test runs its own server (its own config, data directory and port on
# 127.0.0.1) and stops it. The package's own service does not matter to
# it: where systemd runs, Debian starts one on :9090, which the test never
# asks; here (no systemd, and a policy-rc.d that refuses services) none
# starts. Not installed: the recommended prometheus-node-exporter.
set -euo pipefail
log() { printf 'setup-prometheus: %s\n' "$*" >&2; }
die() { printf 'setup-prometheus: error: %s\n' "$*" >&2; exit 1; }

# bookworm's (2.42.0, with the HTTP API /api/v1/query the test asks)
PROMETHEUS_VERSION=2.42.0+ds-5+deb12u1
CACHE=/var/cache/tracee-rs/prometheus

installed=$(dpkg-query -W -f='${Status} ${Version}' prometheus 2>/dev/null || true)
if [[ $installed != "install ok installed $PROMETHEUS_VERSION" ]]; then
  [[ $EUID -eq 0 ]] || die "prometheus $PROMETHEUS_VERSION is not installed; run this script as root"
  mkdir -p "$CACHE"
  # apt-get download's name for it (the epoch-free version, ':' as %3a)
  deb="$CACHE/prometheus_${PROMETHEUS_VERSION//:/%3a}_$(dpkg --print-architecture).deb"
  if [[ ! -s $deb ]]; then
    log "downloading prometheus $PROMETHEUS_VERSION"
    apt-get update -qq
    (cd "$CACHE" && apt-get download -qq -o APT::Sandbox::User=root "prometheus=$PROMETHEUS_VERSION") ||
      die "apt-get download prometheus=$PROMETHEUS_VERSION failed (is the bookworm mirror in /etc/apt/sources.list*?)"
  fi
  log "installing prometheus $PROMETHEUS_VERSION"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null; } ||
    die "installing $deb failed"
fi
command -v prometheus >/dev/null || die "prometheus is missing after installing the package"
