using Geo.Gdal;
using Geo.Spatial.Failures;

namespace Geo.ChangeDetect.Surveys;

/// <summary>
/// The benchmark peer of the pipeline: reads every pixel of the given rasters at full resolution through GDAL (the
/// same <see cref="GdalDataset"/> reads, chunks of 2048 x 512 px, one dataset per worker, all cores) and does nothing
/// with them. Its time is the decode limit the pipeline is measured against.
/// </summary>
public static class DecodeLimit
{
    /// <summary>Reads all pixels of <paramref name="paths"/>; returns the pixels read per raster summed.</summary>
    public static Result<long> ReadAll(IReadOnlyList<string> paths, int workers, CancellationToken ct)
    {
        long total = 0;
        foreach (var path in paths)
        {
            var opened = GdalDataset.Open(path, new GdalOpenOptions(["GTiff"], AllowSidecarFiles: false));
            if (!opened.IsOk) return Result<long>.Fail(opened.Failures);
            int w, h, bands;
            bool alpha;
            GdalMaskKind mask;
            GdalDataType type;
            using (var ds = opened.Value)
            {
                (w, h, bands, type, mask) = (ds.Width, ds.Height, ds.BandCount, ds.BandDataType(1), ds.MaskKind(1));
                alpha = bands == 4 && ds.BandColorInterpretation(4) == GdalColorInterpretation.Alpha;
            }

            var chunks = new List<(int X, int Y)>();
            for (var y = 0; y < h; y += 512)
            for (var x = 0; x < w; x += 2048)
                chunks.Add((x, y));
            Failure? failure = null;
            var datasets = new System.Collections.Concurrent.ConcurrentBag<GdalDataset>();
            try
            {
                Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = ct }, () =>
                    {
                        var d = GdalDataset.Open(path, new GdalOpenOptions(["GTiff"], AllowSidecarFiles: false)).Value;
                        datasets.Add(d);
                        return (d, new byte[2048 * 512 * 4], new float[2048 * 512]);
                    },
                    (c, _, local) =>
                    {
                        var (d, bytes, floats) = local;
                        int cw = Math.Min(2048, w - c.X), ch = Math.Min(512, h - c.Y);
                        Result<int> r = type == GdalDataType.Byte
                            ? d.ReadInterleaved(alpha ? [1, 2, 3, 4] : bands >= 3 ? [1, 2, 3] : [1], c.X, c.Y, cw, ch, bytes)
                            : d.ReadBlock(1, c.X, c.Y, cw, ch, floats);
                        if (r.IsOk && type == GdalDataType.Byte && !alpha && !mask.AllValid)
                            r = d.ReadMask(1, c.X, c.Y, cw, ch, cw, ch, bytes);
                        if (!r.IsOk) failure ??= r.Failure;
                        return local;
                    },
                    _ => { });
            }
            finally
            {
                foreach (var d in datasets) d.Dispose();
            }

            if (failure is not null) return failure;
            total += (long)w * h;
        }

        return total;
    }
}
