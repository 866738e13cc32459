"""Pixel comparison of the same XYZ tiles from gdal2tiles and from geo tiles seed (RGB where both are opaque)."""
import os, random, sys
from osgeo import gdal
peer, ours = sys.argv[1], sys.argv[2]
pairs = []
for root, _, files in os.walk(ours):
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), ours)
        if os.path.exists(os.path.join(peer, rel)):
            pairs.append(rel)
random.seed(1)
sample = random.sample(pairs, min(200, len(pairs)))
by_zoom = {}
for rel in sample:
    a = gdal.Open(os.path.join(peer, rel)).ReadAsArray().astype(int)
    b = gdal.Open(os.path.join(ours, rel)).ReadAsArray().astype(int)
    both = (a[3] > 0) & (b[3] > 0)
    if both.sum() == 0:
        continue
    diff = abs(a[:3] - b[:3])[:, both]
    z = rel.split(os.sep)[0]
    by_zoom.setdefault(z, []).append(diff.mean())
print("pixel comparison (mean |RGB difference| where both opaque, 0-255; gdal2tiles resamples with 'average', geo with 'bilinear'):",
      ", ".join(f"z{z}: {sum(v)/len(v):.1f} over {len(v)} tiles" for z, v in sorted(by_zoom.items(), key=lambda kv: int(kv[0]))),
      f"({len(pairs)} tiles in both sets)")
