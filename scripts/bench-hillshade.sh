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
# Prints the median of RUNS runs of each, the ratio gdaldem / downhill, and the
# share of pixels within one grey level of gdaldem's. On the UTM inputs both
# tools compute the same thing, so that share must be >= 0.999; on geographic
# tiles gdaldem needs -s and uses one scale for the whole tile while downhill
# uses each row's true metres, so the share there measures that difference.
#
# Usage: scripts/bench-hillshade.sh [RUNS]   (default 7; builds --release first)
set -euo pipefail
RUNS=${1:-7}
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
time_runs() { # command... ; prints the median wall time in seconds
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
  done | median
}

printf "%-10s %-11s %12s %12s %8s %s\n" input size "downhill s" "gdaldem s" ratio "pixels within 1 grey"
for kind in srtm3 srtm1 utm90 utm-srtm1; do
  case $kind in
    utm*) hgt="$WORK/$kind/dem.tif"; scale=() ;;
    *) hgt="$WORK/$kind/N52W007.hgt"; scale=(-s 111120) ;;
  esac
  size=$(gdalinfo "$hgt" | awk '/^Size is/ {print $3 $4}' | tr ',' 'x')
  dh=$(time_runs "$BIN" -q hillshade "$hgt" -o "$WORK/$kind/dh.png" --per-sample)
  gd=$(time_runs gdaldem hillshade -q -compute_edges "${scale[@]}" -of GTiff "$hgt" "$WORK/$kind/gd.tif")
  agree=$(python3 - "$WORK/$kind/dh.png" "$WORK/$kind/gd.tif" <<'PY' 2>/dev/null || echo "n/a"
import sys, subprocess
def raw(p):
    out = p + ".raw"
    subprocess.run(["gdal_translate", "-q", "-of", "ENVI", "-ot", "Byte", p, out], check=True)
    return open(out, "rb").read()
a, b = raw(sys.argv[1]), raw(sys.argv[2])
print(f"{sum(abs(x - y) <= 1 for x, y in zip(a, b)) / len(a):.4f}")
PY
)
  printf "%-10s %-11s %12.3f %12.3f %8.2f %s\n" "$kind" "$size" "$dh" "$gd" "$(echo "$gd / $dh" | bc -l)" "$agree"
done
echo "($RUNS runs each, medians; $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg) at the end; $(gdalinfo --version))"
