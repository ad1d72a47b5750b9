#!/usr/bin/env bash
# .ci/tools.sh — install the external programs the integration tests start
# (and golangci-lint, which .ci/run runs), each into a cache keyed by
# version: $EOCAT_TOOLS_DIR (default
# $HOME/.cache/eocat/bin)/<tool>-<version>. A tool already in the cache is not
# rebuilt. For every tool it prints what it did and how long it took (stderr)
# and an export line for the test helpers (stdout), so CI can do:
#
#   eval "$(.ci/tools.sh versitygw)"
#
# Usage: .ci/tools.sh [tool...]   (no argument: every tool; "list": names)
#
# Adding a tool: write install_<tool> (build_cached with go_install for a Go
# program), add it to TOOLS. Go tools are built from the Go module proxy; gdal and
# chromium come from Debian (apt-get, when they are missing and we are root);
# axe (axe-core, test-only: the accessibility test injects it into pages, the
# site never ships it) is a file of an npm tarball verified against its pin.
set -euo pipefail

BIN_DIR="${EOCAT_TOOLS_DIR:-$HOME/.cache/eocat/bin}"
TOOLS=(versitygw seaweedfs dex gdal chromium axe golangci-lint)

VERSITYGW_VERSION=v1.8.0
# SeaweedFS: a pseudo-version (its go.mod has replace directives, so
# `go install` refuses it): downloaded as a module, built from a copy.
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
# Dex: built from tools/dex (a module of ours pinning Dex v2.45.1's commit).
DEX_VERSION=v0.0.0-20260303133905-11d2eeb52b42
# axe-core from the npm registry: the tarball must match this SRI string
# (`npm view axe-core@$AXE_VERSION dist.integrity`).
AXE_VERSION=4.14.1
AXE_INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
# golangci-lint, the linter of .ci/run (configuration: .golangci.yml). The only
# place its version is pinned. Built with `go install`, so that its
# dependencies never enter our go.mod.
GOLANGCI_LINT_VERSION=v2.15.0

log() { printf '[tools] %s\n' "$*" >&2; }

# go_install <package@version>: go install the package's program and move
# it to $OUT (a build_cached command).
go_install() {
	local pkg=${1%@*}
	GOBIN="$TMPDIR_BUILD/gobin" go install "$1" >&2
	mv "$TMPDIR_BUILD/gobin/${pkg##*/}" "$OUT"
}

build_versitygw() {
	CGO_ENABLED=0 go_install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
}

install_versitygw() {
	build_cached versitygw "$VERSITYGW_VERSION" EOCAT_VERSITYGW build_versitygw
}

# build_cached <tool> <version> <env-var> <command...>: runs the command with
# $OUT set to a temporary path, then caches the binary it wrote there.
build_cached() {
	local tool=$1 version=$2 envvar=$3
	shift 3
	local dest="$BIN_DIR/$tool-$version"
	local start=$SECONDS
	if [[ -x "$dest" ]]; then
		log "$tool $version: cached at $dest"
	else
		log "$tool $version: building…"
		mkdir -p "$BIN_DIR"
		local tmp
		tmp=$(mktemp -d "$BIN_DIR/.build-$tool.XXXXXX")
		# shellcheck disable=SC2064
		trap "rm -rf '$tmp'" EXIT
		OUT="$tmp/$tool" TMPDIR_BUILD="$tmp" "$@"
		[[ -x "$tmp/$tool" ]] || { log "$tool: $tmp/$tool not produced"; exit 1; }
		mv -f "$tmp/$tool" "$dest"
		rm -rf "$tmp"
		trap - EXIT
		log "$tool $version: installed $dest ($(du -h "$dest" | cut -f1)) in $((SECONDS - start)) s"
	fi
	printf 'export %s=%q\n' "$envvar" "$dest"
}

build_golangci_lint() {
	go_install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
}

# About 3 minutes on 2 cores the first time (module download and build).
install_golangci-lint() {
	build_cached golangci-lint "$GOLANGCI_LINT_VERSION" EOCAT_GOLANGCI_LINT build_golangci_lint
}

build_seaweedfs() {
	local mod=github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION
	go mod download "$mod" >&2
	local src
	src="$(go env GOMODCACHE)/$mod"
	cp -r "$src" "$TMPDIR_BUILD/src"
	chmod -R u+w "$TMPDIR_BUILD/src"
	(cd "$TMPDIR_BUILD/src" && CGO_ENABLED=0 go build -o "$OUT" ./weed) >&2
}

install_seaweedfs() {
	build_cached seaweedfs "$SEAWEEDFS_VERSION" EOCAT_WEED build_seaweedfs
}

