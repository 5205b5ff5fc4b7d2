#!/usr/bin/env bash
# Scale benchmark of `downhill basins --tiled` (not part of cargo test or CI).
#
# Builds a synthetic N x N mosaic of SRTM tiles from the bundled Provence
# tiles, mirrored so that neighbouring tiles share identical edges, upsampled
# 3x to SRTM1 size with SIZE=srtm1; then times, with peak RSS:
#   1. the in-memory `basins --fill` and the tiled run on a PEER x PEER
#      corner of it (both can hold it): cells per second, ratio;
#   2. the tiled run on the whole N x N mosaic;
#   3. strong scaling of the MPI engine (when mpirun is installed): the
#      tiled run on the STRONG x STRONG corner under `mpirun -n 1, 2, 4`
#      (built with --features mpi; past the machine's cores the ranks are
#      oversubscribed, as the output says): wall seconds, speedup against
#      n = 1, and the largest peak RSS of any rank (summary.json). Each
#      rank runs RANK_THREADS rayon threads (default 1, so that n ranks use
#      n cores; with more, n = 1 already uses every core).
#
# Usage: scripts/bench-scale.sh [N (default 6)] [PEER (default 2)]
#   SIZE=srtm1|srtm3 (default srtm1)  WORK=dir (default target/bench-scale)
#   STRONG=S (default 3, at most N)   ONLY=strong (only part 3)
#   RANK_THREADS=T (default 1)        ONLY=scale (parts 1 and 2, no MPI)
# Disk: N*N tiles of 26 MB (SRTM1) or 2.9 MB (SRTM3), plus the outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-6}
PEER=${2:-2}
SIZE=${SIZE:-srtm1}
WORK=${WORK:-target/bench-scale}
STRONG=${STRONG:-3}
ONLY=${ONLY:-all}
mkdir -p "$WORK/tiles"
if [ "$ONLY" = strong ]; then
  cargo build --release --quiet --features mpi
else
  cargo build --release --quiet
fi
BIN=target/release/downhill

python3 - "$N" "$SIZE" "$WORK/tiles" <<'PY'
import sys, os, array
n, size, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def load(name):
    a = array.array('h'); a.frombytes(open(f"data/{name}", "rb").read()); a.byteswap()
    return [a[r*1201:(r+1)*1201] for r in range(1201)]
src = [load("N43E006.hgt"), load("N43E007.hgt")]
for i in range(n):          # rows of tiles, north to south
    for j in range(n):      # columns, west to east
        t = src[(i + j) % 2]
        rows = t if i % 2 == 0 else t[::-1]
        rows = [r if j % 2 == 0 else r[::-1] for r in rows]
        if size == "srtm1":
            m = 3601
            rows = [[rows[r // 3][c // 3] for c in range(m)] for r in range(m)]
        lat, lon = 43 + n - 1 - i, 6 + j
        name = os.path.join(out, f"N{lat:02d}E{lon:03d}.hgt")
        if os.path.exists(name):
            continue
        a = array.array('h', [v for r in rows for v in r]); a.byteswap()
        open(name, "wb").write(a.tobytes())
PY
# Mirroring makes shared edges identical only for mirrored pairs; the
# mosaic keeps the later tile's edge sample either way.

measure() { # label, command...: wall seconds and peak RSS (MiB) of the command
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" >/dev/null
  read -r secs kib < "$WORK/time.txt"
  echo "$label $secs $((kib / 1024))"
}
peer=()
for i in $(seq 0 $((PEER - 1))); do for j in $(seq 0 $((PEER - 1))); do
  peer+=("$WORK/tiles/$(printf 'N%02dE%03d.hgt' $((43 + N - 1 - i)) $((6 + j)))")
done; done
cells() { "$BIN" -q info "$@" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["width"]*d["height"])'; }
PEER_CELLS=$(cells "${peer[@]}")
if [ "$ONLY" != strong ]; then
  echo "# label seconds peak_rss_mib (cells: peer $PEER_CELLS)"
  measure "in-memory-${PEER}x${PEER}" "$BIN" -q basins "${peer[@]}" --fill --no-sea --no-html --max-total-steps 100000000000 --out "$WORK/mem" --force --json
  measure "tiled-${PEER}x${PEER}" "$BIN" -q basins "${peer[@]}" --fill --no-sea --tiled --max-total-steps 100000000000 --out "$WORK/tiled-peer" --force --json
  measure "tiled-${N}x${N}" "$BIN" -q basins "$WORK/tiles" --fill --no-sea --tiled --max-total-steps 100000000000 --out "$WORK/tiled-all" --force --json
  python3 -c "import json; d=json.load(open('$WORK/tiled-all/summary.json')); print('# whole mosaic:', d['height'], 'x', d['width'], 'cells;', d['tiles'], 'tiles;', d['fill_rounds'], 'fill rounds;', d['fill_block_floods'], 'block floods; merge', round(d['merge_seconds'], 3), 's; peak RSS', round(d['peak_rss_mib']), 'MiB')"
fi

# 3. Strong scaling of the MPI engine.
[ "$ONLY" != scale ] || exit 0
if ! command -v mpirun >/dev/null 2>&1; then
  echo "# strong scaling skipped: mpirun not found (apt-get install openmpi-bin libopenmpi-dev libclang-dev)"
  exit 0
fi
[ "$ONLY" = strong ] || cargo build --release --quiet --features mpi
corner=()
for i in $(seq 0 $((STRONG - 1))); do for j in $(seq 0 $((STRONG - 1))); do
  corner+=("$WORK/tiles/$(printf 'N%02dE%03d.hgt' $((43 + N - 1 - i)) $((6 + j)))")
done; done
CORES=$(nproc)
RANK_THREADS=${RANK_THREADS:-1}
echo "# strong scaling: basins --tiled on ${STRONG}x${STRONG} tiles ($(cells "${corner[@]}") cells), $CORES cores, $RANK_THREADS rayon thread(s) per rank; ranks x threads beyond $CORES are oversubscribed"
echo "# ranks wall_s speedup peak_rss_mib_max_rank"
T1=""
for n in 1 2 4; do
  /usr/bin/time -f "%e" -o "$WORK/time.txt" \
    mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -n "$n" -x RAYON_NUM_THREADS="$RANK_THREADS" \
    "$BIN" -q basins "${corner[@]}" --fill --no-sea --tiled --out "$WORK/mpi-$n" --force --json >/dev/null
  secs=$(tail -n 1 "$WORK/time.txt")
  [ -n "$T1" ] || T1=$secs
  peak=$(python3 -c "import json; d=json.load(open('$WORK/mpi-$n/summary.json')); assert d['ranks'] == $n; print(round(d['peak_rss_mib']))")
  over=""; [ $((n * RANK_THREADS)) -le "$CORES" ] || over=" (oversubscribed)"
  echo "$n $secs $(python3 -c "print(f'{$T1 / $secs:.2f}')") $peak$over"
done
