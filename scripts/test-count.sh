#!/usr/bin/env bash
# Counts the tests of a run from its reports in DIR: cargo's output
# (cargo*.txt, its "test result:" lines) and vitest's JSON reports
# (vitest*.json; a skipped or pending test counts as failed). Prints
# "LABEL: N passed, M failed"; exit status 1 if any failed or none ran.
#
#   bash scripts/test-count.sh DIR LABEL
set -euo pipefail
dir=$1
label=$2

shopt -s nullglob
cargo_files=("$dir"/cargo*.txt)
vitest_files=("$dir"/vitest*.json)
read -r cargo_passed cargo_failed < <(cat /dev/null "${cargo_files[@]}" | awk '/^test result:/ { p += $4; f += $6 } END { print p+0, f+0 }')
read -r vitest_passed vitest_failed < <(node -e '
  let p = 0, f = 0;
  for (const file of process.argv.slice(1)) {
    const r = require(require("node:path").resolve(file));
    p += r.numPassedTests;
    f += r.numFailedTests + r.numPendingTests;
  }
  console.log(p, f);
' "${vitest_files[@]}")
passed=$((cargo_passed + vitest_passed))
failed=$((cargo_failed + vitest_failed))
echo "${label}: ${passed} passed, ${failed} failed"
((failed == 0 && passed > 0))
