#!/usr/bin/env bash
# Builds the Pulumi engine offline from the Go module proxy and caches it by version:
#   pulumi (CLI, module github.com/pulumi/pulumi/pkg/v3), dvrlab's own Node.js language host
#   (scripts/engine/langhost: upstream's is not served by the proxy), and the dynamic-provider
#   plugin launcher (scripts/engine/pulumi-resource-pulumi-nodejs).
# Prints the bin directory on stdout. First build ~4 min on 2 cores; cached runs < 1 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${DVRLAB_CACHE:-$HOME/.cache/dvrlab}
log() { echo "[engine] $*" >&2; }

# The engine must match the SDK the project installed.
ver=$(node -p "require('$repo/node_modules/@pulumi/pulumi/package.json').version" 2>/dev/null) || {
    log "node_modules/@pulumi/pulumi missing: run npm ci first"; exit 1; }
lhash=$(cat "$here/langhost/go.mod" "$here/langhost/go.sum" "$here/langhost/main.go" | sha256sum | cut -c1-12)
cli="$cache/engine/cli-v$ver"          # the CLI, shared by every language-host revision
bin="$cache/engine/v$ver-$lhash/bin"   # what goes on PATH
mkdir -p "$bin" "$cli"

export GOFLAGS="${GOFLAGS:--buildvcs=false} -mod=mod"
export GONOSUMDB=${GONOSUMDB:-} CGO_ENABLED=0
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$ver"

if [ ! -x "$cli/pulumi" ] || ! "$cli/pulumi" version 2>/dev/null | grep -qx "v$ver"; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    log "building pulumi v$ver from the Go module proxy (first time: several minutes)…"
    # Upstream's go.mod replaces sdk with ../sdk (local, dropped) and clipboard with a fork (kept):
    # read the non-local replaces of this version instead of hard-coding them.
    (cd "$work" && go mod init dvrlab.local/pulumi-build >/dev/null 2>&1)
    modfile=$(cd "$work" && go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$ver" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    {
        echo "module dvrlab.local/pulumi-build"
        echo
        echo "go $(sed -n 's/^go //p' "$modfile")"
        echo
        echo "require ("
        echo "    github.com/pulumi/pulumi/pkg/v3 v$ver"
        echo "    github.com/pulumi/pulumi/sdk/v3 v$ver"
        echo ")"
        grep -E '^replace .* => [^.]' "$modfile" | grep -vE '=> \.\.?/' || true
    } > "$work/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > "$work/tools.go"
    (cd "$work" && go mod tidy >&2 && go build -trimpath -ldflags "$ldflags" -o "$cli/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2)
    mv "$cli/pulumi.tmp" "$cli/pulumi"
    log "pulumi v$ver built"
fi
[ "$bin/pulumi" -ef "$cli/pulumi" ] || ln -f "$cli/pulumi" "$bin/pulumi" 2>/dev/null || cp "$cli/pulumi" "$bin/pulumi"

if [ ! -x "$bin/pulumi-language-nodejs" ]; then
    log "building the Node.js language host…"
    (cd "$here/langhost" && go build -trimpath -ldflags "$ldflags" -o "$bin/pulumi-language-nodejs.tmp" . >&2)
    mv "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs"
fi

# The dynamic-provider plugin is a launcher script (upstream's ships inside @pulumi/pulumi; ours
# skips its node start-up, see the script); the CLI looks next to itself.
install -m 0755 "$here/pulumi-resource-pulumi-nodejs" "$bin/pulumi-resource-pulumi-nodejs"
echo "$bin"
