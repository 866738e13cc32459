using Geo.ChangeDetect.Findings;
using Geo.Gdal;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;

namespace Geo.ChangeDetect.Surveys;

/// <summary>What the pipeline needs to know about one input raster (read once, on the calling thread).</summary>
internal sealed record RasterInfo(string Path, int Width, int Height, GeoTransform Gt, int Bands, bool AlphaBand, GdalMaskKind Mask, double? NoData)
{
    public double Px => Gt.PixelSizeX;

    public double X0 => Gt.OriginX;

    public double Y0 => Gt.OriginY;

    public double X1 => Gt.OriginX + Width * Gt.PixelSizeX;

    public double Y1 => Gt.OriginY + Height * Gt.PixelSizeY;
}

/// <summary>
/// The common pixel grid of a survey pair. Full-resolution pixels are those of the before orthophoto; the overlap of
/// both orthophotos (limited to the area polygon when given) starts at before pixel (<see cref="Col0"/>,
/// <see cref="Row0"/>). The analysis grid groups <see cref="F"/> x <see cref="F"/> full pixels: analysis pixel (c, r)
/// covers before columns Col0 + c F .. + F - 1. Ground coordinates are in the surveys' CRS, x = easting (longitude),
/// y = northing (latitude): the corner of analysis pixel (c, r) is (<see cref="OriginX"/> + c A, <see cref="OriginY"/> - r A).
/// After-ortho pixel of a before pixel: after col = before col + <see cref="AfterOffsetX"/> (georeferencing only;
/// the registration adds the measured shift).
/// </summary>
internal sealed class PairLayout
{
    public required RasterInfo Before { get; init; }
    public required RasterInfo After { get; init; }
    public RasterInfo? BeforeDsm { get; init; }
    public RasterInfo? AfterDsm { get; init; }
    public required CrsId Crs { get; init; }
    public required int F { get; init; }
    public required int Col0 { get; init; }
    public required int Row0 { get; init; }
    public required int Wa { get; init; }
    public required int Ha { get; init; }
    public required double AfterOffsetX { get; init; }
    public required double AfterOffsetY { get; init; }
    public required double MetresPerUnitX { get; init; }
    public required double MetresPerUnitY { get; init; }

    /// <summary>Read orthophoto cells from a factor-<see cref="F"/> internal overview when the file has one
    /// (<see cref="SurveyDetectionOptions.UseOverviews"/>).</summary>
    public bool UseOverviews { get; init; } = true;

    /// <summary>The area limit in the survey CRS, or null.</summary>
    public Geometry? Area { get; init; }

    public bool HasDsm => BeforeDsm is not null;

    /// <summary>Analysis pixel size in CRS units.</summary>
    public double A => F * Before.Px;

    public double OriginX => Before.X0 + Col0 * Before.Px;

    public double OriginY => Before.Y0 - Row0 * Before.Px;

    /// <summary>Ground area of one analysis pixel, m².</summary>
    public double PixelAreaM2 => A * MetresPerUnitX * A * MetresPerUnitY;

    /// <summary>Analysis pixel size in metres (geometric mean of the two axes).</summary>
    public double AnalysisGsdMetres => A * Math.Sqrt(MetresPerUnitX * MetresPerUnitY);

    private static readonly GdalOpenOptions Options = new(["GTiff"], AllowSidecarFiles: false);

