#!/usr/bin/env bash
# make-data.sh — regenerate the quickstart sample data (see DATA.md).
#
# Writes small but REAL Cloud-Optimized GeoTIFFs (tiled 16x16, DEFLATE, internal
# overviews, GDAL's LAYOUT=COG header) plus thumbnails and metadata.json sidecars
# into data/, and `gdalinfo -json` ground truth into testdata-gdalinfo/.
# The pixels are a synthetic scene (fields, sea, clouds and their shadows, an
# orbit-edge no-data wedge) computed with integer arithmetic in awk, so running
# the script twice gives byte-identical files. Only this script needs GDAL
# (Debian: apt-get install gdal-bin); the generated files are committed.
#
# Usage: examples/quickstart/make-data.sh    (from anywhere)
set -euo pipefail

cd "$(dirname "$0")"
for tool in gdal_translate gdalbuildvrt gdalinfo awk; do
	command -v "$tool" >/dev/null || { echo "make-data.sh: $tool not found (apt-get install gdal-bin)" >&2; exit 1; }
done

export GDAL_PAM_ENABLED=NO    # never write .aux.xml sidecars
export GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR
export LC_ALL=C TZ=UTC

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

S2=data/sentinel2-l2a
SPOT=data/spot
GT=testdata-gdalinfo
rm -rf "$S2" "$SPOT" "$GT"
mkdir -p "$S2" "$SPOT" "$GT"

# ---------------------------------------------------------------------------
# Synthetic scene. Writes ASCII grids (AAIGrid) for each band into $dir and
# prints "cloud_cover nodata_percentage" on stdout.
#   kind=s2:   B02 B03 B04 B08 (N x N, L2A DN = 10000*reflectance + 1000),
#              SCL (N/2 x N/2 scene classification), R G B (visual, 8 bit)
#   kind=spot: R G B N (N x N, 12-bit DN), footprint = rotated quadrilateral
# Parameters: n (grid size), seed, sea (a b c: sea where a*i+b*j > c),
# wedge (nodata where i*wa + j*wb < wc, 0 = none), clouds "x,y,r;x,y,r" in px.
cat >"$TMP/scene.awk" <<'AWK'
function cls(i, j,   k, c, dx, dy, px, py, h) {
	# returns: 0 nodata, 3 shadow, 4 vegetation, 5 bare, 6 water, 8/9 cloud
	if (kind == "s2" && wa != 0 && i * wa + j * wb < wc) return 0
	if (kind == "spot" && (2 * i + j < 12 || 2 * i + j > 170 || i - 2 * j > 50 || 2 * j - i > 76)) return 0
	for (k = 1; k <= nc; k++) {
		dx = i - cx[k]; dy = j - cy[k]
		if (dx * dx + dy * dy <= cr[k] * cr[k]) return (4 * (dx * dx + dy * dy) <= cr[k] * cr[k]) ? 9 : 8
	}
	for (k = 1; k <= nc; k++) {
		dx = i - cx[k] - 3; dy = j - cy[k] - 2
		if (dx * dx + dy * dy <= cr[k] * cr[k]) { c = 3; break }
	}
	if (sa * i + sb * j > sc) return 6
	px = int(i / 6); py = int(j / 5)
	h = (px * 73 + py * 151 + seed * 31) % 97
	if (c == 3) return 3
	return (h < 60) ? 4 : 5
}
function val(c, b, i, j,   v, t) {
	t = (i * 7 + j * 13 + seed * 17) % 41          # deterministic texture
	if (c == 0) return 0
	if (c == 4) { split("1250 1550 1350 4300", v) }
	else if (c == 5) { split("1900 2200 2500 3100", v) }
	else if (c == 6) { split("1500 1400 1150 1080", v); t = int(t / 4) }
	else if (c == 3) { split("1150 1250 1200 1900", v) }
	else if (c == 8) { split("5200 5100 5000 5400", v) }
	else { split("7600 7500 7400 7700", v) }
	return v[b] + t * (b == 4 ? 9 : 4) + int((i + j) * 3)
}
function header(f, n) {
	printf "ncols %d\nnrows %d\nxllcorner 0\nyllcorner 0\ncellsize 1\n", n, n > f
}
function tci(dn,   x) { x = int((dn - 1000) * 255 / 2600); return x < 1 ? 1 : (x > 255 ? 255 : x) }
BEGIN {
	nc = split(clouds, cl, ";")
	for (k = 1; k <= nc; k++) { split(cl[k], p, ","); cx[k] = p[1]; cy[k] = p[2]; cr[k] = p[3] }
	split(sea, s, " "); sa = s[1]; sb = s[2]; sc = s[3]
	split(wedge, w, " "); wa = w[1]; wb = w[2]; wc = w[3]
	if (kind == "s2") { nb = 4; split("B02 B03 B04 B08", bn) } else { nb = 4; split("R G B N", bn) }
	for (b = 1; b <= nb; b++) header(dir "/" bn[b] ".asc", n)
	if (kind == "s2") { header(dir "/SCL.asc", n / 2); for (b = 1; b <= 3; b++) header(dir "/V" b ".asc", n) }
	cloud = 0; nodata = 0
	for (j = 0; j < n; j++) {
		for (i = 0; i < n; i++) {
			c = cls(i, j)
			if (c == 0) nodata++
			if (c == 8 || c == 9) cloud++
			for (b = 1; b <= nb; b++) {
				d = val(c, b, i, j)
				if (kind == "spot" && d > 0) d = int((d - 1000) * 4095 / 7000) + 1
				row[b] = row[b] (i ? " " : "") d
				if (kind == "s2" && b <= 3) vis[b] = vis[b] (i ? " " : "") (c == 0 ? 0 : tci(d))
			}
		}
		for (b = 1; b <= nb; b++) { print row[b] > (dir "/" bn[b] ".asc"); row[b] = "" }
		if (kind == "s2") {
			# visual is R,G,B = B04,B03,B02
			print vis[3] > (dir "/V1.asc"); print vis[2] > (dir "/V2.asc"); print vis[1] > (dir "/V3.asc")
			vis[1] = vis[2] = vis[3] = ""
		}
	}
	if (kind == "s2") {
		for (j = 0; j < n / 2; j++) {
			r = ""
			for (i = 0; i < n / 2; i++) r = r (i ? " " : "") cls(2 * i, 2 * j)
			print r > (dir "/SCL.asc")
		}
	}
	valid = n * n - nodata
	printf "%.2f %.2f\n", (valid ? 100 * cloud / valid : 0), 100 * nodata / (n * n)
}
AWK

