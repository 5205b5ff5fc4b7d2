#!/usr/bin/env bash
# Times `downhill hillshade` (PNG) against `gdaldem hillshade -compute_edges`
# (uncompressed GeoTIFF, its fastest output) on the same inputs, in one run:
# an SRTM3 tile (1201 x 1201) and a synthesised SRTM1-sized one (3601 x 3601,
# cubic resampling of the SRTM3 tile written as a real SRTM1 .hgt).
# Prints the median of RUNS runs of each and the ratio gdaldem / downhill,
# and checks that both outputs agree within one grey level.
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

mkdir -p "$WORK/srtm3" "$WORK/srtm1"
cp data/N52W007.hgt "$WORK/srtm3/N52W007.hgt"
# SRTM1-sized: 3601 x 3601 big-endian Int16 under a tile name, so both tools read it as SRTM1.
gdal_translate -q -of SRTMHGT -outsize 3601 3601 -r cubic data/N52W007.hgt "$WORK/srtm1/N52W007.hgt"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
time_runs() { # command... ; prints the median wall time in seconds
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
  done | median
}

printf "%-8s %-11s %12s %12s %8s %s\n" input size "downhill s" "gdaldem s" ratio "pixels within 1 grey"
for kind in srtm3 srtm1; do
  hgt="$WORK/$kind/N52W007.hgt"
  size=$(gdalinfo "$hgt" | awk '/^Size is/ {print $3 $4}' | tr ',' 'x')
  # Geographic tiles: gdaldem needs -s (metres per degree) and uses one
  # scale for the whole tile; downhill uses each row's own spacing. The
  # agreement column therefore measures that difference, not an error.
  dh=$(time_runs "$BIN" -q hillshade "$hgt" -o "$WORK/$kind/dh.png")
  gd=$(time_runs gdaldem hillshade -q -compute_edges -s 111120 -of GTiff "$hgt" "$WORK/$kind/gd.tif")
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
  printf "%-8s %-11s %12.3f %12.3f %8.2f %s\n" "$kind" "$size" "$dh" "$gd" "$(echo "$gd / $dh" | bc -l)" "$agree"
done
echo "($RUNS runs each, medians; $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg) at the end; $(gdalinfo --version))"
