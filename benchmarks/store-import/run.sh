#!/usr/bin/env bash
# The largest bulk import (a 10,000-grid version) into the embedded GeoPackage store vs PostGIS via binary COPY, with
# BenchmarkDotNet, against a throwaway PostgreSQL 15 + PostGIS 3.3 cluster started here (as in PITFALLS.md; fsync
# stays ON here so PostgreSQL pays for durability as the GeoPackage does with synchronous=FULL).
# Usage: benchmarks/store-import/run.sh        (prints BenchmarkDotNet's table; results in BenchmarkDotNet.Artifacts)
#        benchmarks/store-import/run.sh census [rows] [rounds]
#            the census import instead: the same CSV of point components (default 200,000) imported end to end
#            (parse, validate, derive grids, write) into the GeoPackage vs PostGIS (binary COPY), alternating backends
#            for [rounds] rounds (default 3); prints each round, the medians, their ratio and the load average.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
scripts/ensure-deps.sh test
work="$(mktemp -d /tmp/geo-bench-import-XXXXXX)"
chmod 755 "$work"
pgport=55449
export PATH="/usr/lib/postgresql/15/bin:$PATH"
as_pg() { if [[ $(id -u) -eq 0 ]]; then su postgres -s /bin/sh -c "PATH=$PATH $*"; else sh -c "$*"; fi; }
cleanup() {
  if [[ -d "$work/pg" ]]; then as_pg "pg_ctl -D $work/pg -m fast stop" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
if [[ $(id -u) -eq 0 ]]; then id postgres >/dev/null 2>&1 || useradd -r -m postgres; fi
mkdir -p "$work/pg"
if [[ $(id -u) -eq 0 ]]; then chown postgres "$work/pg"; fi
as_pg "initdb -D $work/pg -U postgres -A trust -E UTF8 --locale=C.UTF-8 -N" >/dev/null
as_pg "pg_ctl -D $work/pg -w -l $work/pg/log -o '-c listen_addresses=127.0.0.1 -p $pgport -k $work/pg -c shared_buffers=256MB' start" >/dev/null
psql -h 127.0.0.1 -p $pgport -U postgres -qc "CREATE DATABASE bench_tpl" >/dev/null
psql -h 127.0.0.1 -p $pgport -U postgres -d bench_tpl -qc "CREATE EXTENSION postgis" >/dev/null
export GEO_BENCH_PG="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=postgres"
cd benchmarks/Geo.Benchmarks
if [[ "${1:-}" == census ]]; then
  shift
  dotnet run -c Release -- census-import "${1:-200000}" "${2:-3}"
else
  dotnet run -c Release -- --filter '*StoreImport*' "$@"
fi
