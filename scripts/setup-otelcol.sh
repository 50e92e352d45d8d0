#!/usr/bin/env bash
# Builds the OpenTelemetry Collector the agent's OTLP tests start
# (test/agent-otlp.test.ts): the collector builder (ocb) turns the pinned
# manifest scripts/otelcol/builder-config.yaml (OTLP receiver, file and
# debug exporters) into Go sources and compiles them. Every Go module is
# fetched from the Go module proxy and checked against the Go checksum
# database (go verifies both; the database is reached through the proxy).
#
# Go: the one on PATH when it is at least GO_MIN (the builder's and the
# collector's go.mod), else the pinned toolchain GO_VERSION, fetched once
# from the proxy as the module golang.org/toolchain (what go itself fetches
# to switch toolchains) and checked against its pinned sha256. Debian 12's
# golang (1.19) is too old.
#
# Idempotent: the binary is cached at $CACHE/otelcol/<dist.version>/otelcol
# with the sha256 of its inputs; a second run with the same inputs builds
# nothing. Prints the binary's path on stdout.
#   --print-path   print the path without building; exit 1 if it is not built
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf 'setup-otelcol: %s\n' "$*" >&2; }
die() { printf 'setup-otelcol: error: %s\n' "$*" >&2; exit 1; }

OCB_VERSION=0.165.0
GO_MIN=1.26.0
GO_VERSION=1.26.8
# sha256 of the module zip golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-<arch>
declare -A GO_TOOLCHAIN_ZIP_SHA256=(
  [amd64]=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7
  [arm64]=02b36b6787b3ac767668f630e2998df45a3b1f9ffee08d1bf3ef6487cd658d99
)
CACHE=${TRACEE_CACHE_DIR:-/var/cache/tracee-rs}
MANIFEST=scripts/otelcol/builder-config.yaml
GOPROXY_URL=${GOPROXY_URL:-https://proxy.golang.org}

version=$(sed -n 's/^  version: *//p' "$MANIFEST")
[[ -n $version ]] || die "$MANIFEST has no dist.version"
out=$CACHE/otelcol/$version
bin=$out/otelcol
inputs=$( { sha256sum <"$MANIFEST"; echo "ocb $OCB_VERSION"; } | sha256sum | cut -d' ' -f1)
built() { [[ -x $bin && -f $out/inputs.sha256 && $(<"$out/inputs.sha256") == "$inputs" ]]; }

if [[ ${1:-} == --print-path ]]; then
  built || die "the collector is not built (or $MANIFEST changed since); run: bash scripts/setup-otelcol.sh"
  echo "$bin"
  exit 0
fi
if built; then
  log "$bin is up to date"
  echo "$bin"
  exit 0
fi

start=$SECONDS
# runs a go command (or ocb's) without its "go: downloading" lines, its other output on stderr
quiet() { "$@" 2>&1 | sed '/^go: downloading /d' >&2; }

# true when $1 is a go binary of at least GO_MIN
go_new_enough() {
  local v
  v=$("$1" env GOVERSION 2>/dev/null) || return 1
  v=${v#go}
  [[ $(printf '%s\n' "$GO_MIN" "$v" | sort -V | head -n1) == "$GO_MIN" ]]
}

# The pinned toolchain, fetched and checked once; prints its go binary.
fetch_go() {
  local arch root url tmp got
  arch=$(dpkg --print-architecture)
  [[ -n ${GO_TOOLCHAIN_ZIP_SHA256[$arch]:-} ]] || die "no pinned Go toolchain for $arch; put Go >= $GO_MIN on PATH"
  root=$CACHE/go/go$GO_VERSION.linux-$arch
  if [[ ! -x $root/bin/go ]]; then
    for tool in curl sha256sum unzip; do
      command -v "$tool" >/dev/null || die "$tool is missing (apt-get install curl coreutils unzip)"
    done
    url=$GOPROXY_URL/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-$arch.zip
    tmp=$(mktemp -d "$CACHE/go/.fetch.XXXXXX")
    log "fetching Go $GO_VERSION: $url"
    curl -fsSL --retry 3 -o "$tmp/go.zip" "$url" || die "cannot download $url (the Go module proxy must be reachable, or set GOPROXY_URL)"
    got=$(sha256sum "$tmp/go.zip" | cut -d' ' -f1)
    [[ $got == "${GO_TOOLCHAIN_ZIP_SHA256[$arch]}" ]] || die "$url has sha256 $got, pinned ${GO_TOOLCHAIN_ZIP_SHA256[$arch]}: refusing it"
    unzip -q "$tmp/go.zip" -d "$tmp/x"
    # module zips carry no modes: go marks bin/ and pkg/tool/ executable when it switches toolchains
    local top=$tmp/x/golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-$arch
    chmod -R a+x "$top/bin" "$top/pkg/tool"
    rm -rf "$root"
    mv "$top" "$root"
    rm -rf "$tmp"
  fi
  echo "$root/bin/go"
}

mkdir -p "$CACHE/go" "$out"
go=$(command -v go || true)
if [[ -z $go ]] || ! go_new_enough "$go"; then
  log "Go >= $GO_MIN is not on PATH${go:+ ($go is $("$go" env GOVERSION 2>/dev/null || echo older))}: using the pinned Go $GO_VERSION"
  go=$(fetch_go)
  go_new_enough "$go" || die "$go does not run"
fi
log "building the collector $version with ocb $OCB_VERSION and $("$go" env GOVERSION) (minutes on a cold cache)"

# the build's module and build caches are the project's own, beside the
# binary's cache; GOTOOLCHAIN=local: no toolchain switch behind our back
export GOTOOLCHAIN=local GOPATH=$CACHE/go/path GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOFLAGS=-modcacherw
export PATH=$(dirname "$go"):$PATH
GOBIN=$CACHE/go/ocb-$OCB_VERSION quiet "$go" install "go.opentelemetry.io/collector/cmd/builder@v$OCB_VERSION"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the manifest with where to build and which go: the builder has no flags for them
sed "/^dist:/a\\  output_path: $work/src\n  go: $go" "$MANIFEST" >"$work/builder-config.yaml"
# ocb's `go mod tidy` loads the tests of the components' packages too, and
# the file exporter's tests import otlpencodingextension, whose zips since
# v0.140 the proxy refuses ("This module version is not available"): -e
# (GOFLAGS applies it to the go commands that know it: tidy) goes on past
# what cannot be fetched; the build fails if the collector itself needs it
GOFLAGS="$GOFLAGS -e" quiet "$CACHE/go/ocb-$OCB_VERSION/builder" --config "$work/builder-config.yaml"
"$work/src/otelcol" --version >&2
install -m 0755 "$work/src/otelcol" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$inputs" >"$out/inputs.sha256"
log "built $bin in $((SECONDS - start)) s"
echo "$bin"
