#!/usr/bin/env bash
# Installs tracee-rs as a systemd service (deploy/systemd/): the unit at
# ROOT/etc/systemd/system/tracee-rs.service, with ExecStart naming the
# installed tracee-rs, and a starting configuration at
# ROOT/etc/tracee-rs/config.yaml unless one is there (a configuration is
# never overwritten). Idempotent. With ROOT / on a host where systemd runs,
# reloads systemd's units; enabling and starting stays the user's call
# (printed).
#
#   scripts/install-service.sh [--root DIR] [--exec PATH]
#
# --root DIR   install under DIR instead of / (images, tests)
# --exec PATH  the tracee-rs to run (default: tracee-rs on PATH, e.g. after
#              npm install -g tracee-rs); an absolute path
set -euo pipefail
die() { printf 'install-service: error: %s\n' "$*" >&2; exit 1; }
src=$(cd "$(dirname "$0")/../deploy/systemd" && pwd)
root=/
exe=
while (($#)); do
  case $1 in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --exec) exe=${2:?--exec needs a path}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
if [[ -z $exe ]]; then
  exe=$(command -v tracee-rs) || die "tracee-rs is not on PATH: install it (npm install -g tracee-rs) or name it with --exec PATH"
fi
[[ $exe == /* ]] || die "--exec '$exe' is not an absolute path (systemd needs one)"
[[ $exe != *[[:space:]%\$]* ]] || die "--exec '$exe': spaces, % and \$ are not written into the unit"
[[ -d $root ]] || die "--root '$root' is not a directory"

unit=$root/etc/systemd/system/tracee-rs.service
config=$root/etc/tracee-rs/config.yaml
install -d -m 0755 "$(dirname "$unit")" "$(dirname "$config")"
# replaced atomically, so systemd never reads half a unit
sed "s|@TRACEE_RS@|$exe|" "$src/tracee-rs.service" >"$unit.tmp"
chmod 0644 "$unit.tmp"
mv "$unit.tmp" "$unit"
echo "install-service: wrote $unit (ExecStart=$exe)"
if [[ -e $config ]]; then
  echo "install-service: kept $config"
else
  install -m 0644 "$src/config.yaml" "$config"
  echo "install-service: wrote $config"
fi
# the file destination's log, rotated; SIGUSR1 reopens it (nothing lost)
logrotate=$root/etc/logrotate.d/tracee-rs
install -d -m 0755 "$(dirname "$logrotate")"
install -m 0644 "$src/logrotate" "$logrotate"
echo "install-service: wrote $logrotate"
if [[ $root == / && -d /run/systemd/system ]]; then
  systemctl daemon-reload
  echo "install-service: systemd reloaded; start it with: systemctl enable --now tracee-rs"
elif [[ $root == / ]]; then
  echo "install-service: systemd is not running here; where it runs: systemctl daemon-reload && systemctl enable --now tracee-rs"
else
  echo "install-service: installed under $root; on that system: systemctl daemon-reload && systemctl enable --now tracee-rs"
fi
