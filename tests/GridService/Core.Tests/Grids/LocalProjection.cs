using NetTopologySuite.Geometries;

namespace Geo.GridService.Grids;

/// <summary>
/// A local equirectangular stand-in for the EPSG:4490 → EPSG:4547 transform, centred on Ruzhou (112.845E, 34.167N):
/// x_m = (lon - 112.845) · cos(34.167°) · 111320, y_m = (lat - 34.167) · 110574. Areas are right to about 1 % near
/// the centre, which is all the validator's tests need; the validator never depends on which projection it is.
/// </summary>
internal static class LocalProjection
{
    private const double Lon0 = 112.845, Lat0 = 34.167;
    private static readonly double s_metresPerDegreeLon = Math.Cos(Lat0 * Math.PI / 180) * 111320;
    private const double MetresPerDegreeLat = 110574;

    public static Geometry ToMetric(Geometry lonLat)
    {
        var metric = lonLat.Copy();
        metric.Apply(new EquirectangularFilter());
        metric.GeometryChanged();
        metric.SRID = 4547;
        return metric;
    }

    public static double SquareMetres(double dLon, double dLat) => dLon * s_metresPerDegreeLon * dLat * MetresPerDegreeLat;

    private sealed class EquirectangularFilter : IEntireCoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq)
        {
            for (var i = 0; i < seq.Count; i++)
            {
                seq.SetX(i, (seq.GetX(i) - Lon0) * s_metresPerDegreeLon);
                seq.SetY(i, (seq.GetY(i) - Lat0) * MetresPerDegreeLat);
            }
        }
    }
}
