#!/usr/bin/env bash
# Ownership over HTTP vs PostGIS over its own protocol, side by side on this machine, same data, same concurrency.
#   service: `geo serve` on the sample grids, driven by wrk (2 connections) with uniformly random points;
#   peer:    PostgreSQL 15 + PostGIS 3.3, grids in a GiST-indexed table, ST_Covers, driven by pgbench (2 clients).
#   batch:   POST /api/v1/ownership/batch with 10,000 points per request, driven by wrk.
# Usage: benchmarks/ownership-http/run.sh [seconds-per-run]   (prints a markdown table)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/benchmarks/ownership-http"
secs="${1:-15}"
cd "$root"
scripts/ensure-deps.sh test
work="$(mktemp -d /tmp/geo-bench-XXXXXX)"
chmod 755 "$work"
port=5099; pgport=55439
cleanup() {
  [[ -n "${geo_pid:-}" ]] && kill "$geo_pid" 2>/dev/null || true
  if [[ -d "$work/pg" ]]; then su postgres -c "pg_ctl -D $work/pg -m fast stop" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Extent of the sample grids (EPSG:4490): the random points cover it grown by 5 % on each side.
read -r minx miny maxx maxy < <(python3 - <<'PY'
import json
d = json.load(open("data-samples/ruzhou/grids.geojson"))
xs = [c[0] for f in d["features"] for r in f["geometry"]["coordinates"] for c in r]
ys = [c[1] for f in d["features"] for r in f["geometry"]["coordinates"] for c in r]
w, h = max(xs) - min(xs), max(ys) - min(ys)
print(min(xs) - w * .05, min(ys) - h * .05, max(xs) + w * .05, max(ys) + h * .05)
PY
)

# --- the service -------------------------------------------------------------------------------------------------
./geo samples generate --out "$work/samples" >/dev/null
# The per-client limit is raised, not switched off, so its cost is part of the figure.
Geo__AnonymousRequestsPerSecond=10000000 ./geo serve --store "$work/geo.gpkg" --urls "http://127.0.0.1:$port" --load-samples "$work/samples" >"$work/geo.log" 2>&1 &
geo_pid=$!
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.5; done
cat >"$work/single.lua" <<LUA
math.randomseed(42)
request = function()
  local x = $minx + math.random() * ($maxx - $minx)
  local y = $miny + math.random() * ($maxy - $miny)
  return wrk.format("GET", string.format("/api/v1/ownership?x=%.7f&y=%.7f&crs=EPSG:4490&class=E0101", x, y))
end
LUA
python3 - "$minx" "$miny" "$maxx" "$maxy" >"$work/batch.json" <<'PY'
import json, random, sys
minx, miny, maxx, maxy = map(float, sys.argv[1:])
random.seed(7)
pts = [{"x": round(minx + random.random() * (maxx - minx), 7), "y": round(miny + random.random() * (maxy - miny), 7)} for _ in range(10000)]
print(json.dumps({"crs": "EPSG:4490", "class": "E0101", "points": pts}))
PY
cat >"$work/batch.lua" <<LUA
local f = io.open("$work/batch.json", "r")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
LUA
# Warm up, then measure. 15 s: tiered compilation of a fresh service (startup code included) goes on for 10-20 s of
# load on 2 cores, and the rates of 5-second rounds right after the start were half those of later ones.
wrk -t1 -c2 -d15s -s "$work/single.lua" "http://127.0.0.1:$port" >/dev/null
wrk -t1 -c2 -d"${secs}s" --latency -s "$work/single.lua" "http://127.0.0.1:$port" >"$work/wrk-single.txt"
wrk -t1 -c2 -d5s -s "$work/batch.lua" "http://127.0.0.1:$port/api/v1/ownership/batch" >/dev/null
wrk -t1 -c2 -d"${secs}s" --latency -s "$work/batch.lua" "http://127.0.0.1:$port/api/v1/ownership/batch" >"$work/wrk-batch.txt"
kill "$geo_pid"; wait "$geo_pid" 2>/dev/null || true; geo_pid=""

# --- the peer: PostGIS ---------------------------------------------------------------------------------------------
id postgres >/dev/null 2>&1 || useradd -r -m postgres
export PATH="/usr/lib/postgresql/15/bin:$PATH"
mkdir -p "$work/pg" && chown postgres "$work/pg"
su postgres -c "PATH=$PATH initdb -D $work/pg -U postgres -A trust -E UTF8 --locale=C.UTF-8 -N" >/dev/null
su postgres -c "PATH=$PATH pg_ctl -D $work/pg -w -l $work/pg/log -o '-c listen_addresses=127.0.0.1 -p $pgport -k $work/pg -c fsync=off -c shared_buffers=256MB' start" >/dev/null
psql -h 127.0.0.1 -p $pgport -U postgres -qc "CREATE DATABASE bench" >/dev/null
psql -h 127.0.0.1 -p $pgport -U postgres -d bench -qc "CREATE EXTENSION postgis" >/dev/null
ogr2ogr -f PostgreSQL "PG:host=127.0.0.1 port=$pgport user=postgres dbname=bench" "$work/samples/grids.geojson" \
  -nln grids -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -a_srs EPSG:4490
psql -h 127.0.0.1 -p $pgport -U postgres -d bench -qc "VACUUM ANALYZE grids" >/dev/null
cat >"$work/pg.sql" <<SQL
\set xi random(0, 1000000)
\set yi random(0, 1000000)
SELECT code FROM grids WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint($minx + :xi * ($maxx - $minx) / 1000000.0, $miny + :yi * ($maxy - $miny) / 1000000.0), 4490)) ORDER BY code LIMIT 1;
SQL
pgbench -h 127.0.0.1 -p $pgport -U postgres -n -M prepared -c 2 -j 1 -T 15 -f "$work/pg.sql" bench >/dev/null 2>&1
pgbench -h 127.0.0.1 -p $pgport -U postgres -n -M prepared -c 2 -j 1 -T "$secs" -f "$work/pg.sql" -r --log --log-prefix="$work/pgblog" bench >"$work/pgbench.txt" 2>&1

# --- report -------------------------------------------------------------------------------------------------------
python3 "$here/report.py" "$work/wrk-single.txt" "$work/wrk-batch.txt" "$work/pgbench.txt" "$work"
