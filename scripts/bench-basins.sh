#!/usr/bin/env bash
# Benchmark `downhill basins` beside its peers, in the same run.
#
#   scripts/bench-basins.sh [NUMPY_BUDGET_SECONDS]
#
# Runs, on the bundled SRTM3 tile N52W007 (1201 x 1201 = 1.44 M samples,
# 37 % of them sea) and on a synthesised SRTM1-sized grid (3601 x 3601 =
# 13 M starts, the same tile upsampled bilinearly):
#   - downhill basins --agent gd --fill (every cell), and --agent momentum
#     (every 4th row and column on SRTM3: momentum starts run in full);
#     gd --fill also on the bundled N43E006 ("srtm3-provence": the hills
#     of Provence, 23 % sea, 1.1 M starts, long valley floors), where the gd
#     shortcut's walkers wait on each other more than on the coast, and on
#     a land-only grid made from it ("srtm3-land", below: 1.44 M starts),
#     and that grid with 25 flat lakes ("srtm3-lakes", below: SRTM's lakes
#     are flat water surfaces, as in glaciated uplands);
#   - a vectorised NumPy gd walker (every 4th cell, stopped after the budget);
#   - pysheds' Priority-Flood + D8 (fill, flats, directions, accumulation),
#     if it installs offline into target/bench-venv; timed twice in one
#     process, the second (warm: numba's kernels compiled) compared against;
#   - GRASS `r.watershed -s` (least-cost A* search, D8 directions,
#     accumulation and basins; Debian `grass-core`) on the grids
#     gd --fill runs on, in a temporary
#     location (grass --tmp-location EPSG:4326 --exec ...); only the
#     r.watershed call is timed, not the import.
# Ends with markdown tables of downhill's runs (with the walk's own steps
# per second from the JSON, both cores) and of downhill against the peers;
# with --readme as the second argument it also rewrites the README block
# between <!-- bench-basins:begin --> and <!-- bench-basins:end -->.
# Benchmarks never run in `cargo test` or CI.
# Rates are per CPU second (user + sys from /usr/bin/time), so they stay
# comparable when other jobs share the machine; wall seconds and peak memory
# (max RSS) are printed too. Each downhill run and each r.watershed call
# runs BENCH_RUNS times (default 3) and the one with the least CPU time is
# kept, the same rule for both (the machine's swings are larger than the
# differences measured); downhill gd --fill and r.watershed take turns,
# one run each, so that both meet the machine's slow and fast phases alike.
# The NumPy and pysheds peers run once.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${1:-30}
README=${2:-}
RUNS=${BENCH_RUNS:-3}
OUT=target/bench-basins
VENV=target/bench-venv
mkdir -p "$OUT/srtm1"
cargo build --release --quiet
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q "numpy>=2.0.2,<2.4" >/dev/null 2>&1 || echo "note: numpy did not install; the NumPy peer is skipped"
"$VENV/bin/pip" install -q pysheds >/dev/null 2>&1 || echo "note: pysheds did not install; the D8 peer is skipped"
PY="$VENV/bin/python"

# The SRTM1-sized grid: N52W007 upsampled x3 (bilinear), written as an SRTM1 .hgt.
SRTM1="$OUT/srtm1/N52W007.hgt"
if [ ! -f "$SRTM1" ]; then
    "$PY" - "$SRTM1" <<'PYEOF'
import sys, numpy as np
z = np.fromfile("data/N52W007.hgt", dtype=">i2").reshape(1201, 1201).astype(np.float64)
t = np.linspace(0, 1200, 3601)
i0 = np.minimum(t.astype(int), 1199); f = t - i0
rows = z[i0] * (1 - f)[:, None] + z[i0 + 1] * f[:, None]
up = rows[:, i0] * (1 - f)[None, :] + rows[:, i0 + 1] * f[None, :]
np.round(up).astype(">i2").tofile(sys.argv[1])
PYEOF
fi

# A land-only SRTM3-sized grid (1201 x 1201, 0.5 % sea): the northern
# half of N43E006 (the Provence hills, 43.5-44 N) above its own mirror
# image, so that no coast or sea shortens the work as on the bundled tiles:
# every cell is a start. Named N44E006 (it is not that tile: synthetic).
LAND="$OUT/land/N44E006.hgt"
if [ ! -f "$LAND" ]; then
    mkdir -p "$OUT/land"
    "$PY" - "$LAND" <<'PYEOF'
