using System.Globalization;
using Geo.ChangeDetect.Findings;
using Geo.Gdal;
using Geo.Spatial.Failures;

namespace Geo.ChangeDetect.Surveys;

/// <summary>A pair input whose after orthophoto may be a temporary resampled copy; disposing deletes the copy.</summary>
internal sealed class MatchedPair(SurveyPairInput input, string? temporaryFile) : IDisposable
{
    /// <summary>The input the pipeline runs on (the after orthophoto replaced by the copy when one was made).</summary>
    public SurveyPairInput Input { get; } = input;

    /// <summary>The resampled copy, or null when the orthophotos already shared a pixel size.</summary>
    public string? TemporaryFile { get; } = temporaryFile;

    public void Dispose()
    {
        if (TemporaryFile is not null)
        {
            try { File.Delete(TemporaryFile); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

/// <summary>
/// Brings an after orthophoto of another pixel size onto the before orthophoto's pixel grid (issue #5: both surveys on
/// one grid), so flights at different heights can be compared. GDAL's warper resamples the part of the after
/// orthophoto that overlaps the before one (plus a margin for the registration's shift search) into a temporary tiled
/// GeoTIFF with the before's pixel size and pixel edges: AVERAGE when the after is finer (every source pixel counts,
/// as in the overviews), bilinear when it is coarser. The copy is deleted when the run ends; copies left by killed
/// runs are swept by the next resampling run once a day old. The before orthophoto is never touched, so findings stay on
/// its grid. Only the orthophoto is resampled: DSMs of any pixel size are read by ground coordinates already.
/// Inputs that are unreadable, in different CRSs or without overlap pass through unchanged: <see cref="PairLayout"/>
/// reports them.
/// </summary>
internal static class GridMatching
{
    /// <summary>Largest ratio of the two pixel sizes resampled; beyond it the pair is refused (gsd_mismatch): such
    /// surveys are not comparable at the finer one's detail.</summary>
    public const double MaxPixelSizeRatio = 4;

    /// <summary>Before-pixel margin kept around the overlap (at least the registration's largest shift).</summary>
    private const int MarginPixels = 64;

    /// <summary>Name prefix of the resampled copies.</summary>
    internal const string Prefix = "after-on-before-grid-";

    /// <summary>A copy older than this belongs to no live run (a process killed mid-run cannot delete its own).</summary>
    internal static readonly TimeSpan StaleAfter = TimeSpan.FromDays(1);

    public static Result<MatchedPair> Match(SurveyPairInput input, string temporaryDirectory, CancellationToken ct)
    {
        var grids = ReadGrids(input);
        if (grids is not var (b, a, afterBands, afterHasAlpha))
        {
            return new MatchedPair(input, null);
        }

        var px = b.PixelSizeX;
        var square = Math.Abs(a.PixelSizeX + a.PixelSizeY) <= 1e-6 * a.PixelSizeX && Math.Abs(px + b.PixelSizeY) <= 1e-6 * px;
        if (!square || (Math.Abs(a.PixelSizeX - px) <= 1e-3 * px && Math.Abs(a.PixelSizeY + px) <= 1e-3 * px))
        {
            return new MatchedPair(input, null); // same grid, or not square pixels (PairLayout refuses those)
        }

        var ratio = Math.Max(a.PixelSizeX / px, px / a.PixelSizeX);
        if (!(ratio <= MaxPixelSizeRatio))
        {
            return Failure.Invalid(ChangeFailureCodes.GsdMismatch, string.Create(CultureInfo.InvariantCulture,
                $"The orthophotos' pixel sizes ({px} and {a.PixelSizeX} CRS units) differ by more than {MaxPixelSizeRatio}x; such surveys are not compared."));
        }

        // The after's extent, cut to the before's plus a margin, snapped outward to the before's pixel edges.
        var m = MarginPixels * px;
        var xmin = Math.Max(a.MinX, b.MinX - m);
        var xmax = Math.Min(a.MaxX, b.MaxX + m);
        var ymin = Math.Max(a.MinY, b.MinY - m);
        var ymax = Math.Min(a.MaxY, b.MaxY + m);
        if (!(xmax > xmin && ymax > ymin))
        {
            return new MatchedPair(input, null); // no overlap: PairLayout says so
        }

        xmin = b.OriginX + Math.Floor((xmin - b.OriginX) / px) * px;
        xmax = b.OriginX + Math.Ceiling((xmax - b.OriginX) / px) * px;
        ymax = b.OriginY - Math.Floor((b.OriginY - ymax) / px) * px;
        ymin = b.OriginY - Math.Ceiling((b.OriginY - ymin) / px) * px;

        Directory.CreateDirectory(temporaryDirectory);
        SweepStale(temporaryDirectory);
        var path = Path.Combine(temporaryDirectory, Prefix + Guid.NewGuid().ToString("N") + ".tif");
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        List<string> args =
        [
            "-of", "GTiff", "-tr", F(px), F(px), "-te", F(xmin), F(ymin), F(xmax), F(ymax),
            "-r", a.PixelSizeX < px ? "average" : "bilinear",
            "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "ZLEVEL=1", "-co", "PREDICTOR=2", "-co", "BIGTIFF=IF_SAFER",
            "-wo", "NUM_THREADS=ALL_CPUS", "-wm", "256",
        ];
        if (!afterHasAlpha && afterBands == 3)
        {
            args.Add("-dstalpha"); // outside the after survey reads as no data, as in an ingested COG
        }

        var opened = GdalDataset.Open(input.AfterOrthoPath, GdalOpenOptions.UntrustedGeoTiff);
        if (!opened.IsOk)
        {
            return new MatchedPair(input, null);
        }

        using (var source = opened.Value)
        {
            var warped = GdalApps.Warp([source], path, args, new GdalProgress(null, ct));
            if (!warped.IsOk)
            {
                TryDelete(path);
                ct.ThrowIfCancellationRequested();
                return Failure.Invalid(ChangeFailureCodes.SurveyUnreadable,
                    "The after orthophoto could not be resampled onto the before orthophoto's grid: " + warped.Failure.Message, "after");
            }

            warped.Value.Dispose();
        }

        return new MatchedPair(input with { AfterOrthoPath = path }, path);
    }

    private readonly record struct Grid(double OriginX, double OriginY, double PixelSizeX, double PixelSizeY, int Width, int Height)
    {
        public double MinX => OriginX;
        public double MaxX => OriginX + Width * PixelSizeX;
        public double MaxY => OriginY;
        public double MinY => OriginY + Height * PixelSizeY;
    }

    /// <summary>Both orthophotos' grids when both open, are north-up and share a CRS; otherwise null.</summary>
    private static (Grid Before, Grid After, int AfterBands, bool AfterHasAlpha)? ReadGrids(SurveyPairInput input)
    {
        if (!File.Exists(input.BeforeOrthoPath) || !File.Exists(input.AfterOrthoPath)) return null;
        var bo = GdalDataset.Open(input.BeforeOrthoPath, GdalOpenOptions.UntrustedGeoTiff);
        if (!bo.IsOk) return null;
        using var bds = bo.Value;
        var ao = GdalDataset.Open(input.AfterOrthoPath, GdalOpenOptions.UntrustedGeoTiff);
        if (!ao.IsOk) return null;
        using var ads = ao.Value;
        if (bds.GeoTransform is not { IsNorthUp: true, IsFinite: true } bg || ads.GeoTransform is not { IsNorthUp: true, IsFinite: true } ag) return null;
        if (bds.Crs is not { } bc || ads.Crs is not { } ac) return null;
        var same = bc.Epsg is { } eb && ac.Epsg is { } ea ? eb == ea : bc.Wkt == ac.Wkt;
        if (!same) return null;
        var alpha = ads.BandCount == 4 && ads.BandColorInterpretation(4) == GdalColorInterpretation.Alpha;
        return (new Grid(bg.OriginX, bg.OriginY, bg.PixelSizeX, bg.PixelSizeY, bds.Width, bds.Height),
            new Grid(ag.OriginX, ag.OriginY, ag.PixelSizeX, ag.PixelSizeY, ads.Width, ads.Height), ads.BandCount, alpha);
    }

    /// <summary>Deletes resampled copies left by killed runs (older than <see cref="StaleAfter"/>).</summary>
    private static void SweepStale(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, Prefix + "*.tif"))
        {
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > StaleAfter)
            {
                TryDelete(file);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
