using Geo.GridService.Codes;
using Geo.GridService.Ownership;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace Geo.GridService.Census;

/// <summary>
/// Derives the grids of a component from its geometry (EPSG:4490, x = lon, y = lat) against one grid version: a
/// point belongs to its owner under the ownership boundary rule (<see cref="GridIndex.Locate"/>, lowest code on a
/// shared edge); a line or polygon to every grid it intersects, lowest code first. Empty = outside the city.
/// Thread-safe after construction.
/// </summary>
public sealed class GridLocator
{
    private readonly GridIndex _index;
    private readonly IPreparedGeometry[] _prepared;
    private readonly GridCode[] _codes;
    private readonly IReadOnlyList<GridCode>[] _single; // a point's grids: one read-only list per grid, shared by its points

    public GridLocator(GridIndex index)
    {
        _index = index;
        var grids = index.Grids;
        _prepared = new IPreparedGeometry[grids.Count];
        _codes = new GridCode[grids.Count];
        _single = new IReadOnlyList<GridCode>[grids.Count];
        for (var i = 0; i < grids.Count; i++)
        {
            _prepared[i] = PreparedGeometryFactory.Prepare(grids[i].Geometry);
            _codes[i] = grids[i].Code;
            _single[i] = [grids[i].Code];
        }
    }

    /// <summary>The grid owning a point, or null outside every grid.</summary>
    public GridCode? Locate(double lon, double lat)
    {
        var hit = _index.Locate(lon, lat);
        return hit.Found ? _codes[hit.GridIndex] : null;
    }

    /// <summary>The grids a geometry touches, lowest code first; empty when it lies outside every grid.</summary>
    public IReadOnlyList<GridCode> Locate(Geometry geometry)
    {
        if (geometry is Point p)
            return _index.Locate(p.X, p.Y) is { Found: true } hit ? _single[hit.GridIndex] : [];
        var env = geometry.EnvelopeInternal;
        var result = new List<GridCode>(2);
        for (var i = 0; i < _prepared.Length; i++) // grids are held in code order
        {
            if (!_prepared[i].Geometry.EnvelopeInternal.Intersects(env)) continue;
            if (_prepared[i].Intersects(geometry)) result.Add(_codes[i]);
        }
        return result;
    }
}
