using System.Collections.Concurrent;
using System.Diagnostics;
using Geo.ChangeDetect.Findings;
using Geo.Spatial.Failures;
using NetTopologySuite.Geometries;
using NetTopologySuite.Simplify;
using OpenCvSharp;

namespace Geo.ChangeDetect.Surveys;

/// <summary>
/// The streaming survey-pair change detector (issue #5). Both orthophotos (and DSMs when both surveys have one) are
/// brought onto the before orthophoto's pixel grid over their overlap (optionally limited to an EPSG:4490 area
/// polygon); image-wide estimates (global shift, radiometry, DSM offset and ground, cue statistics) come from overviews
/// and samples (<see cref="GlobalEstimates"/>); then the overlap is streamed in strips of
/// <see cref="SurveyDetectionOptions.StripRows"/> analysis rows: each strip's analysis cells are read once (column
/// chunks in parallel, one GDAL dataset set per worker): from the orthophoto's factor-F internal overview when it has
/// one (ingested COGs do), else decoded at full resolution and averaged onto the analysis grid; tiles of a strip are
/// analysed in parallel once the strip below is decoded (<see cref="TileProcessor"/>), and objects are labelled per
/// strip and joined across seams (<see cref="StripObjects"/>). Decoding strip s, analysing strip s-2 and labelling
/// strip s-3 run together on all cores; at most four decoded strips are held, so memory does not grow with the image.
/// Candidates are polygons in the surveys' CRS (x = easting or longitude, y = northing or latitude).
/// </summary>
public sealed class SurveyPairDetector(SurveyDetectionOptions? options = null) : ISurveyChangeDetector
{
    private const int ChunkColumns = 512;
    private readonly SurveyDetectionOptions _options = options ?? SurveyDetectionOptions.Default;

    /// <inheritdoc />
    public Task<Result<IReadOnlyList<ChangeCandidate>>> DetectAsync(SurveyPairInput input, IProgress<DetectionProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Task.Run(() => Detect(input, progress, ct), ct);
    }

    /// <summary>Synchronous form of <see cref="DetectAsync"/> (CLI, benchmarks).</summary>
    public Result<IReadOnlyList<ChangeCandidate>> Detect(SurveyPairInput input, IProgress<DetectionProgress>? progress, CancellationToken ct)
    {
        var valid = _options.Validate();
        if (!valid.IsOk) return Result<IReadOnlyList<ChangeCandidate>>.Fail(valid.Failures);
        progress?.Report(new DetectionProgress(0, "pixel grids"));
        var matched = GridMatching.Match(input, _options.TemporaryDirectory, ct);
        if (!matched.IsOk) return Result<IReadOnlyList<ChangeCandidate>>.Fail(matched.Failures);
        using var pair = matched.Value;
        return DetectOnOneGrid(pair.Input, progress, ct);
    }

    private Result<IReadOnlyList<ChangeCandidate>> DetectOnOneGrid(SurveyPairInput input, IProgress<DetectionProgress>? progress, CancellationToken ct)
    {
        var layoutResult = PairLayout.Create(input, _options);
        if (!layoutResult.IsOk) return Result<IReadOnlyList<ChangeCandidate>>.Fail(layoutResult.Failures);
        var layout = layoutResult.Value;
        progress?.Report(new DetectionProgress(0, "global estimates"));
        var pool = new ConcurrentBag<SurveyReaders>();
        GlobalModel? model = null;
        SurveyReaders? first = null;
        try
        {
            first = SurveyReaders.Open(layout);
            var second = SurveyReaders.Open(layout, first);
            pool.Add(second);
            var t0 = Profile.Start();
            var m = GlobalEstimates.Estimate(layout, first, _options, ct, _options.WorkerCount > 1 ? second : null);
            Profile.Stop("global estimates", t0);
            if (!m.IsOk) return Result<IReadOnlyList<ChangeCandidate>>.Fail(m.Failures);
            model = m.Value;
            progress?.Report(new DetectionProgress(0.05, "streaming"));
            t0 = Profile.Start();
            var result = new Run(layout, model, _options, pool, first, progress, ct).Execute();
            Profile.Stop("streaming", t0);
            Profile.Print();
            return result;
        }
        finally
        {
            foreach (var r in pool) r.Dispose();
            first?.Dispose(); // owns the DSM datasets the pool's readers share
            model?.Ground?.Dispose();
        }
    }