import sys, numpy as np
z = np.fromfile("data/N43E006.hgt", dtype=">i2").reshape(1201, 1201)
top = z[:601]
np.concatenate([top, top[-2::-1]], axis=0).astype(">i2").tofile(sys.argv[1])
PYEOF
fi

# The land-only grid with 25 flat lakes: in each of 25 windows of 40-119
# cells (a fixed seed), the lowest third of the cells set to the window's
# lowest height. Named N44E006 as well (synthetic).
LAKES="$OUT/lakes/N44E006.hgt"
if [ ! -f "$LAKES" ]; then
    mkdir -p "$OUT/lakes"
    "$PY" - "$LAND" "$LAKES" <<'PYEOF'
import sys, numpy as np
z = np.fromfile(sys.argv[1], dtype=">i2").reshape(1201, 1201).copy()
rng = np.random.default_rng(7)
for _ in range(25):
    r, c = rng.integers(50, 1051, size=2)
    w = int(rng.integers(40, 120))
    win = z[r:r + w, c:c + w]
    win[win <= np.percentile(win, 100 / 3, method="lower")] = win.min()
z.astype(">i2").tofile(sys.argv[2])
PYEOF
fi

# best NAME TIMEFILE...: records in times.txt the wall s, CPU s and max RSS
# MiB of the /usr/bin/time file with the least CPU time; prints its index.
best() {
    local name=$1; shift
    local k=0 best_k=0 best_cpu="" line=""
    for f in "$@"; do
        read -r wall user sys rss < "$f"
        local cpu
        cpu=$(echo "$user + $sys" | bc)
        if [ -z "$best_cpu" ] || [ "$(echo "$cpu < $best_cpu" | bc)" = 1 ]; then
            best_cpu=$cpu best_k=$k line="$name $wall $cpu $((rss / 1024))"
        fi
        k=$((k + 1))
    done
    echo "$line" >> "$OUT/times.txt"
    echo "$best_k"
}

# run NAME -- command...: BENCH_RUNS runs; keeps the times and the JSON of
# the one with the least CPU time.
run() {
    local name=$1; shift
    for k in $(seq 0 $((RUNS - 1))); do
        run_once "$name" "$k" "$@"
    done
    keep_best "$name"
}

# run_once NAME K -- command...: run K of NAME.
run_once() {
    local name=$1 k=$2; shift 2
    /usr/bin/time -f "%e %U %S %M" -o "$OUT/$name.time.$k" "$@" > "$OUT/$name.json.$k"
}

# keep_best NAME: records the run of NAME with the least CPU time, keeps its JSON.
keep_best() {
    local name=$1 files=() k
    for k in $(seq 0 $((RUNS - 1))); do files+=("$OUT/$name.time.$k"); done
    k=$(best "$name" "${files[@]}")
    mv "$OUT/$name.json.$k" "$OUT/$name.json"
}

# once NAME -- command...: one run (the slow peers, which time themselves).
once() {
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$OUT/$name.time" "$@" > "$OUT/$name.json"
    best "$name" "$OUT/$name.time" >/dev/null
}
: > "$OUT/times.txt"
run momentum-srtm3 ./target/release/downhill basins data/N52W007.hgt --agent momentum --stride 4 --out "$OUT/momentum-srtm3" --max-total-steps 100000000000 --json --quiet
run momentum-srtm1 ./target/release/downhill basins "$SRTM1" --agent momentum --stride 12 --out "$OUT/momentum-srtm1" --max-total-steps 100000000000 --json --quiet
# GRASS r.watershed: import, then time the watershed analysis alone.
cat > "$OUT/grass-watershed.sh" <<'GRASSEOF'
#!/usr/bin/env bash
set -euo pipefail
r.in.gdal -o --quiet --overwrite input="$1" output=dem
g.region raster=dem
for k in $(seq 0 $(($3 - 1))); do
    /usr/bin/time -f "%e %U %S %M" -o "$2.$k" r.watershed -s --quiet --overwrite \
        elevation=dem accumulation=acc drainage=dir basin=basin threshold=1000
