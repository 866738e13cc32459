#!/usr/bin/env bash
# Vector tiles (MVT), uncached, one thread each, side by side on this machine, same data, same tiles:
#   ours: Geo.Tiles' encoder over the in-memory layer data (benchmarks/Geo.Benchmarks `vector-tiles`);
#   peer: PostgreSQL 15 + PostGIS 3.3 ST_AsMVT(ST_AsMVTGeom(...)) over a GiST-indexed EPSG:3857 table, one backend,
#         no parallel workers, the same extent (4096), buffer (64) and attributes.
# Data: 500,000 synthetic point components (uniform over the sample city, fixed seed), every zoom-16 tile covering
# them; the 27 sample grids over every tile of zooms 12-16. Both sides' feature counts per tile are compared.
# Over HTTP (issue #6): the same points are put into the service's own PostGIS schema (`geo store migrate`, sample
# grids by `geo samples load`, the points by SQL into `components`), `geo serve` runs on that database, and one
# client fetches every tile of the list once, one after the other on one keep-alive connection (uncached: the
# service's vector tile cache is off; a warm-up list of other tiles and one untimed pass over the list first build the
# layer data and bring the JIT to steady state); in each round, right after, the peers over the very table the service
# reads (EPSG:4490, transformed per row, the same attributes code/class/major/status): one ST_AsMVT statement per tile
# from psql on one connection (a tile server's round trip per tile, like our HTTP client's), and all tiles in one
# statement.
# Usage: benchmarks/vector-tiles/run.sh [points] [rounds]     (prints a markdown table)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
points="${1:-500000}"; rounds="${2:-3}"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
cd "$root"
scripts/ensure-deps.sh test
work="$(mktemp -d /tmp/geo-vtbench-XXXXXX)"
chmod 755 "$work"
pgport=55441; port=5098
cleanup() {
  [[ -n "${geo_pid:-}" ]] && kill "$geo_pid" 2>/dev/null || true
  if [[ -d "$work/pg" ]]; then su postgres -c "pg_ctl -D $work/pg -m fast stop" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
id postgres >/dev/null 2>&1 || useradd -r -m postgres
export PATH="/usr/lib/postgresql/15/bin:$PATH"

# --- ours (also writes the points, the tile lists and our per-tile counts) ------------------------------------------
dotnet build benchmarks/Geo.Benchmarks/Geo.Benchmarks.csproj -c Release -nologo -v q -clp:ErrorsOnly >&2
dotnet benchmarks/Geo.Benchmarks/bin/Release/net10.0/Geo.Benchmarks.dll vector-tiles "$points" "$work/data" "$rounds" | tee "$work/ours.txt" >&2
ours_c=$(grep -o 'components_tiles_per_s=[0-9.]*' "$work/ours.txt" | cut -d= -f2)
ours_g=$(grep -o 'grids_tiles_per_s=[0-9.]*' "$work/ours.txt" | cut -d= -f2)
chmod -R a+rX "$work/data"

# --- the peer ----------------------------------------------------------------------------------------------------
mkdir -p "$work/pg" && chown postgres "$work/pg"
su postgres -c "PATH=$PATH initdb -D $work/pg -U postgres -A trust -E UTF8 --locale=C.UTF-8 -N" >/dev/null
su postgres -c "PATH=$PATH pg_ctl -D $work/pg -w -l $work/pg/log -o '-c listen_addresses=127.0.0.1 -p $pgport -k $work/pg -c fsync=off -c shared_buffers=512MB -c max_parallel_workers_per_gather=0 -c jit=off' start" >/dev/null
psql_() { psql -h 127.0.0.1 -p $pgport -U postgres -d bench -v ON_ERROR_STOP=1 -qAt "$@"; }
psql -h 127.0.0.1 -p $pgport -U postgres -qc "CREATE DATABASE bench" >/dev/null
psql_ -c "CREATE EXTENSION postgis" >/dev/null
psql_ <<SQL >/dev/null
CREATE TABLE comp_in (code text, class text, major text, lon float8, lat float8);
\copy comp_in FROM '$work/data/components.csv' CSV
CREATE TABLE comp AS SELECT code, class, major, ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3857) AS geom FROM comp_in;
CREATE INDEX ON comp USING gist (geom);
CREATE TABLE tiles_c (z int, x int, y int);
\copy tiles_c FROM '$work/data/tiles-components.csv' CSV
CREATE TABLE tiles_g (z int, x int, y int);
\copy tiles_g FROM '$work/data/tiles-grids.csv' CSV
VACUUM ANALYZE;
SQL
# The grids, from the sample GeoJSON (EPSG:4490 read as lon/lat), stored in EPSG:3857.
./geo samples generate --out "$work/samples" >/dev/null
ogr2ogr -f PostgreSQL "PG:host=127.0.0.1 port=$pgport user=postgres dbname=bench" "$work/samples/grids.geojson" \
  -nln grids_in -a_srs EPSG:4326 -t_srs EPSG:3857 -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -nlt POLYGON
