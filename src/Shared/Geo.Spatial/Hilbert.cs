using NetTopologySuite.Geometries;

namespace Geo.Spatial;

/// <summary>
/// Positions on a Hilbert curve over a box: sorting points by it keeps neighbours together, which is what bulk
/// loading a spatial index (SQLite's R*Tree, a packed tree) wants. Axis-agnostic: x and y are whatever the box uses.
/// </summary>
public static class Hilbert
{
    private const int Order = 16;
    private const uint Side = 1u << Order;

    /// <summary>The curve position (0 .. 2^32 - 1) of (x, y) on a 65,536 x 65,536 lattice over <paramref name="box"/>;
    /// points outside the box are clamped to its edge.</summary>
    public static ulong Key(double x, double y, Envelope box)
    {
        ArgumentNullException.ThrowIfNull(box);
        var w = box.Width > 0 ? box.Width : 1;
        var h = box.Height > 0 ? box.Height : 1;
        var ix = (uint)Math.Clamp((x - box.MinX) / w * (Side - 1), 0, Side - 1);
        var iy = (uint)Math.Clamp((y - box.MinY) / h * (Side - 1), 0, Side - 1);
        return Key(ix, iy);
    }

    /// <summary>The classic xy-to-distance walk (Hilbert curve of order 16).</summary>
    public static ulong Key(uint x, uint y)
    {
        ulong d = 0;
        for (var s = Side >> 1; s > 0; s >>= 1)
        {
            var rx = (x & s) > 0 ? 1u : 0u;
            var ry = (y & s) > 0 ? 1u : 0u;
            d += (ulong)s * s * ((3 * rx) ^ ry);
            if (ry == 0)
            {
                if (rx == 1)
                {
                    x = Side - 1 - x;
                    y = Side - 1 - y;
                }

                (x, y) = (y, x);
            }
        }

        return d;
    }
}
