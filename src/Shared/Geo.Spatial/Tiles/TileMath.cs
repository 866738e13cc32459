using Geo.Spatial.Failures;

namespace Geo.Spatial.Tiles;

/// <summary>
/// One XYZ tile of the Web Mercator (EPSG:3857) pyramid as MapLibre, Leaflet and gdal2tiles --xyz number them:
/// zoom <c>Z</c>, column <c>X</c> counted eastward from 180° W, row <c>Y</c> counted southward from about 85.05° N.
/// </summary>
public readonly record struct TileId(int Z, int X, int Y)
{
    /// <summary>The deepest zoom the service accepts (tiles of about 2.4 cm at the equator).</summary>
    public const int MaxZoom = 24;

    /// <summary>Checks zoom range and that x and y lie inside 2^z; BadRequest with a reason otherwise.</summary>
    public static Result<TileId> Create(int z, int x, int y)
    {
        if (z is < 0 or > MaxZoom)
            return new Failure("tile_zoom_out_of_range", $"Zoom {z} is outside 0..{MaxZoom}.", FailureKind.BadRequest, $"{z}/{x}/{y}");
        var n = 1L << z;
        if (x < 0 || x >= n || y < 0 || y >= n)
            return new Failure("tile_out_of_range", $"Tile x and y must lie in 0..{n - 1} at zoom {z}.", FailureKind.BadRequest, $"{z}/{x}/{y}");
        return new TileId(z, x, y);
    }

    public override string ToString() => $"{Z}/{X}/{Y}";
}

/// <summary>An axis-aligned box; in EPSG:3857 metres or in degrees (x = longitude, y = latitude), as the caller says.</summary>
public readonly record struct Box(double MinX, double MinY, double MaxX, double MaxY)
{
    public double Width => MaxX - MinX;
    public double Height => MaxY - MinY;
    public bool Intersects(in Box o) => MinX < o.MaxX && o.MinX < MaxX && MinY < o.MaxY && o.MinY < MaxY;
}

/// <summary>Web Mercator tile arithmetic on the spherical EPSG:3857 (R = 6,378,137 m), x = easting, y = northing.</summary>
public static class TileMath
{
    /// <summary>Half the width of the EPSG:3857 square: π·R metres.</summary>
    public const double OriginShift = Math.PI * 6378137.0;

    /// <summary>The latitude limit of the square pyramid, about 85.0511° N/S.</summary>
    public static readonly double MaxLatitude = Math.Atan(Math.Sinh(Math.PI)) * 180.0 / Math.PI;

    /// <summary>Metres per pixel at zoom <paramref name="z"/> for tiles of <paramref name="tileSize"/> pixels.</summary>
    public static double Resolution(int z, int tileSize = 256) => 2 * OriginShift / (tileSize * Math.Pow(2, z));

    /// <summary>The tile's bounds in EPSG:3857 metres.</summary>
    public static Box BoundsMercator(TileId t)
    {
        var size = 2 * OriginShift / (1L << t.Z);
        var minX = -OriginShift + t.X * size;
        var maxY = OriginShift - t.Y * size;
        return new Box(minX, maxY - size, minX + size, maxY);
    }

    /// <summary>The tile's bounds in degrees (x = longitude, y = latitude, WGS84/CGCS2000).</summary>
    public static Box BoundsLonLat(TileId t)
    {
        var m = BoundsMercator(t);
        var (w, s) = ToLonLat(m.MinX, m.MinY);
        var (e, n) = ToLonLat(m.MaxX, m.MaxY);
        return new Box(w, s, e, n);
    }

    /// <summary>Longitude/latitude in degrees to EPSG:3857 metres (latitude clamped to the pyramid).</summary>
    public static (double X, double Y) ToMercator(double lon, double lat)
    {
        lat = Math.Clamp(lat, -MaxLatitude, MaxLatitude);
        var x = lon * OriginShift / 180.0;
        var y = Math.Log(Math.Tan((90.0 + lat) * Math.PI / 360.0)) * 6378137.0;
        return (x, y);
    }

    /// <summary>EPSG:3857 metres to longitude/latitude in degrees.</summary>
    public static (double Lon, double Lat) ToLonLat(double x, double y)
    {
        var lon = x / OriginShift * 180.0;
        var lat = (2 * Math.Atan(Math.Exp(y / 6378137.0)) - Math.PI / 2) * 180.0 / Math.PI;
        return (lon, lat);
    }

    /// <summary>The tile holding a point (x = longitude, y = latitude in degrees) at zoom <paramref name="z"/>.</summary>
    public static TileId TileAt(double lon, double lat, int z)
    {
        var (mx, my) = ToMercator(lon, lat);
        return TileAtMercator(mx, my, z);
    }

    /// <summary>The tile holding a point in EPSG:3857 metres at zoom <paramref name="z"/>.</summary>
    public static TileId TileAtMercator(double mx, double my, int z)
    {
        var n = 1L << z;
        var size = 2 * OriginShift / n;
        var x = (long)Math.Floor((mx + OriginShift) / size);
        var y = (long)Math.Floor((OriginShift - my) / size);
        return new TileId(z, (int)Math.Clamp(x, 0, n - 1), (int)Math.Clamp(y, 0, n - 1));
    }

    /// <summary>
    /// Every tile at zoom <paramref name="z"/> that intersects a box in degrees (x = longitude, y = latitude), row by
    /// row from the north-west.
    /// </summary>
    public static IEnumerable<TileId> TilesCovering(Box lonLat, int z)
    {
        var nw = TileAt(lonLat.MinX, lonLat.MaxY, z);
        var se = TileAt(lonLat.MaxX, lonLat.MinY, z);
        for (var y = nw.Y; y <= se.Y; y++)
            for (var x = nw.X; x <= se.X; x++)
                yield return new TileId(z, x, y);
    }

    /// <summary>How many tiles <see cref="TilesCovering"/> yields, without enumerating them.</summary>
    public static long CountCovering(Box lonLat, int z)
    {
        var nw = TileAt(lonLat.MinX, lonLat.MaxY, z);
        var se = TileAt(lonLat.MaxX, lonLat.MinY, z);
        return (long)(se.X - nw.X + 1) * (se.Y - nw.Y + 1);
    }
}
