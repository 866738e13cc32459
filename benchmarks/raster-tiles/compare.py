"""Pixel comparison of the same XYZ tiles from gdal2tiles (--xyz) and from geo tiles seed.

For every tile present in both sets (at most 300, sampled with a fixed seed): mean |RGB difference| (0-255) over the
pixels that are fully opaque in both, per zoom; and the share of pixels whose transparency (alpha 0 or not) differs.
gdal2tiles resamples with 'average' (and builds lower zooms from the children tiles); geo reads the right overview
and resamples with a tent filter, so small differences are expected. Exit status 1 when a zoom's mean difference
exceeds the tolerance (default 6 grey levels) or tiles are missing on either side.
"""
import os, random, sys
from osgeo import gdal
peer, ours = sys.argv[1], sys.argv[2]
tolerance = float(sys.argv[3]) if len(sys.argv) > 3 else 6.0

def tiles(root):
    out = set()
    for r, _, files in os.walk(root):
        for f in files:
            if f.endswith(('.png', '.jpg', '.webp')):
                out.add(os.path.relpath(os.path.join(r, f), root))
    return out

a_set, b_set = tiles(peer), tiles(ours)
# gdal2tiles writes some tiles that are wholly transparent (at the survey's edge); geo writes none: not a difference.
def blank(root, rel):
    return int((gdal.Open(os.path.join(root, rel)).ReadAsArray()[3] > 0).sum()) == 0
a_blank = {rel for rel in a_set - b_set if blank(peer, rel)}
a_set -= a_blank
common = sorted(a_set & b_set)
random.seed(1)
sample = random.sample(common, min(300, len(common)))
by_zoom, alpha_diff, alpha_total = {}, 0, 0
for rel in sample:
    a = gdal.Open(os.path.join(peer, rel)).ReadAsArray().astype(int)
    b = gdal.Open(os.path.join(ours, rel)).ReadAsArray().astype(int)
    alpha_diff += int(((a[3] > 0) != (b[3] > 0)).sum()); alpha_total += a[3].size
    both = (a[3] == 255) & (b[3] == 255)
    if both.sum() == 0:
        continue
    z = rel.split(os.sep)[0]
    d = by_zoom.setdefault(z, [0.0, 0, 0])
    d[0] += float(abs(a[:3] - b[:3])[:, both].sum()); d[1] += int(both.sum()) * 3; d[2] += 1
means = {z: v[0] / v[1] for z, v in by_zoom.items()}
print("pixel comparison vs gdal2tiles (mean |RGB difference| 0-255 where both opaque): " +
      ", ".join(f"z{z}: {means[z]:.2f} over {by_zoom[z][2]} tiles" for z in sorted(means, key=int)))
print(f"tiles: {len(common)} in both, {len(a_set - b_set)} only gdal2tiles, {len(b_set - a_set)} only geo "
      f"({len(a_blank)} wholly transparent gdal2tiles tiles not counted); "
      f"transparency differs on {100.0 * alpha_diff / max(1, alpha_total):.2f} % of pixels (survey edges)")
ok = all(m <= tolerance for m in means.values()) and not (a_set ^ b_set)
print(f"same imagery within {tolerance} grey levels: {'yes' if ok else 'NO'}")
sys.exit(0 if ok else 1)
