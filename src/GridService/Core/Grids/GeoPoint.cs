using System.Globalization;
using NetTopologySuite.Geometries;

namespace Geo.GridService.Grids;

/// <summary>
/// Where a geometric failure is, for its location text and facts: normally lon/lat in EPSG:4490 degrees; a metric
/// EPSG:4547 point only when no lon/lat point could be had, and then labelled with its CRS.
/// </summary>
internal readonly record struct GeoPoint(double X, double Y, bool IsMetric)
{
    public static GeoPoint LonLat(Coordinate c) => new(c.X, c.Y, false);

    public static GeoPoint Metric(Coordinate c) => new(c.X, c.Y, true);

    /// <summary><c>POINT (lon lat)</c> to 7 decimals (about 1 cm), or <c>POINT (E N) in EPSG:4547 metres</c>.</summary>
    public string Text => IsMetric
        ? string.Create(CultureInfo.InvariantCulture, $"POINT ({X:0.###} {Y:0.###}) in EPSG:4547 metres")
        : string.Create(CultureInfo.InvariantCulture, $"POINT ({X:0.#######} {Y:0.#######})");

    public Dictionary<string, object?> AddTo(Dictionary<string, object?> facts)
    {
        if (IsMetric)
        {
            facts["easting"] = X;
            facts["northing"] = Y;
            facts["crs"] = "EPSG:4547";
        }
        else
        {
            facts["lon"] = X;
            facts["lat"] = Y;
        }
        return facts;
    }
}
