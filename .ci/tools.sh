#!/usr/bin/env bash
# .ci/tools.sh — install the external programs the integration tests start,
# each into a cache keyed by version: $EOCAT_TOOLS_DIR (default
# $HOME/.cache/eocat/bin)/<tool>-<version>. A tool already in the cache is not
# rebuilt. For every tool it prints what it did and how long it took (stderr)
# and an export line for the test helpers (stdout), so CI can do:
#
#   eval "$(.ci/tools.sh versitygw)"
#
# Usage: .ci/tools.sh [tool...]   (no argument: every tool; "list": names)
#
# Adding a tool: write install_<tool> (use cached / go_install_cached helpers),
# add it to TOOLS. Go tools are built from the Go module proxy; gdal comes
# from Debian (apt-get, when it is missing and we are root).
set -euo pipefail

BIN_DIR="${EOCAT_TOOLS_DIR:-$HOME/.cache/eocat/bin}"
TOOLS=(versitygw seaweedfs dex gdal)

VERSITYGW_VERSION=v1.8.0
# SeaweedFS: a pseudo-version (its go.mod has replace directives, so
# `go install` refuses it): downloaded as a module, built from a copy.
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
# Dex: built from tools/dex (a module of ours pinning Dex v2.45.1's commit).
DEX_VERSION=v0.0.0-20260303133905-11d2eeb52b42

log() { printf '[tools] %s\n' "$*" >&2; }

build_versitygw() {
	GOBIN="$TMPDIR_BUILD/gobin" CGO_ENABLED=0 go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" >&2
	mv "$TMPDIR_BUILD/gobin/versitygw" "$OUT"
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

# GDAL's command-line tools (a real /vsicurl/ client) from Debian.
install_gdal() {
	local start=$SECONDS
	if ! command -v gdalinfo >/dev/null; then
		if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
			log "gdal: gdalinfo not found; install Debian's gdal-bin (apt-get install gdal-bin)"
			exit 1
		fi
		log "gdal: installing Debian's gdal-bin…"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gdal-bin; } >&2
		log "gdal: installed in $((SECONDS - start)) s"
	fi
	log "gdal: $(gdalinfo --version)"
	printf 'export %s=%q\n' EOCAT_GDALINFO "$(command -v gdalinfo)"
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
