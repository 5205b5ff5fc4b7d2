#!/usr/bin/env bash
# Benchmark `downhill basins` beside its peers, in the same run.
#
#   scripts/bench-basins.sh [NUMPY_BUDGET_SECONDS]
#
# Runs, on the bundled SRTM3 tile N52W007 (1201 x 1201 = 1.44 M starts) and
# on a synthesised SRTM1-sized grid (3601 x 3601 = 13 M starts, the same
# tile upsampled bilinearly):
#   - downhill basins --agent gd --fill (every cell), and --agent momentum
#     (every 4th row and column on SRTM3: momentum starts run in full);
#   - a vectorised NumPy gd walker (every 4th cell, stopped after the budget);
#   - pysheds' Priority-Flood + D8 (fill, flats, directions, accumulation),
#     if it installs offline into target/bench-venv; timed twice in one
#     process, the second (warm: numba's kernels compiled) compared against.
# Rates are per CPU second (user + sys from /usr/bin/time), so they stay
# comparable when other jobs share the machine; wall seconds and peak memory
# (max RSS) are printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${1:-30}
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

# run NAME -- command...: prints wall s, cpu s, max RSS MiB, and keeps the JSON.
run() {
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$OUT/$name.time" "$@" > "$OUT/$name.json"
    read -r wall user sys rss < "$OUT/$name.time"
    echo "$name $wall $(echo "$user + $sys" | bc) $((rss / 1024))" >> "$OUT/times.txt"
}
: > "$OUT/times.txt"
run gd-srtm3 ./target/release/downhill basins data/N52W007.hgt --agent gd --fill --out "$OUT/gd-srtm3" --max-total-steps 100000000000 --json --quiet
run momentum-srtm3 ./target/release/downhill basins data/N52W007.hgt --agent momentum --stride 4 --out "$OUT/momentum-srtm3" --max-total-steps 100000000000 --json --quiet
run gd-srtm1 ./target/release/downhill basins "$SRTM1" --agent gd --fill --out "$OUT/gd-srtm1" --max-total-steps 100000000000 --json --quiet
run momentum-srtm1 ./target/release/downhill basins "$SRTM1" --agent momentum --stride 12 --out "$OUT/momentum-srtm1" --max-total-steps 100000000000 --json --quiet
run peers-srtm3 "$PY" scripts/bench_basins_peers.py data/N52W007.hgt 52 4 "$BUDGET"
run peers-srtm1 "$PY" scripts/bench_basins_peers.py "$SRTM1" 52 12 "$BUDGET"

"$PY" - "$OUT" <<'PYEOF'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
times = {l.split()[0]: [float(x) for x in l.split()[1:]] for l in (out / "times.txt").read_text().splitlines()}
print(f"{'run':<16} {'starts':>9} {'steps':>12} {'wall s':>7} {'cpu s':>7} {'MiB':>6} {'starts/cpu-s':>13} {'steps/cpu-s':>12}")
rate = {}
for name in ["gd-srtm3", "momentum-srtm3", "gd-srtm1", "momentum-srtm1"]:
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
PYEOF
