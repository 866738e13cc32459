#!/usr/bin/env bash
# Raster tiles and survey ingest, side by side with GDAL's own tools on the same files, in one run (issue #4):
#  1. ingest: ./geo surveys add (inspect, SHA-256 beside the conversion, COG JPEG + overviews, footprint, store) vs
#     gdal_translate -of COG with the same creation options; ROUNDS rounds alternating, best of each
#  2. seeding zooms 12-18: ./geo tiles seed --survey ID (2 workers; XYZ directory and MBTiles) vs
#     gdal2tiles.py --xyz --processes=2, both whole commands timed; then a pixel comparison (compare.py)
#  3. uncached tile latency: in process (thread CPU time and wall, per zoom; Geo.Benchmarks raster-tiles) and over HTTP
#     from the running service with the tile cache disabled (Geo__TileCacheBytes=0; latency.py). The service is first
#     warmed (JIT) on every tile of a *different* survey (the generated pair's epoch 2, its own COG), so the measured
#     tiles of epoch 1 still start from cold GDAL blocks: what a running server does for tiles nobody asked for yet.
# Usage: benchmarks/raster-tiles/run.sh [SIZE] [ROUNDS]   (default 8192 px at 0.1 m, 2 rounds)
# The machine is shared: read the ratios against the peer measured in the same run, and the load average printed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
size="${1:-8192}"; rounds="${2:-2}"
py=/usr/bin/python3   # Debian's python with python3-gdal (a pyenv python on PATH lacks osgeo)
work="$(mktemp -d /tmp/geo-raster-bench-XXXX)"
trap 'kill ${server:-0} 2>/dev/null || true; rm -rf "$work"' EXIT
./geo --help >/dev/null 2>&1 || true   # build once, outside the timings
dotnet build benchmarks/Geo.Benchmarks/Geo.Benchmarks.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
load() { echo "load $(cut -d' ' -f1-3 /proc/loadavg)"; }
now() { date +%s.%N; }
ratio() { echo "$1 / $2" | bc -l; }

echo "# machine: $(nproc) cores, $(load) at the start"
./geo surveys generate --out "$work/in" --size "$size" --gsd 0.1 --plain >/dev/null 2>&1
input="$work/in/epoch1.tif"
echo "input: $(du -h "$input" | cut -f1) plain tiled DEFLATE RGBA GeoTIFF, ${size}x${size} at 0.1 m, EPSG:4547"

best_peer=999999; best_ours=999999
for r in $(seq 1 "$rounds"); do
  rm -rf "$work/store" "$work/peer-cog.tif"; mkdir -p "$work/store"
  t0=$(now)
  gdal_translate -q -of COG -b 1 -b 2 -b 3 -mask 4 -co COMPRESS=JPEG -co QUALITY=90 -co BLOCKSIZE=512 \
    -co OVERVIEW_RESAMPLING=AVERAGE -co NUM_THREADS=ALL_CPUS -co BIGTIFF=IF_SAFER "$input" "$work/peer-cog.tif"
  t1=$(now)
  ./geo surveys add "$input" --name bench --date 2026-04-12 --store "$work/store/geo.gpkg" > "$work/add.out" 2>/dev/null
  t2=$(now)
  peer=$(echo "$t1 - $t0" | bc -l); ours=$(echo "$t2 - $t1" | bc -l)
  printf '  ingest round %d: gdal_translate -of COG %.2f s | geo surveys add %.2f s | %s\n' "$r" "$peer" "$ours" "$(load)"
  best_peer=$(echo "if ($peer < $best_peer) $peer else $best_peer" | bc -l); best_ours=$(echo "if ($ours < $best_ours) $ours else $best_ours" | bc -l)
done
printf 'INGEST (best of %d): gdal_translate -of COG %.2f s | geo surveys add %.2f s (process start, inspection, SHA-256, COG, footprint, store) | speed ratio geo/peer %.2fx\n' \
  "$rounds" "$best_peer" "$best_ours" "$(ratio "$best_peer" "$best_ours")"
id=$(cut -f1 "$work/add.out")
cog="$work/store/surveys/$id.tif"

t0=$(now)
gdal2tiles.py -q --xyz --processes=2 -z 12-18 "$cog" "$work/g2t" >/dev/null 2>&1
t1=$(now)
./geo tiles seed --survey "$id" --store "$work/store/geo.gpkg" --zooms 12-18 --out "$work/ours" --format png --workers 2 > "$work/seed.out" 2>/dev/null
t2=$(now)
./geo tiles seed --survey "$id" --store "$work/store/geo.gpkg" --zooms 12-18 --out "$work/ours.mbtiles" --format png --workers 2 > "$work/seed2.out" 2>/dev/null
t3=$(now)
n_peer=$(find "$work/g2t" -name '*.png' | wc -l); n_ours=$(find "$work/ours" -name '*.png' | wc -l)
peer=$(echo "$t1 - $t0" | bc -l); ours=$(echo "$t2 - $t1" | bc -l); mb=$(echo "$t3 - $t2" | bc -l)
printf 'SEED z12-18 (whole commands): gdal2tiles.py --processes=2 %d tiles %.2f s (%.1f tiles/s) | geo tiles seed %d tiles %.2f s (%.1f tiles/s; MBTiles %.2f s) | speed-up %.1fx | %s\n' \
  "$n_peer" "$peer" "$(ratio "$n_peer" "$peer")" "$n_ours" "$ours" "$(ratio "$n_ours" "$ours")" "$mb" "$(ratio "$peer" "$ours")" "$(load)"
echo "  geo's own count: $(cat "$work/seed.out")"
$py benchmarks/raster-tiles/compare.py "$work/g2t" "$work/ours" || true
gdalinfo "$work/ours.mbtiles" | grep -E "^Driver|ZOOM_LEVEL|minzoom|maxzoom|bounds" | sed 's/^/  mbtiles: /'

echo "TILE LATENCY in process (one thread, no tile cache; cpu = the thread's CPU time, wall includes waiting for a core):"
dotnet benchmarks/Geo.Benchmarks/bin/Release/net10.0/Geo.Benchmarks.dll raster-tiles "$cog" 60 | sed 's/^/  /'
dotnet benchmarks/Geo.Benchmarks/bin/Release/net10.0/Geo.Benchmarks.dll raster-tiles "$cog" 60 jpg | grep -E "z1[5-8]" | sed 's/^/  /'

./geo surveys add "$work/in/epoch2.tif" --name warm --date 2026-05-20 --store "$work/store/geo.gpkg" > "$work/add2.out" 2>/dev/null
warm_id=$(cut -f1 "$work/add2.out")
port=$((20000 + RANDOM % 20000))
Geo__TileCacheBytes=0 ./geo serve --store "$work/store/geo.gpkg" --urls "http://127.0.0.1:$port" >/dev/null 2>&1 & server=$!
for _ in $(seq 1 240); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$port/api/v1/surveys/$id/tiles/18/0/0.png" >/dev/null || true   # first request: opens the dataset pool
$py benchmarks/raster-tiles/latency.py "http://127.0.0.1:$port" "$warm_id" > "$work/warm.out"   # JIT warm-up on the other survey
echo "  (warm-up on survey $warm_id, not measured: $(tail -1 "$work/warm.out"))"
echo "TILE LATENCY over HTTP (tile cache disabled), $(load):"
$py benchmarks/raster-tiles/latency.py "http://127.0.0.1:$port" "$id"
echo "# $(load) at the end"
