using BenchmarkDotNet.Attributes;
using Geo.Spatial.Crs;

namespace Geo.Benchmarks;

/// <summary>Batch coordinate conversion, per point: EPSG:4547 (Gauss-Krüger) and GCJ-02 to EPSG:4490.</summary>
[MemoryDiagnoser]
public class CrsBenchmarks
{
    private const int N = 1_000_000;
    private double[] _gkX = null!, _gkY = null!, _gcjX = null!, _gcjY = null!, _x = null!, _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        _gkX = new double[N]; _gkY = new double[N]; _gcjX = new double[N]; _gcjY = new double[N];
        for (var i = 0; i < N; i++)
        {
            var lon = 112.80 + rng.NextDouble() * 0.1;
            var lat = 34.12 + rng.NextDouble() * 0.1;
            (_gkX[i], _gkY[i]) = CoordinateConverter.Convert(CrsId.Cgcs2000, CrsId.Cgcs2000GK114, lon, lat);
            (_gcjX[i], _gcjY[i]) = ChineseOffsets.Wgs84ToGcj02(lon, lat);
        }
        _x = new double[N]; _y = new double[N];
    }

    [Benchmark(OperationsPerInvoke = N, Description = "EPSG:4547 -> EPSG:4490 (ProjNET, batch)")]
    public double GaussKrugerToCgcs2000()
    {
        _gkX.CopyTo(_x, 0); _gkY.CopyTo(_y, 0);
        CoordinateConverter.Convert(CrsId.Cgcs2000GK114, CrsId.Cgcs2000, _x, _y);
        return _x[0];
    }

    [Benchmark(OperationsPerInvoke = N, Description = "GCJ02 -> EPSG:4490 (iterated inverse, batch)")]
    public double Gcj02ToCgcs2000()
    {
        _gcjX.CopyTo(_x, 0); _gcjY.CopyTo(_y, 0);
        CoordinateConverter.Convert(CrsId.Gcj02, CrsId.Cgcs2000, _x, _y);
        return _x[0];
    }
}
