#!/usr/bin/env bash
# Two downhill binaries side by side, in one run, with GRASS r.watershed
# beside them: how much an optimisation saves, per CPU second.
#
#   scripts/bench-before-after.sh BEFORE AFTER [RUNS]
#
# BEFORE and AFTER are release binaries (e.g. build the base commit and
# copy target/release/downhill away first). Each measurement alternates the
# two binaries RUNS times (default 3) and prints every run's user + sys CPU
# seconds, wall seconds and peak MiB from /usr/bin/time, then the medians:
#   - basins --agent gd --fill on the SRTM3 tile N52W007 (every cell);
#   - basins --agent momentum --stride 8 on the same tile (full simulations),
#     with steps per CPU second;
#   - hillshade of an SRTM1-sized .hgt (N52W007 resampled to 3601 x 3601 by
#     gdal_translate -r cubic) to PNG and to GeoTIFF;
#   - GRASS r.watershed -s threshold=1000 on the SRTM3 tile (only the
#     r.watershed call timed, as scripts/bench-basins.sh does), if installed.
# It also checks that the two binaries' outputs say the same thing
# (scripts/same_output.py: the same bytes, or for PNGs and the viewer page
# the same pixels, whatever the compression).
# CPU seconds survive a shared machine; wall seconds do not.
# Benchmarks never run in `cargo test` or CI.
set -euo pipefail
BEFORE=$(realpath "$1")
AFTER=$(realpath "$2")
RUNS=${3:-3}
cd "$(dirname "$0")/.."
TILE=$PWD/data/N52W007.hgt
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/srtm1"
gdal_translate -q -of SRTMHGT -outsize 3601 3601 -r cubic "$TILE" "$WORK/srtm1/N52W007.hgt"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# one LABEL command...: appends "LABEL cpu wall MiB" to $WORK/times
one() {
    local label=$1; shift
    /usr/bin/time -f "%U %S %e %M" -o "$WORK/t" "$@" > "$WORK/last.json"
    read -r user sys wall rss < "$WORK/t"
    echo "$label $(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}') $wall $((rss / 1024))" | tee -a "$WORK/times"
}
: > "$WORK/times"
for i in $(seq "$RUNS"); do
    for b in before after; do
        bin=$BEFORE; [ $b = after ] && bin=$AFTER
        rm -rf "$WORK/gd-$b"
        one "gd-fill-srtm3-$b" "$bin" basins "$TILE" --agent gd --fill --out "$WORK/gd-$b" \
            --max-total-steps 100000000000 --json --quiet
        rm -rf "$WORK/mo-$b"
        one "momentum8-srtm3-$b" "$bin" basins "$TILE" --agent momentum --stride 8 --out "$WORK/mo-$b" \
            --max-total-steps 100000000000 --json --quiet
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["steps"])' "$WORK/last.json" > "$WORK/steps-$b"
        one "hillshade-png-srtm1-$b" "$bin" -q hillshade "$WORK/srtm1/N52W007.hgt" -o "$WORK/h-$b.png" --per-sample --force
        one "hillshade-tif-srtm1-$b" "$bin" -q hillshade "$WORK/srtm1/N52W007.hgt" -o "$WORK/h-$b.tif" --per-sample --force
    done
done
if command -v grass >/dev/null; then
    cat > "$WORK/grass.sh" <<'GRASSEOF'
#!/usr/bin/env bash
set -euo pipefail
r.in.gdal -o --quiet --overwrite input="$1" output=dem
g.region raster=dem
for i in $(seq "$3"); do
    /usr/bin/time -f "%U %S %e %M" -o "$2.$i" r.watershed -s --quiet --overwrite \
        elevation=dem accumulation=acc drainage=dir basin=basin threshold=1000
done
GRASSEOF
    chmod +x "$WORK/grass.sh"
    if grass --tmp-location EPSG:4326 --exec "$WORK/grass.sh" "$TILE" "$WORK/grass" "$RUNS" >/dev/null 2>&1; then
        for i in $(seq "$RUNS"); do
            read -r user sys wall rss < "$WORK/grass.$i"
            echo "r.watershed-srtm3 $(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}') $wall $((rss / 1024))" | tee -a "$WORK/times"
        done
    else
        echo "note: r.watershed failed"
    fi
else
    echo "note: GRASS is not installed (apt-get install grass-core); r.watershed is skipped"
fi

for f in "$WORK"/gd-before/*; do
    scripts/same_output.py "$f" "$WORK/gd-after/$(basename "$f")" || echo "DIFFERENT: gd --fill $(basename "$f")"
done
for f in "$WORK"/mo-before/*; do
    scripts/same_output.py "$f" "$WORK/mo-after/$(basename "$f")" || echo "DIFFERENT: momentum $(basename "$f")"
done
scripts/same_output.py "$WORK/h-before.png" "$WORK/h-after.png" || echo "DIFFERENT: hillshade PNG"
echo
echo "| run | median CPU s | median wall s | peak MiB |"
echo "|---|---|---|---|"
for label in $(awk '{print $1}' "$WORK/times" | awk '!seen[$0]++'); do
    cpu=$(awk -v l="$label" '$1 == l {print $2}' "$WORK/times" | median)
    wall=$(awk -v l="$label" '$1 == l {print $3}' "$WORK/times" | median)
    mib=$(awk -v l="$label" '$1 == l && $4 > m {m = $4} END {print m}' "$WORK/times")
    echo "| $label | $cpu | $wall | $mib |"
done
for b in before after; do
    steps=$(cat "$WORK/steps-$b")
    cpu=$(awk -v l="momentum8-srtm3-$b" '$1 == l {print $2}' "$WORK/times" | median)
    echo "momentum --stride 8 ($b): $steps steps, $(echo "$steps / $cpu / 1000000" | bc -l | cut -c1-5) M steps per CPU s (whole command)"
done
echo "($RUNS runs each, medians; $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg) at the end)"