done
GRASSEOF
chmod +x "$OUT/grass-watershed.sh"
# grass_once NAME DEM K: run K of r.watershed on DEM (false if it failed).
grass_once() {
    grass --tmp-location EPSG:4326 --exec "$PWD/$OUT/grass-watershed.sh" "$(realpath "$2")" \
        "$PWD/$OUT/$1.time.$3.run" 1 >/dev/null 2>&1 &&
        mv "$OUT/$1.time.$3.run.0" "$OUT/$1.time.$3"
}
# versus GRID DEM: downhill gd --fill and r.watershed on DEM, BENCH_RUNS
# rounds of one run each, alternated, so that both meet the shared
# machine in the same phases; each keeps its run with the least CPU time.
versus() {
    local grid=$1 dem=$2 grass=yes
    if ! command -v grass >/dev/null; then
        echo "note: GRASS is not installed (apt-get install grass-core); r.watershed is skipped"
        grass=no
    fi
    for k in $(seq 0 $((RUNS - 1))); do
        run_once "gd-$grid" "$k" ./target/release/downhill basins "$dem" --agent gd --fill \
            --out "$OUT/gd-$grid" --max-total-steps 100000000000 --json --quiet
        if [ "$grass" = yes ] && ! grass_once "grass-$grid" "$dem" "$k"; then
            echo "note: r.watershed failed on $dem"
            grass=failed
        fi
    done
    keep_best "gd-$grid"
    if [ "$grass" = yes ]; then
        local files=()
        for k in $(seq 0 $((RUNS - 1))); do files+=("$OUT/grass-$grid.time.$k"); done
        best "grass-$grid" "${files[@]}" >/dev/null
    fi
}
versus srtm3 data/N52W007.hgt
versus srtm3-provence data/N43E006.hgt
versus srtm3-land "$LAND"
versus srtm3-lakes "$LAKES"
versus srtm1 "$SRTM1"
once peers-srtm3 "$PY" scripts/bench_basins_peers.py data/N52W007.hgt 52 4 "$BUDGET"
once peers-srtm1 "$PY" scripts/bench_basins_peers.py "$SRTM1" 52 12 "$BUDGET"

"$PY" - "$OUT" <<'PYEOF'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
times = {l.split()[0]: [float(x) for x in l.split()[1:]] for l in (out / "times.txt").read_text().splitlines()}
print(f"{'run':<16} {'starts':>9} {'steps':>12} {'wall s':>7} {'cpu s':>7} {'MiB':>6} {'starts/cpu-s':>13} {'steps/cpu-s':>12}")
rate = {}
for name in ["gd-srtm3", "gd-srtm3-provence", "gd-srtm3-land", "gd-srtm3-lakes", "momentum-srtm3", "gd-srtm1", "momentum-srtm1"]:
    d = json.loads((out / f"{name}.json").read_text())
    wall, cpu, mib = times[name]
    rate[name] = (d["starts"] / cpu, d["steps"] / cpu)
    print(f"{name:<16} {d['starts']:>9} {d['steps']:>12} {wall:>7.1f} {cpu:>7.1f} {mib:>6.0f} {rate[name][0]:>13.0f} {rate[name][1]:>12.3e}")
for grid in ["srtm3", "srtm1"]:
    for line in (out / f"peers-{grid}.json").read_text().splitlines():
        p = json.loads(line)
        if "error" in p:
            print(f"{p['peer']}-{grid}: did not run: {p['error']}")
        elif p["peer"] == "numpy-walker":
            sr, st = p["finished"] / p["seconds"], p["steps"] / p["seconds"]
            print(f"numpy-walker-{grid}: {p['starts']} starts, {p['finished']} finished, {p['steps']} steps in {p['seconds']:.1f} s (1 core): "
                  f"{sr:.0f} finished starts/s, {st:.3e} steps/s; downhill gd per core: x{rate['gd-'+grid][1]/st:.1f} steps/s, "
                  f"x{rate['gd-'+grid][0]/max(sr,1e-9):.0f} starts/s")
        else:
            cells_per_s = p["cells"] / p["seconds"]
            print(f"pysheds-d8-{grid}: {p['cells']} cells in {p['seconds']:.1f} s warm ({p['cold_seconds']:.1f} s cold, numba compiling) (1 core): {cells_per_s:.0f} cells/s; "
                  f"downhill gd --fill per core: x{rate['gd-'+grid][0]/cells_per_s:.2f} cells/s")
