#!/usr/bin/env bash
# Raster tiles and survey ingest, side by side with GDAL's own tools on the same files (issue #4):
#  1. ingest (./geo surveys add: inspect, SHA-256, COG JPEG + overviews, footprint, store) vs gdal_translate -of COG
#  2. seeding zooms 12-18 (./geo tiles seed, 2 workers) vs gdal2tiles.py --xyz --processes=2, plus a pixel comparison
#  3. uncached tile latency over HTTP at overview zooms (every request a different tile; p50/p99)
# Usage: benchmarks/raster-tiles/run.sh [SIZE]   (default 8192: a synthetic 8192 x 8192 orthophoto at 0.1 m)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
size="${1:-8192}"
work="$(mktemp -d /tmp/geo-raster-bench-XXXX)"
trap 'kill ${server:-0} 2>/dev/null || true; rm -rf "$work"' EXIT
./geo --help >/dev/null 2>&1 || true   # build once, outside the timings

echo "# machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (shared with other builds: ratios matter, not absolutes)"
./geo surveys generate --out "$work/in" --size "$size" --gsd 0.1 --plain >/dev/null 2>&1
input="$work/in/epoch1.tif"
echo "input: $(du -h "$input" | cut -f1) plain tiled DEFLATE RGBA GeoTIFF, ${size}x${size}"

t0=$(date +%s.%N)
gdal_translate -q -of COG -b 1 -b 2 -b 3 -mask 4 -co COMPRESS=JPEG -co QUALITY=90 -co BLOCKSIZE=512 \
  -co OVERVIEW_RESAMPLING=AVERAGE -co NUM_THREADS=ALL_CPUS -co BIGTIFF=IF_SAFER "$input" "$work/peer-cog.tif"
t1=$(date +%s.%N)
./geo surveys add "$input" --name bench --date 2026-04-12 --store "$work/geo.gpkg" > "$work/add.out" 2>/dev/null
t2=$(date +%s.%N)
peer=$(echo "$t1 - $t0" | bc -l); ours=$(echo "$t2 - $t1" | bc -l)
printf 'ingest: gdal_translate -of COG %.2f s | geo surveys add %.2f s (incl. process start, SHA-256, footprint, store) | ratio peer/ours %.2f\n' "$peer" "$ours" "$(echo "$peer / $ours" | bc -l)"
id=$(cut -f1 "$work/add.out")
cog="$work/geo.gpkg"; cog="$work/surveys/$id.tif"

t0=$(date +%s.%N)
gdal2tiles.py -q --xyz --processes=2 -z 12-18 "$cog" "$work/g2t" >/dev/null 2>&1
t1=$(date +%s.%N)
./geo tiles seed --file "$cog" --zooms 12-18 --out "$work/ours" --format png --workers 2 > "$work/seed.out" 2>/dev/null
t2=$(date +%s.%N)
n_peer=$(find "$work/g2t" -name '*.png' | wc -l); n_ours=$(find "$work/ours" -name '*.png' | wc -l)
peer=$(echo "$t1 - $t0" | bc -l); ours=$(echo "$t2 - $t1" | bc -l)
printf 'seed z12-18: gdal2tiles.py --processes=2 %d tiles %.2f s (%.0f tiles/s) | geo tiles seed %d tiles %.2f s (%.0f tiles/s) | speed-up %.1fx\n' \
  "$n_peer" "$peer" "$(echo "$n_peer / $peer" | bc -l)" "$n_ours" "$ours" "$(echo "$n_ours / $ours" | bc -l)" "$(echo "($n_ours / $ours) / ($n_peer / $peer)" | bc -l)"
python3 benchmarks/raster-tiles/compare.py "$work/g2t" "$work/ours"

port=$((20000 + RANDOM % 20000))
./geo serve --store "$work/geo.gpkg" --urls "http://127.0.0.1:$port" >/dev/null 2>&1 & server=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
python3 benchmarks/raster-tiles/latency.py "http://127.0.0.1:$port" "$id"
