#!/usr/bin/env bash
# Builds a 3 x 3 mosaic of synthetic SRTM1 tiles (117 M samples) and checks
# that loading it peaks below 1 GiB of resident memory (VmHWM).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --test dem_mosaic_memory -- --ignored --nocapture "$@"
