#!/usr/bin/env bash
# Fuzzes every reader of untrusted input for MINUTES minutes each (wall
# time), JOBS targets at a time, and prints executions and findings per
# target.
#
#   scripts/fuzz.sh MINUTES [JOBS [TARGET...]]   e.g. scripts/fuzz.sh 30 2
#
# Needs the nightly toolchain (`rustup toolchain install nightly`) and
# cargo-fuzz (`cargo install cargo-fuzz`). Targets (fuzz/fuzz_targets/):
# hgt_zip, geotiff, gazetteer_csv, gazetteer_geojson, formula, osm_xml,
# osm_pbf. Seeds are
# written by fuzz/make_seeds.py into fuzz/seeds/ (from the bundled tiles
# and hand-made TIFFs); the growing corpus lives in fuzz/corpus/, findings
# in fuzz/artifacts/TARGET/, logs in fuzz/logs/TARGET.log (all three
# ignored by git). libFuzzer runs in fork mode so that one finding does not
# end the run: every crash, timeout (10 s) and out-of-memory (2 GiB) is
# kept and counted. The fuzzers run under `nice -n 19`.
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES=${1:?usage: scripts/fuzz.sh MINUTES [JOBS [TARGET...]]}
JOBS=${2:-2}
TARGETS=(hgt_zip geotiff gazetteer_csv gazetteer_geojson formula osm_xml osm_pbf)
if [ $# -gt 2 ]; then
  TARGETS=("${@:3}")
fi
SECONDS_EACH=$((MINUTES * 60))

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2; exit 2; }
python3 fuzz/make_seeds.py
cargo +nightly fuzz build -O >/dev/null

run_one() {
  local t=$1
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t" fuzz/logs
  nice -n 19 cargo +nightly fuzz run -O "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -artifact_prefix="fuzz/artifacts/$t/" >"fuzz/logs/$t.log" 2>&1 || true
}

running=0
for t in "${TARGETS[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

printf '| target | minutes | executions | crashes | timeouts | out-of-memory | artifacts |\n'
printf '|---|---|---|---|---|---|---|\n'
for t in "${TARGETS[@]}"; do
  log="fuzz/logs/$t.log"
  # Fork mode's status lines: "#N: cov: ... oom/timeout/crash: O/T/C time: S ..."
  last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
  execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
  otc=$(grep -oE 'oom/timeout/crash: [0-9]+/[0-9]+/[0-9]+' <<<"$last" | awk '{print $2}')
  IFS=/ read -r ooms timeouts crashes <<<"${otc:-?/?/?}"
  artifacts=$(find "fuzz/artifacts/$t" -type f | wc -l)
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$MINUTES" "${execs:-?}" "$crashes" "$timeouts" "$ooms" "$artifacts"
done
