#!/usr/bin/env bash
# site/vendor.sh — fetch the browser libraries pinned in site/vendor.lock.json
# from the npm registry into site/static/vendor/, unmodified.
#
# Usage:
#   site/vendor.sh                        fetch, verify, and replace static/vendor/
#   site/vendor.sh --check                fetch, verify, and compare with the
#                                         committed static/vendor/ (exit 1 if
#                                         a file differs, is missing or is extra)
#   site/vendor.sh --update NAME VERSION  pin NAME at VERSION in the manifest
#                                         (integrity, license and the hashes of
#                                         its listed files), then fetch as above
#
# For each package of the manifest: `npm pack NAME@VERSION` into a temporary
# folder; the tarball's SHA-512 must equal "integrity" (npm's SRI string,
# "sha512-" + base64 of the digest); it is extracted (first path component
# dropped, as npm does) and every listed file must have its listed SHA-256.
# A file at PATH inside the package goes to DEST/PATH, minus the package's
# "strip_prefix" when PATH starts with it (leaflet: dist/leaflet.js →
# static/vendor/leaflet/leaflet.js, dist/images/*.png → …/leaflet/images/).
# static/vendor/ is rebuilt whole from the manifest, so no stale file stays.
# To add a package: add an entry with its name, dest static/vendor/<name>,
# strip_prefix and the files to take (hashes ""), then run --update.
#
# Needs node and npm (JSON and SHA-512 through node; no jq).
set -euo pipefail
cd "$(dirname "$0")"

MANIFEST=vendor.lock.json
VENDOR=static/vendor

log() { printf '[vendor] %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}
usage() { sed -n '4,12s/^# \{0,1\}//p' "$0" >&2; }

mode="write"
case "${1:-}" in
"") ;;
--check) mode=check ;;
--update)
	[[ $# -eq 3 ]] || {
		usage
		exit 2
	}
	mode=update upd_name=$2 upd_version=$3
	;;
-h | --help)
	usage
	exit 0
	;;
*)
	usage
	exit 2
	;;
esac
[[ $mode == update || $# -le 1 ]] || {
	usage
	exit 2
}

command -v node >/dev/null || die "node not found (Node.js is needed to read $MANIFEST)"
command -v npm >/dev/null || die "npm not found"
[[ -f $MANIFEST ]] || die "$MANIFEST not found"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# sri FILE: npm's integrity string of a file.
sri() {
	node -e 'const c = require("crypto"), fs = require("fs");
		process.stdout.write("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"));' "$1"
}

