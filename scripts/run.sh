#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and starts the tracer. Arguments go
# to tracee-rs; without any it prints the default event set as a table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
(($#)) || set -- --events default --output table
exec node packages/cli/dist/cli.js "$@"
