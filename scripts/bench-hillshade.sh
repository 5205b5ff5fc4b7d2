#!/usr/bin/env bash
# Times `downhill hillshade` (PNG) against `gdaldem hillshade -compute_edges`
# (uncompressed GeoTIFF, its fastest output) on the same inputs, in one run.
# Inputs, each read by both tools:
#   srtm3      the SRTM3 tile N52W007.hgt (1201 x 1201, geographic);
#   srtm1      a synthesised SRTM1 tile (3601 x 3601, cubic resampling, written
#              as a real SRTM1 .hgt);
#   utm90      N52W007 warped to UTM 29N at 90 m (uncompressed GeoTIFF);
#   utm-srtm1  the SRTM1-sized tile warped to UTM 29N at 30 m (about 2300 x
#              3700, uncompressed GeoTIFF): SRTM1-sized, square metre pixels.
# downhill writes PNG (-o X.png) and GeoTIFF (-o X.tif, tiled deflate).
# The three commands of an input run in turns, one run each per round, so
# that a shared machine's changes of speed reach them alike.
# Prints a markdown table: the median wall and CPU seconds (user + sys, from
# scripts/timed.py: the child's rusage, to the microsecond, since GNU time's
# hundredths are too coarse for runs of 10-100 ms) of RUNS runs of each, peak memory (max RSS), the ratios
# gdaldem / downhill per CPU second and per wall second, and the share of
# pixels within one grey level of gdaldem's. On the UTM inputs both
# tools compute the same thing, so that share must be >= 0.999; on geographic
# tiles gdaldem needs -s and uses one scale for the whole tile while downhill
# uses each row's true metres, so the share there measures that difference.
#
# Usage: scripts/bench-hillshade.sh [RUNS] [--readme]   (default 7; builds --release first)
#   --readme  also rewrites the README's table between the markers
#             <!-- bench-hillshade:begin --> and <!-- bench-hillshade:end -->.
# Benchmarks never run in `cargo test` or CI.
set -euo pipefail
RUNS=${1:-7}
README=${2:-}
cd "$(dirname "$0")/.."
command -v gdaldem >/dev/null || { echo "gdaldem is not installed (apt-get install gdal-bin)" >&2; exit 1; }
cargo build --release --quiet
BIN=target/release/downhill
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/srtm3" "$WORK/srtm1" "$WORK/utm90" "$WORK/utm-srtm1"
cp data/N52W007.hgt "$WORK/srtm3/N52W007.hgt"
# SRTM1-sized: 3601 x 3601 big-endian Int16 under a tile name, so both tools read it as SRTM1.
gdal_translate -q -of SRTMHGT -outsize 3601 3601 -r cubic data/N52W007.hgt "$WORK/srtm1/N52W007.hgt"
gdalwarp -q -t_srs EPSG:32629 -tr 90 90 -r bilinear -ot Float32 data/N52W007.hgt "$WORK/utm90/dem.tif"
gdalwarp -q -t_srs EPSG:32629 -tr 30 30 -r bilinear -ot Float32 "$WORK/srtm1/N52W007.hgt" "$WORK/utm-srtm1/dem.tif"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# summary FILE: "median-wall median-cpu max-rss-MiB" of the runs timed into FILE
summary() {
  echo "$(awk '{print $1}' "$1" | median) $(awk '{print $2 + $3}' "$1" | median) $(awk 'BEGIN {m = 0} $4 > m {m = $4} END {printf "%d", m / 1024}' "$1")"
}
# once FILE command...: times one run of the command, appending to FILE
once() {
  local f=$1; shift
  scripts/timed.py -o "$f.one" "$@" >/dev/null 2>&1
  cat "$f.one" >> "$f"
}

TABLE="$WORK/table.md"
{
echo "| input | size | output | downhill wall s | downhill CPU s | MiB | gdaldem wall s | gdaldem CPU s | MiB | x per CPU s | x wall | pixels within 1 grey |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for kind in srtm3 srtm1 utm90 utm-srtm1; do
  case $kind in
    utm*) hgt="$WORK/$kind/dem.tif"; scale=() ;;
    *) hgt="$WORK/$kind/N52W007.hgt"; scale=(-s 111120) ;;
  esac
  size=$(gdalinfo "$hgt" | awk '/^Size is/ {print $3 $4}' | tr ',' 'x')
  # gdaldem and downhill's two outputs in turns, one run each per round,
  # so that all three meet the same phases of a shared machine.
  gd_times=$(mktemp -p "$WORK"); png_times=$(mktemp -p "$WORK"); tif_times=$(mktemp -p "$WORK")
  for _ in $(seq "$RUNS"); do
    once "$gd_times" gdaldem hillshade -q -compute_edges "${scale[@]}" -of GTiff "$hgt" "$WORK/$kind/gd.tif"
    once "$png_times" "$BIN" -q hillshade "$hgt" -o "$WORK/$kind/dh.png" --per-sample --force
    once "$tif_times" "$BIN" -q hillshade "$hgt" -o "$WORK/$kind/dh.tif" --per-sample --force
  done
  read -r gw gc gm < <(summary "$gd_times")
  for ext in png tif; do
    if [ "$ext" = png ]; then times=$png_times; else times=$tif_times; fi
    read -r dw dc dm < <(summary "$times")
    agree=$(python3 - "$WORK/$kind/dh.$ext" "$WORK/$kind/gd.tif" <<'PY' 2>/dev/null || echo "n/a"
import sys, subprocess
def raw(p):
    out = p + ".raw"
    subprocess.run(["gdal_translate", "-q", "-of", "ENVI", "-ot", "Byte", p, out], check=True)
    return open(out, "rb").read()
a, b = raw(sys.argv[1]), raw(sys.argv[2])
print(f"{sum(abs(x - y) <= 1 for x, y in zip(a, b)) / len(a):.4f}")
PY
)
    printf "| %s | %s | %s | %.3f | %.3f | %s | %.3f | %.3f | %s | %.2f | %.2f | %s |\n" "$kind" "$size" "$ext" "$dw" "$dc" "$dm" "$gw" "$gc" "$gm" \
      "$(echo "$gc / $dc" | bc -l)" "$(echo "$gw / $dw" | bc -l)" "$agree"
  done
done
echo
echo "($RUNS runs each, gdaldem and downhill in turns, medians; gdaldem writes uncompressed GeoTIFF; $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg) at the end; $(gdalinfo --version); command: scripts/bench-hillshade.sh $RUNS)"
} | tee "$TABLE"

if [ "$README" = "--readme" ]; then
  python3 - README.md "$TABLE" <<'PY'
import sys, re
readme, table = open(sys.argv[1]).read(), open(sys.argv[2]).read()
begin, end = "<!-- bench-hillshade:begin -->", "<!-- bench-hillshade:end -->"
if begin not in readme or end not in readme:
    sys.exit("README.md has no bench-hillshade markers")
head, rest = readme.split(begin, 1)
_, tail = rest.split(end, 1)
open(sys.argv[1], "w").write(head + begin + "\n" + table.rstrip() + "\n" + end + tail)
PY
  echo "README.md's hillshade table rewritten" >&2
fi