    private sealed class DecodedStrip(int width, int rows) : IDisposable
    {
        public int Rows { get; } = rows;
        public Mat BeforeRgb { get; } = new(rows, width, MatType.CV_8UC3, Scalar.All(0));
        public Mat BeforeValid { get; } = new(rows, width, MatType.CV_8UC1, Scalar.All(0));
        public Mat AfterRgb { get; } = new(rows, width, MatType.CV_8UC3, Scalar.All(0));
        public Mat AfterValid { get; } = new(rows, width, MatType.CV_8UC1, Scalar.All(0));

        public void Dispose()
        {
            BeforeRgb.Dispose(); BeforeValid.Dispose(); AfterRgb.Dispose(); AfterValid.Dispose();
        }
    }

    private sealed class Run(PairLayout layout, GlobalModel model, SurveyDetectionOptions options, ConcurrentBag<SurveyReaders> pool,
        SurveyReaders dsmOwner, IProgress<DetectionProgress>? progress, CancellationToken ct)
    {
        private readonly int _m = TileAnalysis.Margin;
        private readonly int StripRows = options.StripRows;
        private readonly int _n = (layout.Ha + options.StripRows - 1) / options.StripRows;
        private readonly Dictionary<int, DecodedStrip> _decoded = [];
        private readonly Dictionary<int, CellPlanes> _analysed = [];
        private readonly List<ChangeCandidate> _candidates = [];
        private readonly GeometryFactory _factory = new();
        private readonly TileProcessor _tiles = new(layout, model, options);
        private StripObjects[] _layers = [];
        private Failure? _failure;

        private int Rows(int k) => Math.Min(StripRows, layout.Ha - k * StripRows);

        public Result<IReadOnlyList<ChangeCandidate>> Execute()
        {
            _layers = layout.HasDsm
                ? [new(ObjectLayer.Gain, Closed), new(ObjectLayer.Loss, Closed), new(ObjectLayer.Image, Closed)]
                : [new(ObjectLayer.Image, Closed)];
            var clock = Stopwatch.StartNew();
            var lastReport = TimeSpan.Zero;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var po = new ParallelOptions { MaxDegreeOfParallelism = options.WorkerCount, CancellationToken = stop.Token };
            try
            {
                for (var s = 0; s < _n + 3; s++)
                {
                    var work = new List<Action<SurveyReaders>>();
                    if (s < _n)
                    {
                        var k = s;
                        _decoded[k] = new DecodedStrip(layout.Wa + 2 * _m, Rows(k));
                        for (var c = -_m; c < layout.Wa + _m; c += ChunkColumns)
                        {
                            var c0 = c;
                            work.Add(r => Decode(r, k, c0, Math.Min(ChunkColumns, layout.Wa + _m - c0)));
                        }
                    }

                    if (s - 2 >= 0 && s - 2 < _n)
                    {
                        var k = s - 2;
                        _analysed[k] = new CellPlanes(layout.Wa, Rows(k));
                        for (var c = 0; c < layout.Wa; c += ChunkColumns)
                        {
                            var c0 = c;
                            work.Add(r => Analyse(r, k, c0, Math.Min(ChunkColumns, layout.Wa - c0)));
                        }
                    }

                    if (s - 3 >= 0 && s - 3 < _n)
                    {
                        var k = s - 3;
                        foreach (var layer in _layers) work.Add(_ => Label(layer, k)); // layers are independent
                    }

                    Parallel.ForEach(work, po, item =>
                    {
                        if (!pool.TryTake(out var readers)) readers = SurveyReaders.Open(layout, dsmOwner);
                        try
                        {
                            var t0 = Profile.Start();
                            item(readers);
                            Profile.Stop("item " + item.Method.Name, t0);
                        }
                        finally
                        {
                            pool.Add(readers);
                        }

                        if (_failure is not null) stop.Cancel();
                    });
                    if (_failure is not null) return _failure;
                    if (_decoded.Remove(s - 3, out var old)) old.Dispose();
                    if (_analysed.Remove(s - 3, out var done)) done.Dispose();
                    if (progress is not null && (clock.Elapsed - lastReport).TotalMilliseconds >= 200)
                    {
                        lastReport = clock.Elapsed;
                        progress.Report(new DetectionProgress(0.05 + 0.95 * (s + 1) / (_n + 3), "streaming"));
                    }
                }
            }
            catch (OperationCanceledException) when (_failure is not null)
            {
                return _failure;
            }
            finally
            {
                foreach (var d in _decoded.Values) d.Dispose();
                foreach (var a in _analysed.Values) a.Dispose();
            }

            progress?.Report(new DetectionProgress(1, "done"));
            IReadOnlyList<ChangeCandidate> list = _candidates
                .OrderByDescending(c => c.Polygon.EnvelopeInternal.MaxY).ThenBy(c => c.Polygon.EnvelopeInternal.MinX).ToList();
            return Result<IReadOnlyList<ChangeCandidate>>.Ok(list);
        }

        private void Fail(Failure f)
        {
            lock (_candidates) _failure ??= f;
        }

        private void Decode(SurveyReaders r, int k, int c0, int width)
        {
            var strip = _decoded[k];
            var f = layout.F;
            var x = layout.Col0 + c0 * f;
            var y = layout.Row0 + k * StripRows * f;
            using var rgb = new Mat();
            using var valid = new Mat();
            var dst = new Rect(c0 + _m, 0, width, strip.Rows);
            foreach (var after in new[] { false, true })
            {
                var read = after
                    ? r.ReadOrtho(true, x + model.OffsetX, y + model.OffsetY, width, strip.Rows, rgb, valid)
                    : r.ReadOrtho(false, x, y, width, strip.Rows, rgb, valid);
                if (!read.IsOk)
                {
                    Fail(read.Failure);
                    return;
                }

                using var drgb = new Mat(after ? strip.AfterRgb : strip.BeforeRgb, dst);
                using var dv = new Mat(after ? strip.AfterValid : strip.BeforeValid, dst);
                rgb.CopyTo(drgb);
                valid.CopyTo(dv);
            }
        }

        private void Analyse(SurveyReaders r, int k, int c0, int coreW)
        {
            var coreH = Rows(k);
            using var t = new TileInputs(c0 - _m, k * StripRows - _m, coreW + 2 * _m, coreH + 2 * _m);
            // Rows from the strip above (its last rows), this strip, the strip below (its first rows).
            var cols = new Rect(c0, 0, coreW + 2 * _m, 0); // strip column index = analysis column + margin
            CopyRows(k - 1, Math.Max(0, (k - 1 >= 0 ? Rows(k - 1) : 0) - _m), _m, 0, t, cols, top: true);
            CopyRows(k, 0, coreH, _m, t, cols, top: false);
            CopyRows(k + 1, 0, Math.Min(_m, k + 1 < _n ? Rows(k + 1) : 0), _m + coreH, t, cols, top: false);
            var res = _tiles.Process(t, coreW, coreH, r, _analysed[k], c0, 0);
            if (!res.IsOk) Fail(res.Failure);
        }

        private void CopyRows(int k, int fromRow, int count, int toRow, TileInputs t, Rect cols, bool top)
        {
            if (k < 0 || k >= _n || count <= 0) return;
            var strip = _decoded[k];
            if (top) count = Math.Min(count, strip.Rows);
            var src = new Rect(cols.X, fromRow, cols.Width, count);
            var dst = new Rect(0, top ? _m - count : toRow, cols.Width, count);
            foreach (var (s, d) in new[] { (strip.BeforeRgb, t.BeforeRgb), (strip.BeforeValid, t.BeforeValid), (strip.AfterRgb, t.AfterRgb), (strip.AfterValid, t.AfterValid) })
            {
                using var a = new Mat(s, src);
                using var b = new Mat(d, dst);
                a.CopyTo(b);
            }
        }

        private void Label(StripObjects layer, int k) => layer.Add(_analysed[k], k * StripRows, k == _n - 1);

        private void Closed(ObjectLayer layer, ObjectAccumulator acc)
        {
            var pixelArea = layout.PixelAreaM2;
            var area = acc.Pixels * pixelArea;
            if (area < options.MinAreaSquareMetres) return;
            double? meanDh = acc.DhCount > 0 ? acc.SumDh / acc.DhCount : null;
            double? maxDh = acc.DhCount > 0 ? acc.ExtremeDh : null;
            var meanAbove = acc.DhCount > 0 ? acc.SumAbove / acc.DhCount : 0;
            var meanScore = acc.SumScore / acc.Pixels;
            ChangeKind kind;
            double confidence;
            switch (layer)
            {
                case ObjectLayer.Gain:
                    kind = meanAbove >= options.ExtensionAboveGroundMetres ? ChangeKind.Extension : ChangeKind.NewStructure;
                    confidence = 1 - Math.Exp(-Math.Abs(meanDh ?? 0) / options.HeightChangeMetres);
                    break;
                case ObjectLayer.Loss:
                    kind = ChangeKind.Demolition;
                    confidence = 1 - Math.Exp(-Math.Abs(meanDh ?? 0) / options.HeightChangeMetres);
                    break;
                default:
                    if (layout.HasDsm)
                    {
                        var wall = acc.Weak * pixelArea;
                        if (wall < options.MinWallEvidenceSquareMetres) return;
                        kind = ChangeKind.NewStructure;
                        confidence = 0.3 + 0.3 * (1 - Math.Exp(-Math.Max(0, meanScore) / 2)) + 0.2 * Math.Min(1, wall / (5 * options.MinWallEvidenceSquareMetres));
                    }
                    else
                    {
                        kind = ChangeKind.Other;
                        meanDh = maxDh = null;
                        confidence = 1 - Math.Exp(-Math.Max(0, meanScore) / 2);
                    }

                    break;
            }

            var tp = Profile.Start();
            var outline = acc.Outline(_factory);
            Profile.Stop("outline", tp);
            if (outline is null) return;
            tp = Profile.Start();
            var simplified = TopologyPreservingSimplifier.Simplify(outline, 0.5) as Polygon ?? outline;
            Profile.Stop("simplify", tp);
            var perimeter = simplified.ExteriorRing.Length;
            if (perimeter <= 0 || 4 * Math.PI * simplified.Area / (perimeter * perimeter) < options.MinCompactness) return;
            var x0 = layout.OriginX;
            var y0 = layout.OriginY;
            var a = layout.A;
            var poly = (Polygon)simplified.Copy();
            poly.Apply(new PixelToCrs(x0, y0, a));
            poly.GeometryChanged();
            Polygon final = poly;
            if (layout.Area is { } limit)
            {
                var clipped = poly.Intersection(limit);
                var part = clipped switch
                {
                    Polygon p => p,
                    MultiPolygon mp => mp.Geometries.OfType<Polygon>().MaxBy(p => p.Area),
                    GeometryCollection gc => gc.Geometries.OfType<Polygon>().MaxBy(p => p.Area),
                    _ => null,
                };
                if (part is null || part.IsEmpty) return;
                if (part.Area * layout.MetresPerUnitX * layout.MetresPerUnitY < options.MinAreaSquareMetres) return;
                final = part;
            }

            final.Normalize();
            final.SRID = layout.Crs.Epsg ?? 0;
            var c = new ChangeCandidate(final, layout.Crs, kind, Round(meanDh), Round(maxDh), Math.Round(Math.Clamp(confidence, 0.01, 0.99), 3));
            lock (_candidates) _candidates.Add(c);
        }

        private static double? Round(double? v) => v is { } x ? Math.Round(x, 2) : null;
    }

    private sealed class PixelToCrs(double x0, double y0, double a) : ICoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            seq.SetX(i, x0 + seq.GetX(i) * a);
            seq.SetY(i, y0 - seq.GetY(i) * a);
        }
    }
}