for grid in ["srtm3", "srtm3-provence", "srtm3-land", "srtm3-lakes", "srtm1"]:
    g = times.get("grass-" + grid)
    if g:
        wall, cpu, mib = g
        print(f"grass-r.watershed-{grid}: {wall:.1f} s wall, {cpu:.1f} CPU s, {mib:.0f} MiB; downhill gd --fill: "
              f"x{cpu / times['gd-' + grid][1]:.2f} per CPU s, x{wall / times['gd-' + grid][0]:.2f} wall")

# The README block: downhill's runs, then gd --fill against r.watershed
# (both timed by /usr/bin/time), then the other peers.
table = ["| run | starts | steps | wall s | CPU s | peak MiB | starts / CPU s | steps / CPU s | walk steps / s (2 cores) |",
         "|---|---|---|---|---|---|---|---|---|"]
for name in ["gd-srtm3", "gd-srtm3-provence", "gd-srtm3-land", "gd-srtm3-lakes", "momentum-srtm3", "gd-srtm1", "momentum-srtm1"]:
    d = json.loads((out / f"{name}.json").read_text())
    wall, cpu, mib = times[name]
    table.append(f"| {name} | {d['starts']:,} | {d['steps']:,} | {wall:.2f} | {cpu:.2f} | {mib:.0f} | "
                 f"{d['starts'] / cpu:,.0f} | {d['steps'] / cpu:.3e} | {d['steps_per_second']:.3e} |")
table.append("")
table += ["| grid | run | wall s | CPU s | peak MiB | r.watershed / downhill per CPU s | per wall s |", "|---|---|---|---|---|---|---|"]
for grid in ["srtm3", "srtm3-provence", "srtm3-land", "srtm3-lakes", "srtm1"]:
    d = times["gd-" + grid]
    g = times.get("grass-" + grid)
    table.append(f"| {grid} | downhill basins --agent gd --fill | {d[0]:.2f} | {d[1]:.2f} | {d[2]:.0f} | "
                 + (f"{g[1] / d[1]:.2f} | {g[0] / d[0]:.2f} |" if g else "r.watershed did not run | |"))
    if g:
        table.append(f"| {grid} | GRASS r.watershed -s threshold=1000 | {g[0]:.2f} | {g[1]:.2f} | {g[2]:.0f} | 1 | 1 |")
table.append("")
for grid in ["srtm3", "srtm1"]:
    for line in (out / f"peers-{grid}.json").read_text().splitlines():
        p = json.loads(line)
        if "error" in p:
            table.append(f"- {p['peer']} on {grid}: did not run ({p['error']})")
        elif p["peer"] == "numpy-walker":
            st = p["steps"] / p["seconds"]
            table.append(f"- NumPy gd walker on {grid} (1 core, stopped after {p['seconds']:.1f} s): {st:.3e} steps/s; "
                         f"downhill gd {rate['gd-' + grid][1] / st:.1f}x per CPU s")
        else:
            cells = p["cells"] / p["seconds"]
            table.append(f"- pysheds Priority-Flood + D8 on {grid} (1 core, warm): {p['seconds']:.1f} s, {cells:,.0f} cells/s; "
                         f"downhill gd --fill {rate['gd-' + grid][0] / cells:.2f}x per CPU s")
load = open("/proc/loadavg").read().split()[:3]
table.append("")
table.append(f"(scripts/bench-basins.sh; {__import__('os').cpu_count()} cores; downhill and r.watershed best of {__import__('os').environ.get('BENCH_RUNS', '3')} runs by CPU time; load average {' '.join(load)} at the end)")
(out / "table.md").write_text("\n".join(table) + "\n")
print()
print("\n".join(table))
PYEOF

if [ "$README" = "--readme" ]; then
    python3 - README.md "$OUT/table.md" <<'PY'
import sys
readme, table = open(sys.argv[1]).read(), open(sys.argv[2]).read()
begin, end = "<!-- bench-basins:begin -->", "<!-- bench-basins:end -->"
if begin not in readme or end not in readme:
    sys.exit("README.md has no bench-basins markers")
head, rest = readme.split(begin, 1)
_, tail = rest.split(end, 1)
open(sys.argv[1], "w").write(head + begin + "\n" + table.rstrip() + "\n" + end + tail)
PY
    echo "README.md's basins table rewritten" >&2
fi
