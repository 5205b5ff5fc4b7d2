#!/usr/bin/env bash
# Two builds of downhill side by side on the basins benchmark's runs, to
# show that a change costs no speed:
#
#   scripts/bench-before-after.sh OLD_BINARY NEW_BINARY [REPEATS]
#
# e.g. build the commit before a change in a worktree
#   git worktree add /tmp/base <commit> && (cd /tmp/base && cargo build --release)
#   scripts/bench-before-after.sh /tmp/base/target/release/downhill target/release/downhill 3
#
# Runs, on the bundled SRTM3 tile N52W007 (1.44 M cells), `basins --agent
# gd --fill` (every cell) and `basins --agent momentum --stride 4` (full
# simulations), alternating old and new REPEATS times (default 3) so that
# load from other jobs falls on both alike. Reports the median CPU seconds
# (user + sys, /usr/bin/time) of each, their ratio, and checks that the
# two builds' basins.tif hold the same basin ids (GDAL's band checksum,
# `gdalinfo -checksum`, when gdal-bin is installed; else byte for byte).
# Never part of `cargo test` or CI.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?old binary}
NEW=${2:?new binary}
REPEATS=${3:-3}
TILE=data/N52W007.hgt
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
declare -A RUNS=(
    [gd-fill]="--agent gd --fill"
    [momentum-stride4]="--agent momentum --stride 4"
)
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf '| run | old CPU s (median of %s) | new CPU s | new/old | basins.tif |\n|---|---|---|---|---|\n' "$REPEATS"
for name in gd-fill momentum-stride4; do
    : > "$OUT/old.cpu"
    : > "$OUT/new.cpu"
    for i in $(seq "$REPEATS"); do
        for which in old new; do
            bin=$OLD
            [ "$which" = new ] && bin=$NEW
            # shellcheck disable=SC2086
            /usr/bin/time -f '%U %S' -o "$OUT/t" "$bin" --quiet basins "$TILE" ${RUNS[$name]} \
                --out "$OUT/$which-$name" --force --no-html >/dev/null
            awk '{print $1 + $2}' "$OUT/t" >> "$OUT/$which.cpu"
        done
    done
    o=$(median < "$OUT/old.cpu")
    n=$(median < "$OUT/new.cpu")
    same=differ
    if command -v gdalinfo >/dev/null 2>&1; then
        a=$(gdalinfo -checksum "$OUT/old-$name/basins.tif" | grep -o 'Checksum=[0-9]*')
        b=$(gdalinfo -checksum "$OUT/new-$name/basins.tif" | grep -o 'Checksum=[0-9]*')
        [ "$a" = "$b" ] && same="same ids ($a)"
    elif cmp -s "$OUT/old-$name/basins.tif" "$OUT/new-$name/basins.tif"; then
        same=identical
    fi
    printf '| %s | %.2f | %.2f | %.2f | %s |\n' "$name" "$o" "$n" "$(echo "$n / $o" | bc -l)" "$same"
done