    /// <summary>Opens and checks the four inputs and derives the common grid. Failures: see <see cref="ChangeFailureCodes"/>.</summary>
    public static Result<PairLayout> Create(SurveyPairInput input, SurveyDetectionOptions options)
    {
        if ((input.BeforeDsmPath is null) != (input.AfterDsmPath is null))
        {
            return Failure.BadRequest(ChangeFailureCodes.DsmOneSide,
                "A DSM was given for one survey only; give both surveys' DSMs or neither.", input.BeforeDsmPath is null ? "before" : "after");
        }

        var before = Inspect(input.BeforeOrthoPath, "before", dsm: false);
        if (!before.IsOk) return Result<PairLayout>.Fail(before.Failures);
        var after = Inspect(input.AfterOrthoPath, "after", dsm: false);
        if (!after.IsOk) return Result<PairLayout>.Fail(after.Failures);
        var (b, bCrs) = before.Value;
        var (a, aCrs) = after.Value;
        if (!SameCrs(bCrs, aCrs))
        {
            return Failure.Invalid(ChangeFailureCodes.CrsMismatch,
                $"The surveys are in different CRSs (before {Name(bCrs)}, after {Name(aCrs)}); reproject one to the other first.");
        }

        var crs = CrsId.Parse("EPSG:" + bCrs.Epsg);
        if (bCrs.Epsg is null || !crs.IsOk)
        {
            return Failure.Invalid(ChangeFailureCodes.SurveyUnsupported, $"The surveys' CRS ({Name(bCrs)}) is not one of EPSG:4547, 4490, 4326, 3857.", "before");
        }

        if (Math.Abs(a.Px - b.Px) > 1e-3 * b.Px || Math.Abs(a.Gt.PixelSizeY + b.Px) > 1e-3 * b.Px)
        {
            return Failure.Invalid(ChangeFailureCodes.GsdMismatch,
                FormattableString.Invariant($"The orthophotos' pixel sizes differ ({b.Px} and {a.Px} CRS units); resample one to the other first."));
        }

        RasterInfo? bd = null, ad = null;
        if (input.BeforeDsmPath is not null)
        {
            var bdr = Inspect(input.BeforeDsmPath, "before DSM", dsm: true);
            if (!bdr.IsOk) return Result<PairLayout>.Fail(bdr.Failures);
            var adr = Inspect(input.AfterDsmPath!, "after DSM", dsm: true);
            if (!adr.IsOk) return Result<PairLayout>.Fail(adr.Failures);
            if (!SameCrs(bCrs, bdr.Value.Crs) || !SameCrs(bCrs, adr.Value.Crs))
            {
                return Failure.Invalid(ChangeFailureCodes.CrsMismatch, "A DSM is in another CRS than the orthophotos.", "dsm");
            }

            bd = bdr.Value.Info;
            ad = adr.Value.Info;
        }

        // Overlap of the two orthophotos in CRS units.
        var x0 = Math.Max(b.X0, a.X0);
        var x1 = Math.Min(b.X1, a.X1);
        var y1 = Math.Min(b.Y0, a.Y0);
        var y0 = Math.Max(b.Y1, a.Y1);
        Geometry? area = null;
        if (input.Area is { IsEmpty: false } area4490)
        {
            area = crs.Value == CrsId.Cgcs2000 ? area4490.Copy() : CoordinateConverter.Transform(area4490, CrsId.Cgcs2000, crs.Value);
            var e = area.EnvelopeInternal;
            x0 = Math.Max(x0, e.MinX);
            x1 = Math.Min(x1, e.MaxX);
            y0 = Math.Max(y0, e.MinY);
            y1 = Math.Min(y1, e.MaxY);
        }

        var px = b.Px;
        var col0 = (int)Math.Max(0, Math.Ceiling((x0 - b.X0) / px - 1e-6));
        var col1 = (int)Math.Min(b.Width, Math.Floor((x1 - b.X0) / px + 1e-6));
        var row0 = (int)Math.Max(0, Math.Ceiling((b.Y0 - y1) / px - 1e-6));
        var row1 = (int)Math.Min(b.Height, Math.Floor((b.Y0 - y0) / px + 1e-6));
        var (mx, my) = MetresPerUnit(crs.Value, (x0 + x1) / 2, (y0 + y1) / 2);
        var gsdM = px * Math.Sqrt(mx * my);
        var f = Math.Max(1, (int)Math.Round(options.AnalysisGsdMetres / gsdM));
        // Analysis cells start on multiples of f so that they are the pixels of the orthophotos' factor-f overview.
        col0 = (col0 + f - 1) / f * f;
        row0 = (row0 + f - 1) / f * f;
        var wa = col1 > col0 ? (col1 - col0) / f : 0;
        var ha = row1 > row0 ? (row1 - row0) / f : 0;
        if (wa < 16 || ha < 16)
        {
            return Failure.Invalid(ChangeFailureCodes.NoOverlap, input.Area is null
                ? "The two surveys do not overlap (or overlap by less than 16 analysis pixels)."
                : "The area limit does not overlap both surveys (or by less than 16 analysis pixels).");
        }

        return new PairLayout
        {
            Before = b, After = a, BeforeDsm = bd, AfterDsm = ad, Crs = crs.Value, F = f, Col0 = col0, Row0 = row0, Wa = wa, Ha = ha,
            AfterOffsetX = (b.X0 - a.X0) / px, AfterOffsetY = (a.Y0 - b.Y0) / px, MetresPerUnitX = mx, MetresPerUnitY = my, Area = area,
            UseOverviews = options.UseOverviews,
        };
    }