psql_ -c "VACUUM ANALYZE grids_in" >/dev/null

tile_sql_c="SELECT sum(length(t)) FROM (SELECT (SELECT ST_AsMVT(q, 'components', 4096, 'geom') FROM (
  SELECT code, class, major, ST_AsMVTGeom(geom, ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom
  FROM comp WHERE geom && ST_TileEnvelope(z, x, y, margin => 64.0 / 4096)) q) AS t FROM tiles_c) s"
tile_sql_g="SELECT sum(length(t)) FROM (SELECT (SELECT ST_AsMVT(q, 'grids', 4096, 'geom') FROM (
  SELECT code, name, subdistrict, ST_AsMVTGeom(geom, ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom
  FROM grids_in WHERE geom && ST_TileEnvelope(z, x, y, margin => 64.0 / 4096)) q) AS t FROM tiles_g) s"
ntc=$(psql_ -c "SELECT count(*) FROM tiles_c"); ntg=$(psql_ -c "SELECT count(*) FROM tiles_g")
best_c=999999; best_g=999999
for r in $(seq 1 "$rounds"); do
  ms=$(psql_ -c '\timing on' -c "$tile_sql_c" | grep -o 'Time: [0-9.]*' | cut -d' ' -f2)
  echo "postgis components round $r: $ntc tiles in $ms ms" >&2
  best_c=$(python3 -c "print(min($best_c, $ms))")
  ms=$(psql_ -c '\timing on' -c "$tile_sql_g" | grep -o 'Time: [0-9.]*' | cut -d' ' -f2)
  echo "postgis grids round $r: $ntg tiles in $ms ms" >&2
  best_g=$(python3 -c "print(min($best_g, $ms))")
done
pg_c=$(python3 -c "print(round($ntc / ($best_c / 1000), 1))")
pg_g=$(python3 -c "print(round($ntg / ($best_g / 1000), 1))")

# --- same tiles? feature counts per tile ---------------------------------------------------------------------------
psql_ -c "SELECT z, x, y, (SELECT count(*) FROM comp WHERE geom && ST_TileEnvelope(z, x, y, margin => 64.0 / 4096)
  AND ST_AsMVTGeom(geom, ST_TileEnvelope(z, x, y), 4096, 64, true) IS NOT NULL) FROM tiles_c ORDER BY 1, 2, 3" -F, > "$work/pg-counts-c.csv"
python3 - "$work/data/counts-components.csv" "$work/pg-counts-c.csv" <<'PY' >&2
import sys
ours = {tuple(l.split(',')[:3]): int(l.split(',')[3]) for l in open(sys.argv[1]) if l.strip()}
pg = {tuple(l.split(',')[:3]): int(l.split(',')[3]) for l in open(sys.argv[2]) if l.strip()}
diff = sum(abs(ours[k] - pg.get(k, 0)) for k in ours)
print(f"features: ours {sum(ours.values())}, postgis {sum(pg.values())}, per-tile absolute difference {diff} over {len(ours)} tiles")
PY

# --- over HTTP: `geo serve` on a PostGIS store holding the same points ------------------------------------------------
geo_cs="postgres://postgres@127.0.0.1:$pgport/geostore"
psql -h 127.0.0.1 -p $pgport -U postgres -qc "CREATE DATABASE geostore" >/dev/null
psql -h 127.0.0.1 -p $pgport -U postgres -d geostore -qc "CREATE EXTENSION postgis" >/dev/null
./geo store migrate --store "$geo_cs" >&2
./geo samples load --dir "$work/samples" --store "$geo_cs" >&2
psql_g() { psql -h 127.0.0.1 -p $pgport -U postgres -d geostore -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_g <<SQL >/dev/null
DELETE FROM component_audit; DELETE FROM components; DELETE FROM census_imports;
CREATE TEMP TABLE comp_in (code text, class text, major text, lon float8, lat float8);
\copy comp_in FROM '$work/data/components.csv' CSV
INSERT INTO components (code, name, geom, grid_codes, status, first_recorded, last_changed, data_source, version)
  SELECT code, '', ST_SetSRID(ST_MakePoint(lon, lat), 4490), '{41048200100101}', '完好', DATE '2026-01-01', DATE '2026-01-01', '实测', 1 FROM comp_in;
UPDATE geo_revision SET revision = revision + 1;
VACUUM ANALYZE components;
SQL
# ST_AsMVT over the table the service reads (EPSG:4490, the service's attributes).
tile_sql_s="SELECT sum(length(t)) FROM (SELECT (SELECT ST_AsMVT(q, 'components', 4096, 'geom') FROM (
  SELECT code, class_code AS class, substr(class_code, 1, 2) AS major, status,
         ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom
  FROM components WHERE geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4490)) q) AS t FROM tiles_c) s"
