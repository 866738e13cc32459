using System.Globalization;
using System.Text;
using Geo.Formats;
using Geo.GridService.Census;
using Geo.GridService.Codes;
using Geo.Spatial.Crs;
using Geo.Spatial.Failures;
using nietras.SeparatedValues;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Geo.GridService.Host.Census;

/// <summary>How an import runs.</summary>
/// <param name="Crs">CRS of the coordinates (CSV x/y or WKT columns; vector files without a declared CRS). Default EPSG:4326.</param>
/// <param name="DryRun">Check every row (duplicates against the store included) and store nothing.</param>
/// <param name="KeepValid">Store the valid rows even when some are rejected (otherwise all-or-nothing).</param>
/// <param name="Rejects">Where to write the rejected rows as CSV (row, field, code, message); optional.</param>
public sealed record CensusImportOptions(CrsId? Crs = null, bool DryRun = false, bool KeepValid = false, TextWriter? Rejects = null,
    AuditActor? Actor = null, string? Source = null);

/// <summary>One rejected row: its number (1 = first data row), the field, the reason code and a message.</summary>
public sealed record CensusReject(long Row, string Field, string Code, string Message);

/// <summary>What an import did.</summary>
/// <param name="Rejects">The first <see cref="CensusImport.MaxReportedRejects"/> rejects (all are in the rejects file).</param>
public sealed record CensusImportReport(long Rows, long Stored, long Rejected, bool DryRun, bool Committed, string Crs,
    IReadOnlyList<CensusReject> Rejects);

/// <summary>
/// The census bulk import shared by the CLI and HTTP: CSV (streamed with Sep: x/y coordinate columns or a WKT column,
/// plus a CRS), GeoJSON, GeoPackage and zipped Shapefile (through <see cref="VectorReader"/>). Each row is validated
/// (<see cref="ComponentValidator"/>) and written through one bulk transaction, so duplicates against the store are
/// found on a dry run too; the transaction commits only when every row is valid (or, with KeepValid, the valid rows),
/// never on a dry run. Memory is bounded: rows are not kept, and only the first rejects are kept in the report.
/// </summary>
public sealed class CensusImport(CensusService census)
{
    public const int MaxReportedRejects = 1000;

    private static readonly string[] CodeColumns = ["code", "标识码", "部件标识码", "bsm"];
    private static readonly string[] ClassColumns = ["class", "class_code", "类别", "小类", "小类代码", "部件小类"];
    private static readonly string[] NameColumns = ["name", "名称", "部件名称"];
    private static readonly string[] XColumns = ["x", "lon", "lng", "longitude", "经度", "easting"];
    private static readonly string[] YColumns = ["y", "lat", "latitude", "纬度", "northing"];
    private static readonly string[] WktColumns = ["wkt", "geometry", "geom", "几何"];
    private static readonly string[] CompetentColumns = ["competent_department", "主管部门", "competent"];
    private static readonly string[] OwnerColumns = ["owner", "权属单位"];
    private static readonly string[] MaintainerColumns = ["maintainer", "养护单位"];
    private static readonly string[] StatusColumns = ["status", "状态"];
    private static readonly string[] FirstColumns = ["first_recorded", "初始日期"];
    private static readonly string[] ChangedColumns = ["last_changed", "变更日期"];
    private static readonly string[] SourceColumns = ["data_source", "source", "数据来源"];
    private static readonly string[] PhotoColumns = ["photos", "照片"];
    private static readonly string[] RemarkColumns = ["remarks", "备注"];
    private static readonly string[] AttributeColumns = ["attributes", "属性"];

    /// <summary>Imports a CSV stream (UTF-8, header row; comma or the separator Sep detects).</summary>
    /// <param name="progress">Receives (rows done, fraction of the stream read when its length is known).</param>
    public async Task<Result<CensusImportReport>> ImportCsvAsync(Stream stream, CensusImportOptions options, IProgress<(long Rows, double Fraction)>? progress = null,
        CancellationToken ct = default)
    {
        var crs = options.Crs ?? CrsId.Wgs84;
        var validatorResult = await census.ValidatorAsync(ct);
        if (!validatorResult.IsOk) return Result<CensusImportReport>.Fail(validatorResult.Failures);
        var validator = validatorResult.Value;

        // Strict UTF-8: a GBK file fails loudly instead of storing mojibake (SECURITY.md G8).
        using var text = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true,
            bufferSize: 1 << 16, leaveOpen: true);
        SepReader reader;
        try
        {
            reader = Sep.Reader(o => o with { Unescape = true, Trim = SepTrim.All, HasHeader = true, DisableColCountCheck = true }).From(text);
        }
        catch (DecoderFallbackException)
        {
            return Failure.Invalid("csv_encoding", "The CSV is not UTF-8 (GBK/GB18030 files must be saved as UTF-8 first).", "row 0");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or ArgumentException or InvalidOperationException)
        {
            return Failure.Invalid("csv_malformed", "The CSV header could not be read.", "row 0");
        }

