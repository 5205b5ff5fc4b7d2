#!/usr/bin/env bash
# Writes the map viewer's index.html for four runs (the demo, basins with
# --fill on N52W007, raw basins on N43E007, raw basins on an SRTM1-sized
# grid made from N52W007 by gdal_translate) and opens each in headless
# Chromium: prints its size, when the viewer was ready and when the relief
# was drawn (milliseconds after navigation, as the page measures them),
# and checks the console and the requests. Needs chromium, chromedriver
# and (for the SRTM1-sized grid) gdal_translate.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/viewer-pages
mkdir -p "$OUT"
cargo build --release --quiet
./target/release/downhill -q demo --out "$OUT/demo" --force >/dev/null
./target/release/downhill -q basins data/N52W007.hgt --fill --out "$OUT/basins-fill" --force >/dev/null
./target/release/downhill -q basins data/N43E007.hgt --out "$OUT/basins-raw" --force >/dev/null
pages=("$OUT/demo" "$OUT/basins-fill" "$OUT/basins-raw")
if command -v gdal_translate >/dev/null 2>&1; then
    mkdir -p "$OUT/srtm1"
    [ -f "$OUT/srtm1/N52W007.hgt" ] || gdal_translate -q -of SRTMHGT -outsize 3601 3601 -r bilinear \
        data/N52W007.hgt "$OUT/srtm1/N52W007.hgt" 2>/dev/null
    ./target/release/downhill -q basins "$OUT/srtm1/N52W007.hgt" --out "$OUT/basins-srtm1" --force >/dev/null
    pages+=("$OUT/basins-srtm1")
fi
for dir in "${pages[@]}"; do
    VIEWER_PAGE="$dir/index.html" cargo test --quiet --test viewer_browser any_page_opens_offline \
        -- --ignored --nocapture 2>&1 | grep -E "bytes|SKIPPED|panicked" || true
    cp target/viewer-screenshots/page.png "$dir/screenshot.png" 2>/dev/null || true
done
