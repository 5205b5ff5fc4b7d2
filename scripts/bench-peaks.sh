#!/usr/bin/env bash
# Times `downhill peaks` on a whole SRTM1-sized tile (the target: under 2 s on
# 2 cores), against peers in the same run:
#   info       `downhill info` on the same tile: reading the file alone;
#   srtm3      `downhill peaks` on the SRTM3 tile it was made from (9 x fewer samples).
# The SRTM1-sized tile (3601 x 3601) is N52W007.hgt resampled 3 x, written as a
# real SRTM1 .hgt: by gdal_translate (cubic) when GDAL is installed, else by
# the bilinear resampler below (pure Python, about a minute). Bilinear
# resampling rounded to whole metres leaves many flats, which the sweep must
# handle as plateaus and flat cols.
# Prints the median wall time of RUNS runs of each command (load, sweep,
# isolation, naming, table), the ratios, and the summit counts.
#
# Usage: scripts/bench-peaks.sh [RUNS]   (default 5; builds --release first)
set -euo pipefail
RUNS=${1:-5}
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=target/release/downhill
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/srtm1"

if command -v gdal_translate >/dev/null; then
  how="gdal_translate -r cubic"
  gdal_translate -q -of SRTMHGT -outsize 3601 3601 -r cubic data/N52W007.hgt "$WORK/srtm1/N52W007.hgt"
else
  how="bilinear (Python)"
  python3 - data/N52W007.hgt "$WORK/srtm1/N52W007.hgt" <<'PY'
import array, sys
src = array.array("h"); src.frombytes(open(sys.argv[1], "rb").read()); src.byteswap()
n = 1201
out = array.array("h")
for r in range(3601):
    i, fr = divmod(r, 3); i2 = min(i + 1, n - 1); wr = fr / 3
    a = src[i * n:(i + 1) * n]; b = src[i2 * n:(i2 + 1) * n]
    row = [a[k] * (1 - wr) + b[k] * wr for k in range(n)]
    for c in range(3601):
        j, fc = divmod(c, 3); j2 = min(j + 1, n - 1); wc = fc / 3
        out.append(round(row[j] * (1 - wc) + row[j2] * wc))
out.byteswap()
open(sys.argv[2], "wb").write(out.tobytes())
PY
fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# command... ; prints the median wall time and the median CPU time (user +
# system, all threads) in seconds: on a machine others load, CPU time says
# what the work costs and wall time what it took.
time_runs() {
  local t="$WORK/time"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U %S" -o "$t" "$@" >/dev/null 2>&1
    cat "$t"
  done >"$WORK/times"
  echo "$(awk '{print $1}' "$WORK/times" | median) $(awk '{print $2 + $3}' "$WORK/times" | median)"
}

tile1="$WORK/srtm1/N52W007.hgt"
echo "SRTM1-sized tile by $how; $(nproc) cores; $RUNS runs each (median)"
peaks1=$(time_runs "$BIN" -q peaks "$tile1")
peaks1_all=$(time_runs "$BIN" -q peaks "$tile1" --min-prominence 0)
info1=$(time_runs "$BIN" -q info "$tile1")
peaks3=$(time_runs "$BIN" -q peaks data/N52W007.hgt)
count1=$("$BIN" -q peaks "$tile1" | tail -n +2 | wc -l)
count1_all=$("$BIN" -q peaks "$tile1" --min-prominence 0 | tail -n +2 | wc -l)
count3=$("$BIN" -q peaks data/N52W007.hgt | tail -n +2 | wc -l)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-44s %8s %8s %9s\n" command "wall s" "CPU s" summits
row() { printf "%-44s %8.3f %8.3f %9s\n" "$1" $2 "$3"; }
row "peaks SRTM1 (--min-prominence 30, default)" "$peaks1" "$count1"
row "peaks SRTM1 --min-prominence 0" "$peaks1_all" "$count1_all"
row "info SRTM1 (read the file only)" "$info1" "-"
row "peaks SRTM3 (1201 x 1201)" "$peaks3" "$count3"
ratio() { echo "$1 / $2" | bc -l | cut -c1-5; }
set -- $peaks1; p1w=$1; p1c=$2
set -- $info1; i1w=$1; i1c=$2
set -- $peaks3; p3w=$1; p3c=$2
echo "ratio peaks SRTM1 / info SRTM1:  wall $(ratio "$p1w" "$i1w"), CPU $(ratio "$p1c" "$i1c")"
echo "ratio peaks SRTM1 / peaks SRTM3: wall $(ratio "$p1w" "$p3w"), CPU $(ratio "$p1c" "$p3c")"