build_dex() {
	(cd "$(dirname "$0")/../tools/dex" && go build -o "$OUT" github.com/dexidp/dex/cmd/dex) >&2
}

install_dex() {
	build_cached dex "$DEX_VERSION" EOCAT_DEX build_dex
}

# apt_install <tool> <package...>: installs Debian packages, as root only.
apt_install() {
	local tool=$1
	shift
	if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
		log "$tool: not installed; install Debian's $* (apt-get install $*)"
		exit 1
	fi
	log "$tool: installing Debian's $*…"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } >&2
}

# GDAL's command-line tools (a real /vsicurl/ client, and gdaltransform as
# the CRS oracle) from Debian, with PROJ's proj.db and datum grids
# (proj-data) and sqlite3 (internal/crs's generator reads proj.db).
install_gdal() {
	local start=$SECONDS
	if ! command -v gdalinfo >/dev/null || ! command -v sqlite3 >/dev/null || [[ ! -f /usr/share/proj/ntf_r93.gsb ]]; then
		apt_install gdal gdal-bin proj-data sqlite3
		log "gdal: installed in $((SECONDS - start)) s"
	fi
	log "gdal: $(gdalinfo --version)"
	printf 'export %s=%q\n' EOCAT_GDALINFO "$(command -v gdalinfo)"
}

# Headless Chromium from Debian, for the site's browser tests, and a font so
# that screenshots have readable text.
install_chromium() {
	local start=$SECONDS bin
	bin=$(command -v chromium || command -v chromium-browser || true)
	if [[ -z "$bin" ]] || ! dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q 'ok installed'; then
		apt_install chromium chromium fonts-dejavu-core
		bin=$(command -v chromium)
		log "chromium: installed in $((SECONDS - start)) s"
	fi
	log "chromium: $("$bin" --version 2>/dev/null)"
	printf 'export %s=%q\n' EOCAT_CHROMIUM "$bin"
}

# axe-core's axe.min.js, from the npm tarball verified against AXE_INTEGRITY.
install_axe() {
	local start=$SECONDS
	local dir="$BIN_DIR/axe-core-$AXE_VERSION"
	local dest="$dir/axe.min.js"
	if [[ -s "$dest" ]]; then
		log "axe $AXE_VERSION: cached at $dest"
	else
		command -v npm >/dev/null || { log "axe: npm not found (Node.js's npm is needed to fetch axe-core)"; exit 1; }
		log "axe $AXE_VERSION: fetching axe-core@$AXE_VERSION from the npm registry…"
		mkdir -p "$BIN_DIR"
		local tmp
		tmp=$(mktemp -d "$BIN_DIR/.build-axe.XXXXXX")
		# shellcheck disable=SC2064
		trap "rm -rf '$tmp'" EXIT
		(cd "$tmp" && npm pack --silent --ignore-scripts "axe-core@$AXE_VERSION" >/dev/null) >&2
		local tgz="$tmp/axe-core-$AXE_VERSION.tgz"
		[[ -f "$tgz" ]] || { log "axe: npm pack did not produce $tgz"; exit 1; }
		# An SRI string is "sha512-" + base64 of the digest: compare in hex.
		local want got
		want=$(printf '%s' "${AXE_INTEGRITY#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
		got=$(sha512sum "$tgz" | cut -d' ' -f1)
		if [[ "$got" != "$want" ]]; then
			log "axe: axe-core-$AXE_VERSION.tgz does not match AXE_INTEGRITY (sha512 $got, pinned $want)"
			exit 1
		fi
		tar -xzf "$tgz" -C "$tmp" --no-same-owner package/axe.min.js
		mkdir -p "$dir"
		chmod 0644 "$tmp/package/axe.min.js"
		mv -f "$tmp/package/axe.min.js" "$dest"
		rm -rf "$tmp"
		trap - EXIT
		log "axe $AXE_VERSION: installed $dest ($(du -h "$dest" | cut -f1)) in $((SECONDS - start)) s"
	fi
	printf 'export %s=%q\n' EOCAT_AXE "$dest"
}

main() {
	local tools=("$@")
	if [[ ${#tools[@]} -eq 0 ]]; then tools=("${TOOLS[@]}"); fi
	if [[ ${tools[0]} == list ]]; then printf '%s\n' "${TOOLS[@]}"; return; fi
	local t
	for t in "${tools[@]}"; do
		if ! declare -F "install_$t" >/dev/null; then
			log "unknown tool '$t' (known: ${TOOLS[*]})"
			exit 2
		fi
		"install_$t"
	done
}

main "$@"
