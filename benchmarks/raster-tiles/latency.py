"""Uncached tile latency over one keep-alive HTTP connection (run the service with Geo__TileCacheBytes=0: no tile
cache, so every request renders; GDAL's block cache stays on). Every tile of zooms 15-18 over the survey, 256 and
512 px, PNG and JPEG; p50/p99 per zoom and size, then over all."""
import http.client, json, math, sys, time
base, sid = sys.argv[1], sys.argv[2]
host = base.split("//")[1]
c = http.client.HTTPConnection(host)
c.request("GET", f"/api/v1/surveys/{sid}"); s = json.loads(c.getresponse().read())
w, so, e, n = s["boundsLonLat"]
def tile(lon, lat, z):
    k = 2 ** z
    return int((lon + 180) / 360 * k), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)
def p(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(q * len(v)))]
every = {"": [], "@2x": []}
for z in (15, 16, 17, 18):
    x0, y0 = tile(w, n, z); x1, y1 = tile(e, so, z)
    tiles = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    for scale in ("", "@2x"):
        times = []
        for ext in ("png", "jpg"):
            for (x, y) in tiles:
                t = time.perf_counter()
                c.request("GET", f"/api/v1/surveys/{sid}/tiles/{z}/{x}/{y}{scale}.{ext}")
                r = c.getresponse(); r.read()
                times.append((time.perf_counter() - t) * 1000)
                if r.status not in (200, 204):
                    raise SystemExit(f"HTTP {r.status} for {z}/{x}/{y}{scale}.{ext}")
        every[scale] += times
        print(f"  z{z} {'512' if scale else '256'} px png+jpg ({len(times)} requests): p50 {p(times, 0.5):.1f} ms, p99 {p(times, 0.99):.1f} ms")
for scale, times in every.items():
    print(f"uncached tiles over HTTP, z15-18, {'512' if scale else '256'} px ({len(times)} requests): p50 {p(times, 0.5):.1f} ms, p99 {p(times, 0.99):.1f} ms")
