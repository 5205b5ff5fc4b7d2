#!/usr/bin/env bash
# How the rolling ball's end point on Mount Leinster depends on its physical
# parameters: friction (1/s) x time step (s). Prints one row per pair.
# Usage: scripts/ball-sensitivity.sh   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/downhill
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-6s %-9s %-10s %-8s %-10s %-10s\n' dt friction stop end_m end_lon end_lat
for dt in 0.5 1 2; do
  for g in 0.005 0.0075 0.01 0.0125 0.015 0.02 0.05 0.1; do
    "$bin" --quiet drop data/N52W007.hgt --peak "Mount Leinster" --agent momentum \
      --dt "$dt" --friction "$g" --json --out "$out" --force |
      python3 -c '
import json, sys
r = json.load(sys.stdin)[0]
e = r["end"]
print(f"{sys.argv[1]:<6} {sys.argv[2]:<9} {r[\"stop_reason\"]:<10} {e[\"elevation\"]:<8.1f} {e[\"lon\"]:<10.4f} {e[\"lat\"]:<10.4f}")
' "$dt" "$g"
  done
done