# fetch NAME VERSION DIR: npm pack NAME@VERSION into DIR, extract it into
# DIR/package; prints the tarball's path.
fetch() {
	local name=$1 version=$2 dir=$3
	mkdir -p "$dir"
	if ! (cd "$dir" && npm pack --json --ignore-scripts "$name@$version" </dev/null >pack.json 2>npm.err); then
		cat "$dir/npm.err" >&2
		die "npm pack $name@$version failed"
	fi
	local file
	file=$(node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		if (!Array.isArray(p) || p.length !== 1 || !p[0].filename) process.exit(1);
		process.stdout.write(p[0].filename);' "$dir/pack.json") || die "npm pack $name@$version: unexpected output: $(head -c 500 "$dir/pack.json")"
	[[ -f "$dir/$file" ]] || die "npm pack $name@$version: $dir/$file not written"
	mkdir -p "$dir/package"
	tar -xzf "$dir/$file" -C "$dir/package" --strip-components=1 --no-same-owner --no-same-permissions ||
		die "$name@$version: cannot extract $file"
	printf '%s\n' "$dir/$file"
}

# manifest: checks the manifest's shape and prints one line per package
# ("P<TAB>name<TAB>version<TAB>integrity<TAB>dest") followed by one per file
# ("F<TAB>path in package<TAB>sha256<TAB>path under dest").
manifest() {
	node - "$MANIFEST" <<'EOF'
const fs = require("fs");
const file = process.argv[2];
let m;
try { m = JSON.parse(fs.readFileSync(file, "utf8")); } catch (e) { fail(`${file}: ${e.message}`); }
function fail(msg) { process.stderr.write(`[vendor] error: ${msg}\n`); process.exit(1); }
const safe = (p) => typeof p === "string" && p !== "" && !p.startsWith("/") && !/[\\\t\n\r]/.test(p) &&
	p.split("/").every((s) => s !== "" && s !== "." && s !== "..");
if (!m || !Array.isArray(m.packages)) fail(`${file}: no "packages" array`);
const out = [];
const names = new Set();
for (const [i, p] of m.packages.entries()) {
	const where = `${file}: packages[${i}] (${p && p.name})`;
	for (const k of ["name", "version", "integrity", "dest"]) {
		if (typeof p[k] !== "string" || p[k] === "") fail(`${where}: "${k}" is missing (run vendor.sh --update NAME VERSION)`);
	}
	if (names.has(p.name)) fail(`${where}: listed twice`);
	names.add(p.name);
	if (p.dest !== `static/vendor/${p.name}`) fail(`${where}: dest must be "static/vendor/${p.name}"`);
	if (!safe(p.name)) fail(`${where}: bad name`);
	if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(p.version)) fail(`${where}: version must be exact (1.2.3), not a range`);
	if (!/^sha512-[A-Za-z0-9+/]{86}==$/.test(p.integrity)) fail(`${where}: integrity must be sha512-<base64>`);
	const strip = p.strip_prefix || "";
	if (!p.files || typeof p.files !== "object" || Object.keys(p.files).length === 0) fail(`${where}: no "files"`);
	out.push(["P", p.name, p.version, p.integrity, p.dest].join("\t"));
	const targets = new Set();
	for (const [path, sum] of Object.entries(p.files)) {
		if (!safe(path)) fail(`${where}: bad file path ${JSON.stringify(path)}`);
		if (typeof sum !== "string" || !/^[0-9a-f]{64}$/.test(sum)) fail(`${where}: ${path}: sha256 must be 64 hex digits (run vendor.sh --update ${p.name} ${p.version})`);
		const target = strip && path.startsWith(strip) ? path.slice(strip.length) : path;
		if (!safe(target) || targets.has(target)) fail(`${where}: ${path}: destination ${target} is invalid or taken twice`);
		targets.add(target);
		out.push(["F", path, sum, target].join("\t"));
	}
}
process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
EOF
}

