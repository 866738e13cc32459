"""Uncached tile latency over one keep-alive HTTP connection: every request is a different tile (no cache hit)."""
import http.client, json, math, sys, time
base, sid = sys.argv[1], sys.argv[2]
host = base.split("//")[1]
c = http.client.HTTPConnection(host)
c.request("GET", f"/api/v1/surveys/{sid}"); s = json.loads(c.getresponse().read())
w, so, e, n = s["boundsLonLat"]
def tile(lon, lat, z):
    k = 2 ** z
    x = int((lon + 180) / 360 * k)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)
    return x, y
for z in (15, 16, 17, 18):
    x0, y0 = tile(w, n, z); x1, y1 = tile(e, so, z)
    tiles = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    times = []
    for scale in ("", "@2x"):
        for (x, y) in tiles[:150]:
            t = time.perf_counter()
            c.request("GET", f"/api/v1/surveys/{sid}/tiles/{z}/{x}/{y}{scale}.png")
            r = c.getresponse(); r.read()
            times.append((time.perf_counter() - t) * 1000)
            if r.status not in (200, 204):
                raise SystemExit(f"HTTP {r.status} for {z}/{x}/{y}")
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"uncached tiles z{z} (256+512 px PNG, {len(times)} requests): p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms")