psql_g -c "CREATE TABLE tiles_c (z int, x int, y int)" -c "\copy tiles_c FROM '$work/data/tiles-components.csv' CSV" >/dev/null
best_s=999999

# One client, one keep-alive connection: first every tile of a warm-up list (not timed), then every tile of the list
# once; prints tiles/s, the tiles' bytes and the time.
cat >"$work/fetch.py" <<'PY'
import http.client, sys, time
port, layer, tiles, warm = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
def get(z, x, y):
    c.request("GET", f"/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt")
    r = c.getresponse(); body = r.read()
    if r.status not in (200, 204): raise SystemExit(f"{layer} {z}/{x}/{y}: HTTP {r.status} {body[:200]!r}")
    return len(body)
read = lambda f: [tuple(map(int, l.split(","))) for l in open(f) if l.strip()]
for t in read(warm): get(*t)
lst = read(tiles)
t0 = time.perf_counter(); total = sum(get(*t) for t in lst); dt = time.perf_counter() - t0
print(f"{len(lst) / dt:.1f} {total} {dt * 1000:.1f}")
PY
# Warm-up lists, disjoint from the timed ones: the city's tiles at zooms 12-15 for the components (thinned points, the
# same encoder path), at zooms 8-11 for the grids. They build the layer data and warm the JIT.
python3 - "$work" <<'PY'
import math, sys
w, s, e, n = 112.8129, 34.1490, 112.8772, 34.1850
def tiles(z):
    def xy(lon, lat):
        k = 2 ** z; r = math.radians(lat)
        return int((lon + 180) / 360 * k), int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * k)
    (x0, y0), (x1, y1) = xy(w, n), xy(e, s)
    return [f"{z},{x},{y}" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
open(f"{sys.argv[1]}/warm-components.csv", "w").write("\n".join(t for z in range(12, 16) for t in tiles(z)) + "\n")
open(f"{sys.argv[1]}/warm-grids.csv", "w").write("\n".join(t for z in range(8, 12) for t in tiles(z)) + "\n")
PY
# Per-tile peers: one statement per tile, one after the other on one connection (psql), as a tile server in front of
# PostGIS asks it (the single-statement figures above have no per-tile round trip at all).
python3 - "$work" "$tile_sql_s" <<'PY'
import sys
w = sys.argv[1]
tiles = [l.strip() for l in open(f"{w}/data/tiles-components.csv") if l.strip()]
grids = [l.strip() for l in open(f"{w}/data/tiles-grids.csv") if l.strip()]
c = """SELECT length(ST_AsMVT(q, 'components', 4096, 'geom')) FROM (
  SELECT code, class_code AS class, substr(class_code, 1, 2) AS major, status,
         ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope({z}, {x}, {y}), 4096, 64, true) AS geom
  FROM components WHERE geom && ST_Transform(ST_TileEnvelope({z}, {x}, {y}, margin => 64.0 / 4096), 4490)) q;"""
g = """SELECT length(ST_AsMVT(q, 'grids', 4096, 'geom')) FROM (
  SELECT code, name, subdistrict, ST_AsMVTGeom(geom, ST_TileEnvelope({z}, {x}, {y}), 4096, 64, true) AS geom
  FROM grids_in WHERE geom && ST_TileEnvelope({z}, {x}, {y}, margin => 64.0 / 4096)) q;"""
def put(name, tmpl, lst):
    with open(f"{w}/{name}", "w") as f:
        for t in lst:
            z, x, y = t.split(",")
            f.write(tmpl.format(z=z, x=x, y=y) + "\n")
put("per-tile-c.sql", c, tiles)
put("per-tile-g.sql", g, grids)
PY
per_tile() { # database sql-file -> seconds
  local t0 t1
  t0=$(date +%s.%N)
  psql -h 127.0.0.1 -p $pgport -U postgres -d "$1" -v ON_ERROR_STOP=1 -qAt -f "$2" -o /dev/null
  t1=$(date +%s.%N)
  python3 -c "print($t1 - $t0)"
}

# One service for all rounds with the vector tile cache off (Geo__VectorTileCacheBytes=0): every request renders its
# tile from the layer data, as a cold tile does. Before the timed rounds, the warm-up lists and one untimed pass over
# the measured lists build the layer data and bring the JIT to steady state, as in a long-running service.
best_hc=0; best_hg=0; best_tc=0; best_tg=0
Geo__AnonymousRequestsPerSecond=10000000 Geo__VectorTileCacheBytes=0 ./geo serve --store "$geo_cs" --urls "http://127.0.0.1:$port" >"$work/geo.log" 2>&1 &
geo_pid=$!
for _ in $(seq 1 240); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.5; done
python3 "$work/fetch.py" $port components "$work/data/tiles-components.csv" "$work/warm-components.csv" >/dev/null
python3 "$work/fetch.py" $port grids "$work/data/tiles-grids.csv" "$work/warm-grids.csv" >/dev/null
: >"$work/empty.csv"
# One round of one layer: every tile over HTTP, then the same tiles as one ST_AsMVT statement each (per_tile);
# prints "http-tiles/s per-tile-statements-tiles/s".
round_pair() { # layer database sql-file tile-count round
  local rate bytes ms secs
  read -r rate bytes ms < <(python3 "$work/fetch.py" $port "$1" "$work/data/tiles-$1.csv" "$work/empty.csv")
  secs=$(per_tile "$2" "$3")
  echo "$1 round $5: $4 tiles over HTTP in $ms ms = $rate tiles/s ($bytes bytes); one ST_AsMVT statement per tile: $secs s" >&2
  echo "$rate $(python3 -c "print(round($4 / $secs, 1))")"
}
for r in $(seq 1 "$rounds"); do
  read -r http per < <(round_pair components geostore "$work/per-tile-c.sql" "$ntc" "$r")
  best_hc=$(python3 -c "print(max($best_hc, $http))"); best_tc=$(python3 -c "print(max($best_tc, $per))")
  ms=$(psql_g -c '\timing on' -c "$tile_sql_s" | grep -o 'Time: [0-9.]*' | cut -d' ' -f2)
  echo "postgis one statement (service table) components round $r: $ntc tiles in $ms ms" >&2
  best_s=$(python3 -c "print(min($best_s, $ms))")
  read -r http per < <(round_pair grids bench "$work/per-tile-g.sql" "$ntg" "$r") # grids over HTTP carry the grid_labels layer too
  best_hg=$(python3 -c "print(max($best_hg, $http))"); best_tg=$(python3 -c "print(max($best_tg, $per))")
done
kill "$geo_pid"; wait "$geo_pid" 2>/dev/null || true; geo_pid=""
pg_s=$(python3 -c "print(round($ntc / ($best_s / 1000), 1))")
load=$(cut -d' ' -f1-3 /proc/loadavg)

cat <<MD
| tiles (uncached, 1 thread) | ours (tiles/s) | PostGIS ST_AsMVT (tiles/s) | ratio |
|---|---|---|---|
| components: $ntc zoom-16 tiles of $points points | $ours_c | $pg_c | $(python3 -c "print(round($ours_c / $pg_c, 2))")x |
| grids: $ntg tiles, zooms 12-16, 27 polygons | $ours_g | $pg_g | $(python3 -c "print(round($ours_g / $pg_g, 2))")x |
| components over HTTP from \`geo serve\` on PostGIS vs one ST_AsMVT statement per tile on the service's table (psql) | $best_hc | $best_tc | $(python3 -c "print(round($best_hc / $best_tc, 2))")x |
| components over HTTP vs all tiles in one ST_AsMVT statement on the service's table | $best_hc | $pg_s | $(python3 -c "print(round($best_hc / $pg_s, 2))")x |
| grids over HTTP (with the grid_labels layer) vs one ST_AsMVT statement per tile (grids only, psql) | $best_hg | $best_tg | $(python3 -c "print(round($best_hg / $best_tg, 2))")x |
| grids over HTTP vs all tiles in one ST_AsMVT statement | $best_hg | $pg_g | $(python3 -c "print(round($best_hg / $pg_g, 2))")x |

load average (1, 5, 15 min) at the start: $load_start; at the end: $load
MD