        using (reader)
        {
            var names = reader.Header.ColNames.Select(n => n.Trim().TrimStart('\uFEFF')).ToArray();
            int Col(string[] candidates)
            {
                foreach (var c in candidates)
                    for (var i = 0; i < names.Length; i++)
                        if (string.Equals(names[i], c, StringComparison.OrdinalIgnoreCase)) return i;
                return -1;
            }
            int code = Col(CodeColumns), cls = Col(ClassColumns), name = Col(NameColumns), x = Col(XColumns), y = Col(YColumns),
                wkt = Col(WktColumns), competent = Col(CompetentColumns), owner = Col(OwnerColumns), maintainer = Col(MaintainerColumns),
                status = Col(StatusColumns), first = Col(FirstColumns), changed = Col(ChangedColumns), source = Col(SourceColumns),
                photos = Col(PhotoColumns), remarks = Col(RemarkColumns), attributes = Col(AttributeColumns);
            if (code < 0 && cls < 0)
                return Failure.Invalid("csv_columns", "The CSV needs a code (标识码) column, or a class column to number new components.", "row 0");
            if ((x < 0 || y < 0) && wkt < 0)
                return Failure.Invalid("csv_columns", "The CSV needs x and y (经度, 纬度) columns or a wkt column.", "row 0");

            var wktReader = new WKTReader(NtsGeometryServicesHolder.Services);
            var factory = NtsGeometryServicesHolder.Factory;
            var length = stream.CanSeek ? stream.Length : 0;
            var run = new Run(census, validator, options, crs);
            await run.BeginAsync(ct);
            await using (run)
            {
                try
                {
                    long row = 0;
                    string? lastClass = null, lastName = null, lastCompetent = null, lastOwner = null, lastMaintainer = null, lastStatus = null,
                        lastFirst = null, lastChanged = null, lastSource = null;
                    foreach (var r in reader)
                    {
                        row++;
                        if ((row & 4095) == 0)
                        {
                            ct.ThrowIfCancellationRequested();
                            progress?.Report((row, length > 0 ? Math.Min(1, (double)stream.Position / length) : 0));
                        }

                        Geometry? geometry = null;
                        string? geometryProblem = null;
                        if (x >= 0 && y >= 0 && (r[x].Span.Length > 0 || wkt < 0))
                        {
                            if (x < r.ColCount && y < r.ColCount
                                && double.TryParse(r[x].Span, NumberStyles.Float, CultureInfo.InvariantCulture, out var xv)
                                && double.TryParse(r[y].Span, NumberStyles.Float, CultureInfo.InvariantCulture, out var yv)
                                && double.IsFinite(xv) && double.IsFinite(yv))
                            {
                                if (!CoordinateConverter.IsInRange(crs, xv, yv)) geometryProblem = $"({xv}, {yv}) is not a coordinate in {crs.Name} (x = easting/longitude).";
                                else
                                {
                                    var (lon, lat) = crs.Kind == CrsKind.Cgcs2000 || crs.Kind == CrsKind.Wgs84 ? (xv, yv) : CoordinateConverter.ToCgcs2000(crs, xv, yv);
                                    geometry = factory.CreatePoint(new Coordinate(lon, lat));
                                }
                            }
                            else geometryProblem = "x and y must be finite numbers (x = easting/longitude, y = northing/latitude).";
                        }
                        else if (wkt >= 0 && Cell(r, wkt) is { } wktText)
                        {
                            try
                            {
                                var g = wktText.Length > 2_000_000 ? null : wktReader.Read(wktText);
                                if (g is null) geometryProblem = "The WKT is longer than 2,000,000 characters.";
                                else geometry = Transform(g, crs);
                            }
                            catch (Exception e) when (e is ParseException or ArgumentException or FormatException or InvalidOperationException)
                            {
                                geometryProblem = "The WKT could not be parsed.";
                            }
                        }

                        // Columns that repeat from row to row (class, name, status, departments, dates, source) reuse the
                        // previous row's string instead of allocating one per row.
                        var input = new ComponentInput(row, Cell(r, code), Same(r, cls, ref lastClass), Same(r, name, ref lastName), geometry,
                            Same(r, competent, ref lastCompetent), Same(r, owner, ref lastOwner), Same(r, maintainer, ref lastMaintainer),
                            Same(r, status, ref lastStatus), Same(r, first, ref lastFirst), Same(r, changed, ref lastChanged), Same(r, source, ref lastSource),
                            Cell(r, photos), Cell(r, remarks), Cell(r, attributes));
                        run.Row(input, geometryProblem);
                    }
                }
                catch (DecoderFallbackException)
                {
                    return Failure.Invalid("csv_encoding", $"The CSV is not UTF-8 near row {run.Rows + 1} (GBK/GB18030 files must be saved as UTF-8 first); nothing was stored.",
                        $"row {run.Rows + 1}");
                }
                catch (Exception e) when (e is InvalidDataException or FormatException)
                {
                    return Failure.Invalid("csv_malformed", $"The CSV could not be read after row {run.Rows}; nothing was stored.", $"row {run.Rows + 1}");
                }
                progress?.Report((run.Rows, 1));
                return await run.FinishAsync(ct);
            }
        }
    }

    /// <summary>Imports the features of a GeoJSON, GeoPackage or zipped Shapefile (read whole, within the reader's limits).</summary>
    public async Task<Result<CensusImportReport>> ImportFeaturesAsync(VectorFeatureSet set, CensusImportOptions options,
        IProgress<(long Rows, double Fraction)>? progress = null, CancellationToken ct = default)
    {
        CrsId crs;
        if (options.Crs is { } given) crs = given;
        else if (set.CrsHint is null) crs = CrsId.Wgs84;
        else
        {
            var parsed = CrsId.Parse(set.CrsHint);
            if (!parsed.IsOk) return Failure.Invalid("crs_unsupported", $"The file's CRS '{set.CrsHint}' is not supported; give one with crs.");
            crs = parsed.Value;
        }
        var validatorResult = await census.ValidatorAsync(ct);
        if (!validatorResult.IsOk) return Result<CensusImportReport>.Fail(validatorResult.Failures);
        var run = new Run(census, validatorResult.Value, options with { Crs = crs }, crs);
        await run.BeginAsync(ct);
        await using (run)
        {
            foreach (var f in set.Features)
            {
                var a = f.Attributes;
                string? Attr(string[] candidates)
                {
                    foreach (var c in candidates)
                        foreach (var (k, v) in a)
                            if (string.Equals(k, c, StringComparison.OrdinalIgnoreCase) && v is not null)
                                return Convert.ToString(v is DateTime dt ? DateOnly.FromDateTime(dt).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : v,
                                    CultureInfo.InvariantCulture) is { Length: > 0 } s ? s : null;
                    return null;
                }
                Geometry? geometry = null;
                string? problem = null;
                if (f.Geometry is { } g)
                {
                    try { geometry = Transform(g, crs); }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException) { problem = "The geometry could not be transformed to EPSG:4490."; }
                }
                var input = new ComponentInput(f.Index + 1, Attr(CodeColumns), Attr(ClassColumns), Attr(NameColumns), geometry, Attr(CompetentColumns),
                    Attr(OwnerColumns), Attr(MaintainerColumns), Attr(StatusColumns), Attr(FirstColumns), Attr(ChangedColumns), Attr(SourceColumns),
                    Attr(PhotoColumns), Attr(RemarkColumns), Attr(AttributeColumns));
                run.Row(input, problem);
                if ((run.Rows & 1023) == 0) progress?.Report((run.Rows, (double)run.Rows / Math.Max(1, set.Features.Count)));
            }
            progress?.Report((run.Rows, 1));
            return await run.FinishAsync(ct);
        }
    }

    private static string? Cell(SepReader.Row r, int c) => c >= 0 && c < r.ColCount && r[c].Span.Length > 0 ? r[c].ToString() : null;

    /// <summary><see cref="Cell"/>, returning <paramref name="last"/> itself when the cell holds the same text.</summary>
    private static string? Same(SepReader.Row r, int c, ref string? last)
    {
        if (c < 0 || c >= r.ColCount) return null;
        var span = r[c].Span;
        if (span.Length == 0) return null;
        if (last is not null && span.SequenceEqual(last)) return last;
        return last = span.ToString();
    }

    private static Geometry Transform(Geometry g, CrsId crs)
    {
        if (crs.Kind is CrsKind.Cgcs2000 or CrsKind.Wgs84)
        {
            var copy = NtsGeometryServicesHolder.Factory.CreateGeometry(g);
            return copy;
        }
        var t = CoordinateConverter.Transform(g, crs, CrsId.Cgcs2000);
        return NtsGeometryServicesHolder.Factory.CreateGeometry(t);
    }

    /// <summary>One import's state: the bulk writer, serial counters for rows without a code, rejects.</summary>
    private sealed class Run(CensusService census, ComponentValidator validator, CensusImportOptions options, CrsId crs) : IAsyncDisposable
    {
        private readonly List<CensusReject> _rejects = [];
        private readonly Dictionary<ClassCode, int> _nextSerial = [];
        private readonly DateOnly _today = Ownership.OwnershipSnapshot.Today();
        private ICensusBulkWriter? _writer;
        private long _rejected;

        public long Rows { get; private set; }

        public async Task BeginAsync(CancellationToken ct)
        {
            options.Rejects?.WriteLine("row,field,code,message");
            _writer = await census.Store.BeginBulkAsync(options.Actor ?? new AuditActor("cli:" + Environment.UserName), options.Source, ct);
        }

        /// <summary>Validates and writes one row (synchronous: the CSV row is a ref struct that cannot cross an await).</summary>
        public void Row(ComponentInput input, string? geometryProblem)
        {
            Rows++;
            if (geometryProblem is not null)
            {
                Reject(new CensusReject(input.Row, "geometry", CensusCodes.InvalidGeometry, geometryProblem));
                return;
            }
            if (string.IsNullOrWhiteSpace(input.Code) && input.Class is { } clsText && ComponentValidator.ParseComponentClass(clsText) is { } cls
                && validator.Taxonomy.ContainsMinor(cls))
            {
                // Read inside the bulk transaction (it sees this file's earlier rows); the writer holds the write lock, so no
                // other writer takes these serials.
                if (!_nextSerial.TryGetValue(cls, out var next)) next = _writer!.NextSerial(validator.County, cls);
                if (next <= ComponentCode.MaxSerial)
                {
                    input = input with { Code = ComponentCode.Create(validator.County, cls, next).Value };
                    _nextSerial[cls] = next + 1;
                }
            }
            var valid = validator.Validate(input, _today);
            if (!valid.IsOk)
            {
                foreach (var f in valid.Failures)
                    Reject(new CensusReject(input.Row, f.Extensions?.GetValueOrDefault("field") as string ?? "", f.Code, f.Message));
                return;
            }
            var added = _writer!.Add(valid.Value);
            if (added.IsOk && _nextSerial.Count > 0 && _nextSerial.TryGetValue(valid.Value.Class, out var pending) && valid.Value.Code.Serial >= pending)
                _nextSerial[valid.Value.Class] = valid.Value.Code.Serial + 1; // an explicit code above the counter moves it on
            if (!added.IsOk)
                Reject(new CensusReject(input.Row, "code", added.Failure.Code,
                    $"Component code {valid.Value.Code} already exists (in the store or earlier in this file)."));
        }

        private void Reject(CensusReject r)
        {
            if (_rejected == 0 || _rejects.Count == 0 || _rejects[^1].Row != r.Row) _rejected++;
            if (_rejects.Count < MaxReportedRejects) _rejects.Add(r);
            options.Rejects?.WriteLine(string.Join(',', r.Row.ToString(CultureInfo.InvariantCulture), CsvCell.Safe(r.Field), CsvCell.Safe(r.Code), CsvCell.Safe(r.Message)));
        }

        public async Task<Result<CensusImportReport>> FinishAsync(CancellationToken ct)
        {
            var stored = _writer!.Count;
            var commit = !options.DryRun && (_rejected == 0 || options.KeepValid) && stored > 0;
            if (commit) await _writer.CommitAsync(ct);
            var report = new CensusImportReport(Rows, commit ? stored : 0, _rejected, options.DryRun, commit, crs.Name, _rejects);
            if (!options.DryRun && !options.KeepValid && _rejected > 0)
            {
                var failures = _rejects.Select(r => new Failure(r.Code, r.Message, FailureKind.Invalid, $"row {r.Row}, field {r.Field}",
                    new Dictionary<string, object?> { ["row"] = r.Row, ["field"] = r.Field })).ToList();
                if (_rejected > _rejects.Count)
                    failures.Add(Failure.Invalid("more_rejects", $"{_rejected} rows were rejected in all; only the first {_rejects.Count} problems are listed."));
                failures.Insert(0, Failure.Invalid("import_rejected", $"{_rejected} of {Rows} rows were rejected; nothing was stored (all or nothing)."));
                return Result<CensusImportReport>.Fail(failures);
            }
            return report;
        }

        public async ValueTask DisposeAsync()
        {
            if (_writer is not null) await _writer.DisposeAsync();
            options.Rejects?.Flush();
        }
    }
}

/// <summary>The geometry factory of census geometries: SRID 4490, floating precision.</summary>
internal static class NtsGeometryServicesHolder
{
    public static readonly NetTopologySuite.NtsGeometryServices Services = new(new PrecisionModel(), 4490);
    public static readonly GeometryFactory Factory = Services.CreateGeometryFactory(4490);
}