# update NAME VERSION: rewrites the manifest entry of NAME for VERSION.
update() {
	local name=$1 version=$2 dir="$tmp/update"
	[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "$version: give an exact version (1.2.3), not a range"
	node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		process.exit((m.packages || []).some((p) => p.name === process.argv[2]) ? 0 : 1);' "$MANIFEST" "$name" ||
		die "$name is not in $MANIFEST: add an entry (name, dest, strip_prefix, files with \"\" hashes) first"
	log "$name@$version: fetching to update $MANIFEST…"
	local tgz integrity
	tgz=$(fetch "$name" "$version" "$dir")
	integrity=$(sri "$tgz")
	node - "$MANIFEST" "$name" "$version" "$integrity" "$dir/package" "$dir/pack.json" <<'EOF'
const fs = require("fs"), crypto = require("crypto"), path = require("path");
const [file, name, version, integrity, pkgDir, packJSON] = process.argv.slice(2);
function fail(msg) { process.stderr.write(`[vendor] error: ${msg}\n`); process.exit(1); }
const m = JSON.parse(fs.readFileSync(file, "utf8"));
const p = (m.packages || []).find((p) => p.name === name);
if (!p) fail(`${name} is not in ${file}: add an entry (name, dest, strip_prefix, files with "" hashes) first`);
const npmIntegrity = JSON.parse(fs.readFileSync(packJSON, "utf8"))[0].integrity;
if (npmIntegrity !== integrity) fail(`${name}@${version}: npm reports integrity ${npmIntegrity}, the tarball hashes to ${integrity}`);
const meta = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
const license = typeof meta.license === "string" ? meta.license : meta.license && meta.license.type;
if (!license) fail(`${name}@${version}: package.json has no license`);
const log = (msg) => process.stderr.write(`[vendor] ${name}@${version}: ${msg}\n`);
if (p.version !== version) log(`version ${p.version || "(none)"} → ${version}`);
if (p.license !== license) log(`license ${p.license || "(none)"} → ${license}`);
p.version = version;
p.license = license;
p.integrity = integrity;
p.dest = p.dest || `static/vendor/${name}`;
for (const f of Object.keys(p.files || {})) {
	const full = path.join(pkgDir, f);
	if (!fs.existsSync(full) || !fs.statSync(full).isFile()) fail(`${name}@${version} has no file ${f}: edit its "files" in ${file}`);
	const sum = crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex");
	if (p.files[f] !== sum) log(`${f}: ${p.files[f] ? "changed" : "hashed"}`);
	p.files[f] = sum;
}
fs.writeFileSync(file, JSON.stringify(m, null, 2) + "\n");
EOF
	rm -rf "$dir"
	log "$name@$version: $MANIFEST updated"
}

if [[ $mode == update ]]; then
	update "$upd_name" "$upd_version"
	mode="write"
fi

# Build the whole vendor tree in $tmp/vendor from the manifest.
manifest >"$tmp/manifest.tsv"
stage="$tmp/static/vendor"
mkdir -p "$stage"
n=0
cur="" curdir=""
while IFS=$'\t' read -r -u 3 kind a b c d; do
	case $kind in
	P)
		name=$a version=$b integrity=$c dest=$d
		n=$((n + 1))
		curdir="$tmp/pkg$n"
		tgz=$(fetch "$name" "$version" "$curdir")
		got=$(sri "$tgz")
		[[ $got == "$integrity" ]] ||
			die "$name@$version: the tarball from the npm registry is $got, $MANIFEST pins $integrity"
		cur="$name@$version"
		mkdir -p "$tmp/$dest"
		log "$cur: tarball matches its integrity"
		;;
	F)
		path=$a sum=$b target=$c
		src="$curdir/package/$path"
		[[ -f $src && ! -L $src ]] || die "$cur has no file $path"
		got=$(sha256sum "$src" | cut -d' ' -f1)
		[[ $got == "$sum" ]] || die "$cur: $path has sha256 $got, $MANIFEST pins $sum"
		mkdir -p "$(dirname "$tmp/$dest/$target")"
		cp "$src" "$tmp/$dest/$target"
		;;
	esac
done 3<"$tmp/manifest.tsv"
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -exec chmod 0644 {} +

if [[ $mode == write ]]; then
	rm -rf "$VENDOR"
	mkdir -p "$(dirname "$VENDOR")"
	cp -R "$stage" "$VENDOR"
	log "wrote $(find "$VENDOR" -type f | wc -l) file(s) of $n package(s) to site/$VENDOR"
	exit 0
fi

# --check: the committed tree must be exactly the staged one.
bad=0
if [[ ! -d $VENDOR ]]; then
	log "site/$VENDOR is missing"
	bad=1
else
	(cd "$stage" && find . ! -type d | sort) >"$tmp/want"
	(cd "$VENDOR" && find . ! -type d | sort) >"$tmp/have"
	while read -r f; do
		log "missing: site/$VENDOR/${f#./}"
		bad=1
	done < <(comm -23 "$tmp/want" "$tmp/have")
	while read -r f; do
		log "extra (not in $MANIFEST): site/$VENDOR/${f#./}"
		bad=1
	done < <(comm -13 "$tmp/want" "$tmp/have")
	while read -r f; do
		if [[ -L "$VENDOR/$f" || ! -f "$VENDOR/$f" ]]; then
			log "not a regular file: site/$VENDOR/${f#./}"
			bad=1
		elif ! cmp -s "$stage/$f" "$VENDOR/$f"; then
			log "differs from the npm package: site/$VENDOR/${f#./}"
			bad=1
		fi
	done < <(comm -12 "$tmp/want" "$tmp/have")
fi
if [[ $bad -ne 0 ]]; then
	log "site/$VENDOR does not match $MANIFEST and the npm registry: run site/vendor.sh (never edit vendored files)"
	exit 1
fi
log "site/$VENDOR matches $MANIFEST and the npm registry ($n package(s))"