# cog <src> <dst> <type> <resampling> [extra gdal_translate args...]
cog() {
	local src=$1 dst=$2 type=$3 rs=$4
	shift 4
	gdal_translate -q "$src" "$dst" -ot "$type" -a_srs "$SRS" -a_ullr $ULLR -a_nodata 0 \
		-of COG -co BLOCKSIZE=16 -co COMPRESS=DEFLATE -co PREDICTOR=YES \
		-co OVERVIEW_RESAMPLING="$rs" "$@" 2>"$TMP/gdal.err" || { cat "$TMP/gdal.err" >&2; return 1; }
	# GDAL 3.6 warns that BLOCKSIZE should be >= 128 but honours 16: drop that line only.
	grep -v "unexpected value for BLOCKSIZE" "$TMP/gdal.err" >&2 || true
}

# s2 <product> <epsg> "<ulx uly lrx lry>" <datetime> <platform> <baseline> <orbit> <mgrs> <generated> <seed> <sea> <wedge> <clouds>
s2() {
	local product=$1 epsg=$2 ullr=$3 datetime=$4 platform=$5 baseline=$6 orbit=$7 mgrs=$8 generated=$9
	local seed=${10} sea=${11} wedge=${12} clouds=${13}
	local dir="$S2/$product" work="$TMP/$product"
	mkdir -p "$dir" "$work"
	local stats
	stats=$(awk -v kind=s2 -v n=64 -v dir="$work" -v seed="$seed" -v sea="$sea" -v wedge="$wedge" \
		-v clouds="$clouds" -f "$TMP/scene.awk")
	local cc=${stats% *} nd=${stats#* }
	SRS=$epsg ULLR=$ullr
	for b in B02 B03 B04 B08; do
		cog "$work/$b.asc" "$dir/$b.tif" UInt16 AVERAGE
	done
	cog "$work/SCL.asc" "$dir/SCL.tif" Byte NEAREST
	gdalbuildvrt -q -separate "$work/visual.vrt" "$work/V1.asc" "$work/V2.asc" "$work/V3.asc"
	cog "$work/visual.vrt" "$dir/visual.tif" Byte AVERAGE -colorinterp red,green,blue
	gdal_translate -q "$dir/visual.tif" "$dir/preview.png" -of PNG -outsize 32 32 -r average -a_nodata none
	local zone=${mgrs:0:2} band=${mgrs:2:1} square=${mgrs:3:2}
	cat >"$dir/metadata.json" <<JSON
{
  "id": "$product",
  "datetime": "$datetime",
  "platform": "$platform",
  "constellation": "sentinel-2",
  "instruments": ["msi"],
  "eo:cloud_cover": $cc,
  "s2:nodata_pixel_percentage": $nd,
  "s2:product_type": "S2MSI2A",
  "s2:processing_baseline": "$baseline",
  "s2:generation_time": "$generated",
  "s2:mgrs_tile": "$mgrs",
  "mgrs:utm_zone": $((10#$zone)),
  "mgrs:latitude_band": "$band",
  "mgrs:grid_square": "$square",
  "sat:relative_orbit": $orbit,
  "sat:orbit_state": "descending",
  "proj:code": "$epsg",
  "processing:level": "L2A"
}
JSON
}

# Two dates of the Sentinel-2 tile T31TEJ (Montpellier, the Mediterranean in the south-east).
# Tile footprint: UTM 31N x 499980..609780, y 4790220..4900020 (109.8 km), 64 px of 1715.625 m.
s2 S2B_MSIL2A_20240615T103629_N0510_R008_T31TEJ_20240615T135412 EPSG:32631 "499980 4900020 609780 4790220" \
	2024-06-15T10:36:29.024Z sentinel-2b 05.10 8 31TEJ 2024-06-15T13:54:12Z \
	1 "16 35 2408" "0 0 0" "12,14,5;40,30,4"
s2 S2A_MSIL2A_20240620T103631_N0510_R008_T31TEJ_20240620T170512 EPSG:32631 "499980 4900020 609780 4790220" \
	2024-06-20T10:36:31.025Z sentinel-2a 05.10 8 31TEJ 2024-06-20T17:05:12Z \
	2 "16 35 2408" "4 1 40" "30,20,9;50,8,6;20,44,4"
# Southern hemisphere: tile T23KPQ (Rio de Janeiro, the Atlantic in the south).
# Tile footprint: UTM 23S x 599980..709780, y 7390220..7500020.
s2 S2A_MSIL2A_20240712T130251_N0510_R095_T23KPQ_20240712T183012 EPSG:32723 "599980 7500020 709780 7390220" \
	2024-07-12T13:02:51.024Z sentinel-2a 05.10 95 23KPQ 2024-07-12T18:30:12Z \
	3 "1 20 500" "0 0 0" "52,12,3"

# One SPOT-6 pan-sharpened (PMS) ortho product in Lambert-93 around Montpellier:
# x 745000..805000, y 6250000..6310000 (60 km), 64 px of 937.5 m; bands R, G, B, NIR (12-bit DN).
spot_product=SPOT6_2023-07-12_PMS
spot_dir="$SPOT/$spot_product"
work="$TMP/spot"
mkdir -p "$spot_dir" "$work"
stats=$(awk -v kind=spot -v n=64 -v dir="$work" -v seed=5 -v sea="20 49 3051" -v wedge="0 0 0" \
	-v clouds="44,40,3" -f "$TMP/scene.awk")
spot_cc=${stats% *}
gdalbuildvrt -q -separate "$work/spot.vrt" "$work/R.asc" "$work/G.asc" "$work/B.asc" "$work/N.asc"
SRS=EPSG:2154 ULLR="745000 6310000 805000 6250000"
cog "$work/spot.vrt" "$spot_dir/IMG_SPOT6_PMS_202307121034_ORT_R1C1.tif" UInt16 AVERAGE -colorinterp red,green,blue,undefined
cat >"$spot_dir/metadata.json" <<JSON
{
  "id": "$spot_product",
  "datetime": "2023-07-12T10:34:21.5Z",
  "platform": "spot-6",
  "constellation": "spot",
  "instruments": ["naomi"],
  "eo:cloud_cover": $spot_cc,
  "view:incidence_angle": 12.4,
  "view:azimuth": 187.3,
  "view:sun_elevation": 64.1,
  "view:sun_azimuth": 148.9,
  "processing:level": "ORT",
  "spot:product_type": "PMS",
  "spot:bands": ["red", "green", "blue", "nir"],
  "proj:code": "EPSG:2154"
}
JSON

# Ground truth: gdalinfo -json of every .tif, run from data/ so paths are relative.
# The "stac" block's proj:wkt2 and proj:projjson repeat coordinateSystem.wkt and
# are dropped to keep the files small (python3 standard library only).
strip_json='import json, sys
d = json.load(sys.stdin)
for k in ("proj:wkt2", "proj:projjson"):
    d.get("stac", {}).pop(k, None)
json.dump(d, sys.stdout, indent=2)
sys.stdout.write("\n")'
(cd data && find . -name '*.tif' | sort) | while read -r f; do
	f=${f#./}
	mkdir -p "$GT/$(dirname "$f")"
	(cd data && gdalinfo -json "$f") | python3 -c "$strip_json" >"$GT/$f.json"
done

echo "make-data.sh: wrote $(find data -type f | wc -l) files ($(du -sk data | cut -f1) KB) into $(pwd)/data" >&2