    private static (double X, double Y) MetresPerUnit(CrsId crs, double x, double y)
    {
        if (!crs.IsGeographic) return (1, 1);
        var lat = y * Math.PI / 180;
        return (111_320 * Math.Cos(lat), 110_574);
    }

    private static bool SameCrs(GdalCrs a, GdalCrs b) => a.Epsg is { } ea && b.Epsg is { } eb ? ea == eb : a.Wkt == b.Wkt;

    private static string Name(GdalCrs c) => c.Epsg is { } e ? "EPSG:" + e : "an unidentified CRS";

    private static Result<(RasterInfo Info, GdalCrs Crs)> Inspect(string path, string role, bool dsm)
    {
        if (!File.Exists(path)) return Failure.NotFound(ChangeFailureCodes.SurveyUnreadable, "The file does not exist.", role);
        var opened = GdalDataset.Open(path, Options);
        if (!opened.IsOk) return Failure.Invalid(ChangeFailureCodes.SurveyUnreadable, "Not a readable GeoTIFF.", role);
        using var ds = opened.Value;
        if (ds.Crs is not { } crs) return Failure.Invalid(ChangeFailureCodes.CrsMismatch, "The raster has no CRS.", role);
        if (ds.GeoTransform is not { IsNorthUp: true, IsFinite: true } gt || Math.Abs(gt.PixelSizeX + gt.PixelSizeY) > 1e-6 * gt.PixelSizeX)
            return Failure.Invalid(ChangeFailureCodes.SurveyUnsupported, "The raster is not georeferenced north-up with square pixels.", role);
        if (dsm)
        {
            if (ds.BandCount < 1) return Failure.Invalid(ChangeFailureCodes.SurveyUnsupported, "A DSM needs one band of heights.", role);
            return (new RasterInfo(path, ds.Width, ds.Height, gt, 1, false, ds.MaskKind(1), ds.NoData(1)), crs);
        }

        if (ds.BandCount is not (3 or 4))
            return Failure.Invalid(ChangeFailureCodes.SurveyUnsupported, $"{ds.BandCount} bands; an orthophoto has 3 (RGB) or 4 (RGBA).", role);
        for (var i = 1; i <= 3; i++)
        {
            if (ds.BandDataType(i) != GdalDataType.Byte)
                return Failure.Invalid(ChangeFailureCodes.SurveyUnsupported, $"Band {i} is {ds.BandDataType(i)}; orthophotos are 8-bit.", role);
        }

        var alpha = ds.BandCount == 4 && ds.BandColorInterpretation(4) == GdalColorInterpretation.Alpha && ds.BandDataType(4) == GdalDataType.Byte;
        return (new RasterInfo(path, ds.Width, ds.Height, gt, ds.BandCount, alpha, ds.MaskKind(1), null), crs);
    }
}
