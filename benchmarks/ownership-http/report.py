#!/usr/bin/env python3
"""Turns wrk and pgbench outputs into the markdown table of benchmarks/README.md."""
import glob, re, sys

def wrk(path):
    t = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    def lat(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", t)
        v, u = float(m.group(1)), m.group(2)
        return v / 1000 if u == "us" else v * 1000 if u == "s" else v
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    return rps, lat(50), lat(99), int(errors.group(1)) if errors else 0

single, batch, pgb, work = sys.argv[1:5]
s_rps, s_p50, s_p99, _ = wrk(single)
b_rps, b_p50, b_p99, b_err = wrk(batch)
t = open(pgb).read()
pg_tps = float(re.search(r"tps = ([\d.]+)", t).group(1))
lat = []
for f in glob.glob(f"{work}/pgblog.*"):
    for line in open(f):
        parts = line.split()
        if len(parts) >= 3: lat.append(int(parts[2]) / 1000.0)  # microseconds -> ms
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] if lat else float("nan")
print("| path | clients | lookups/s | p50 ms | p99 ms |")
print("|---|---|---|---|---|")
print(f"| geo GET /api/v1/ownership (wrk, 1 thread) | 2 | {s_rps:,.0f} | {s_p50:.3f} | {s_p99:.3f} |")
print(f"| PostGIS ST_Covers + GiST (pgbench -M prepared, 1 thread) | 2 | {pg_tps:,.0f} | {pct(.5):.3f} | {pct(.99):.3f} |")
print(f"| geo POST /api/v1/ownership/batch, 10,000 points per request (wrk, 1 thread) | 2 | {b_rps * 10000:,.0f} points/s ({b_rps:.1f} req/s) | {b_p50:.1f} per request | {b_p99:.1f} per request |")
print()
print(f"ratio single lookups geo/PostGIS: {s_rps / pg_tps:.2f}x")
