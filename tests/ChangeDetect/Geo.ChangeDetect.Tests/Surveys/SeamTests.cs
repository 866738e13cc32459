using Geo.ChangeDetect.Findings;
using Geo.ChangeDetect.Surveys;
using Geo.Gdal;
using OpenCvSharp;

namespace Geo.ChangeDetect.Tests.Surveys;

public sealed class SeamTests : IDisposable
{
    private readonly SurveyFiles _files = new();

    public void Dispose() => _files.Dispose();

    private const double Gsd = 0.4; // analysis grid = full resolution: strip and tile seams every 512 px
    private const int Size = 1024;

    [Fact]
    public void A_building_across_a_strip_seam_and_a_tile_seam_is_one_object()
    {
        // A 40 x 40 px (16 x 16 m) new building centred on the corner where strip row 512 and tile column 512 meet.
        var (before, beforeDsm) = Write("before", seed: 3, building: null);
        var (after, afterDsm) = Write("after", seed: 3, building: new Rect(512 - 20, 512 - 20, 40, 40));

        var r = new SurveyPairDetector().Detect(new SurveyPairInput(before, beforeDsm, after, afterDsm, null), null, CancellationToken.None);

        Assert.True(r.IsOk, r.IsOk ? "" : r.Failure.ToString());
        var c = Assert.Single(r.Value);
        Assert.Equal(ChangeKind.NewStructure, c.Kind);
        Assert.InRange(c.Polygon.Area, 256 * 0.85, 256 * 1.15);
        Assert.InRange(c.MeanDh!.Value, 8.5, 9.5);
    }

    private (string Ortho, string Dsm) Write(string name, int seed, Rect? building)
    {
        // Textured ground (smoothed noise, the same for both dates), flat DSM at 100 m.
        using var noise = new Mat(Size, Size, MatType.CV_32FC3);
        Cv2.SetTheRNG((ulong)seed);
        Cv2.Randn(noise, Scalar.All(0), Scalar.All(40));
        using var smooth = new Mat();
        Cv2.GaussianBlur(noise, smooth, new Size(0, 0), 2.0);
        using var img = new Mat();
        Cv2.Add(smooth, new Scalar(110, 120, 100), img);
        using var rgb = new Mat();
        img.ConvertTo(rgb, MatType.CV_8UC3);
        using var dsm = new Mat(Size, Size, MatType.CV_32FC1, Scalar.All(100));
        if (building is { } b)
        {
            rgb.Rectangle(b, new Scalar(70, 120, 180), -1);
            dsm.Rectangle(b, Scalar.All(109), -1);
        }

        var ortho = Path.Combine(_files.Temp, name + ".tif");
        using (var ds = GdalDataset.CreateInMemory(Size, Size, 3, GdalDataType.Byte))
        {
            Cv2.Split(rgb, out var ch);
            for (var i = 0; i < 3; i++)
            {
                ds.WriteBand(i + 1, Bytes(ch[i]));
                ch[i].Dispose();
            }

            Save(ds, ortho);
        }

        var dsmPath = Path.Combine(_files.Temp, name + "_dsm.tif");
        using (var ds = GdalDataset.CreateInMemory(Size, Size, 1, GdalDataType.Float32))
        {
            ds.WriteBand(1, Floats(dsm));
            Save(ds, dsmPath);
        }

        return (ortho, dsmPath);
    }

    private static unsafe ReadOnlySpan<byte> Bytes(Mat m) => new((void*)m.Data, Size * Size);

    private static unsafe ReadOnlySpan<float> Floats(Mat m) => new((void*)m.Data, Size * Size);

    private static void Save(GdalDataset ds, string path)
    {
        ds.SetGeoTransform(new GeoTransform(392752, Gsd, 0, 3782676, 0, -Gsd));
        ds.SetEpsg(4547);
        var r = GdalApps.Translate(ds, path, ["-of", "GTiff", "-co", "TILED=YES"]);
        Assert.True(r.IsOk);
        r.Value.Dispose();
    }
}
