using System.Runtime.CompilerServices;
using Geo.Spatial.Failures;
using OpenCvSharp;

namespace Geo.ChangeDetect.Surveys;

/// <summary>
/// The image-wide estimates made before streaming, none on the full image: the global shift on an overview of at most
/// about 2048 px a side (gradient phase correlation, kept only if it raises the gradients' correlation), the
/// radiometric map on the same overview (invariant-pixel refits), the DSM's vertical offset (median of after - before)
/// and a coarse ground model (morphological opening of the before DSM over 40 m) on a DSM overview, and the image
/// cues' statistics and score threshold on up to 12 sample tiles read at full resolution.
/// </summary>
internal static class GlobalEstimates
{
    private const int OverviewSide = 2048;
    private const int SampleTiles = 12;
    private const int SampleCore = 256;
    private const int GainSamples = 65536;

    /// <summary>Makes the estimates. <paramref name="second"/>: another worker's readers, so that reads run on two
    /// cores (optional).</summary>
    public static Result<GlobalModel> Estimate(PairLayout layout, SurveyReaders readers, SurveyDetectionOptions options, CancellationToken ct,
        SurveyReaders? second = null)
    {
        var f = layout.F;
        int w = layout.Wa * f, h = layout.Ha * f;
        // Not coarser: at 1024 px the committed pair's (3, 2) px shift came out 1.3 px off (JPEG overviews, shadows).
        var side = OverviewSide;
        var g = Math.Max(1, (int)Math.Ceiling(Math.Max(w, h) / (double)side));
        int bw = Math.Max(1, w / g), bh = Math.Max(1, h / g);
        var ox0 = (int)Math.Round(layout.AfterOffsetX);
        var oy0 = (int)Math.Round(layout.AfterOffsetY);
        using var rgbA = new Mat();
        using var vA = new Mat();
        using var rgbB = new Mat();
        using var vB = new Mat();
        var t0 = Profile.Start();
        Result<int> r = 0, r2 = 0;
        if (second is null)
        {
            r = readers.ReadOrthoOverview(false, layout.Col0, layout.Row0, w, h, bw, bh, rgbA, vA);
            if (r.IsOk) r2 = readers.ReadOrthoOverview(true, layout.Col0 + ox0, layout.Row0 + oy0, w, h, bw, bh, rgbB, vB);
        }
        else
        {
            Parallel.Invoke(
                () => r = readers.ReadOrthoOverview(false, layout.Col0, layout.Row0, w, h, bw, bh, rgbA, vA),
                () => r2 = second.ReadOrthoOverview(true, layout.Col0 + ox0, layout.Row0 + oy0, w, h, bw, bh, rgbB, vB));
        }

        if (!r.IsOk) return Result<GlobalModel>.Fail(r.Failures);
        if (!r2.IsOk) return Result<GlobalModel>.Fail(r2.Failures);
        ct.ThrowIfCancellationRequested();
        Profile.Stop("g: overview read", t0);
        t0 = Profile.Start();

        Mat? gA = null, gB = null;
        Parallel.Invoke(() => gA = GreyGradient(rgbA, vA), () => gB = GreyGradient(rgbB, vB));
        using var ga = gA!;
        using var gb = gB!;
        Profile.Stop("g: shift: gradients", t0);
        var t1 = Profile.Start();
        // The median of many windows' shifts, not one phase correlation over the whole overview: changed shadows
        // (another sun) and new buildings make secondary peaks that pull a single whole-image estimate off.
        // Phase correlation in small windows underestimates larger shifts (the window tapers what moved in): refine
        // twice on the after gradients translated by the estimate so far.
        var shift = WindowedShift(ga, gb) ?? Registration.EstimateShift(ga, gb);
        // Stop early once a refinement moves the estimate by less than a tenth of an overview pixel (converged).
        for (var i = 0; i < 2 && shift.Response > 0; i++)
        {
            using var moved = Registration.Translate(gb, shift.Dx, shift.Dy);
            if (WindowedShift(ga, moved) is not { } rest) break;
            shift = shift with { Dx = shift.Dx + rest.Dx, Dy = shift.Dy + rest.Dy };
            if (Math.Abs(rest.Dx) < 0.1 && Math.Abs(rest.Dy) < 0.1) break;
        }

        Profile.Stop("g: shift: windows", t1);
        t1 = Profile.Start();
        var maxOv = options.MaxShiftPixels / g;
        var margin = (int)Math.Ceiling(Math.Min(maxOv, Math.Max(Math.Abs(shift.Dx), Math.Abs(shift.Dy)))) + 2;
        if (Math.Abs(shift.Dx) > maxOv || Math.Abs(shift.Dy) > maxOv)
        {
            shift = shift with { Dx = 0, Dy = 0 };
        }
        else
        {
            double moved = 0, still = 0;
            var (sdx, sdy) = (shift.Dx, shift.Dy);
            Parallel.Invoke(() => moved = Correlation(ga, gb, sdx, sdy, margin), () => still = Correlation(ga, gb, 0, 0, margin));
            if (moved < still + 0.01) shift = shift with { Dx = 0, Dy = 0 };
        }

        Profile.Stop("g: shift: check", t1);
        t0 = Profile.Start();
        var totalX = ox0 + shift.Dx * g;
        var totalY = oy0 + shift.Dy * g;
        // The integer part in whole analysis cells (reads stay on the after orthophoto's overview grid), the rest
        // (at most half a cell) goes to the local field's prior.
        var offX = (int)Math.Round(totalX / f) * f;
        var offY = (int)Math.Round(totalY / f) * f;

        var model = new GlobalModel
        {
            OffsetX = offX, OffsetY = offY, FracX = (totalX - offX) / f, FracY = (totalY - offY) / f, Gains = [],
            GlobalShift = new Shift(shift.Dx * g, shift.Dy * g, shift.Response),
        };

        // The DSM model (offset, ground) needs the shift, not the gains nor the cue statistics: it runs beside the
        // gain fit and the sample pass (its reads use the DSM datasets only, under their lock).
        var dsmTask = layout.HasDsm
            ? Task.Run(() =>
            {
                var td = Profile.Start();
                var r = DsmModel(layout, readers, model);
                Profile.Stop("g: dsm model", td);
                return r;
            }, CancellationToken.None)
            : Task.FromResult<Result<int>>(0);
        Result<CueStats> samples;
        var ok = false;
        try
        {
            // Radiometry on the overview, after the shift, valid pixels only, on a regular grid of about 65k points
            // (the fit's own sample size).
            model.Gains = FitGains(rgbA, vA, rgbB, vB, shift.Dx, shift.Dy);
            ct.ThrowIfCancellationRequested();
            Profile.Stop("g: gains", t0);
            t0 = Profile.Start();
            samples = Samples(layout, readers, second, model, options, ct);
            Profile.Stop("g: samples", t0);
            ok = true;
        }
        finally
        {
            // Never leave the DSM task running past this call (it reads through the caller's readers); the caller
            // owns the ground model only when the estimates succeed.
            ((IAsyncResult)dsmTask).AsyncWaitHandle.WaitOne();
            if (!ok) model.Ground?.Dispose();
        }

        var dsm = dsmTask.Result;
        if (!dsm.IsOk || !samples.IsOk)
        {
            model.Ground?.Dispose();
            return Result<GlobalModel>.Fail(dsm.IsOk ? samples.Failures : dsm.Failures);
        }

        model.Stats = samples.Value;
        Profile.Note(() => $"model: shift ({model.GlobalShift.Dx:0.000}, {model.GlobalShift.Dy:0.000}) px, gains "
            + string.Join(" ", model.Gains.Select(q => $"{q.Gain:0.0000}/{q.Offset:0.00}")) + $", threshold {model.Stats?.Threshold:0.0000}, dsm offset {model.DsmOffset:0.000}");
        return model;
    }

    /// <summary>Gradient magnitude of the 8-bit RGB overview's grey (CV_32FC1).</summary>
    private static Mat GreyGradient(Mat rgb, Mat valid)
    {
        using var grey8 = new Mat();
        Cv2.CvtColor(rgb, grey8, ColorConversionCodes.RGB2GRAY);
        using var grey = new Mat();
        grey8.ConvertTo(grey, MatType.CV_32FC1);
        return TileAnalysis.Gradient(grey, valid);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    private static Shift? WindowedShift(Mat gA, Mat gB)
    {
        const int win = 128;
        var size = gA.Size();
        // At most about 12 x 12 windows, spread evenly; measured in parallel.
        var stepX = Math.Max(win, (size.Width - win) / 12);
        var stepY = Math.Max(win, (size.Height - win) / 12);
        var rects = new List<Rect>();
        for (var y = 0; y + win <= size.Height; y += stepY)
        for (var x = 0; x + win <= size.Width; x += stepX)
            rects.Add(new Rect(x, y, win, win));
        var found = new (double X, double Y, double R)?[rects.Count];
        Parallel.For(0, rects.Count, i =>
        {
            using var hann = new Mat();
            Cv2.CreateHanningWindow(hann, new Size(win, win), MatType.CV_32FC1);
            using var a = new Mat(gA, rects[i]);
            using var b = new Mat(gB, rects[i]);
            if (Cv2.CountNonZero(a) < win * win / 2 || Cv2.CountNonZero(b) < win * win / 2) return;
            var p = Cv2.PhaseCorrelate(a, b, hann, out var response);
            if (response >= 0.15) found[i] = (p.X, p.Y, response);
        });
        var ok = found.OfType<(double X, double Y, double R)>().ToList();
        if (ok.Count < 5) return null;
        var xs = ok.Select(o => o.X).Order().ToList();
        var ys = ok.Select(o => o.Y).Order().ToList();
        return new Shift(xs[xs.Count / 2], ys[ys.Count / 2], ok.Average(o => o.R));
    }

    /// <summary>
    /// Fits the after -> before band map on a regular grid of about <see cref="GainSamples"/> overview pixels (what
    /// <see cref="RadiometricNormalisation.Fit"/> would subsample to anyway): before pixel (x, y) against the after
    /// overview at (x + dx, y + dy) (bilinear, the global shift in overview pixels), where the before pixel is valid and
    /// the after validity interpolates above 200; points whose after position falls outside the overview are skipped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    internal static BandGain[] FitGains(Mat rgbA, Mat validA, Mat rgbB, Mat validB, double dx, double dy)
    {
        var w = rgbA.Cols;
        var h = rgbA.Rows;
        var stride = Math.Max(1, (int)Math.Sqrt((double)w * h / GainSamples));
        var pa = MatSpan.Bytes(rgbA);
        var pb = MatSpan.Bytes(rgbB);
        var ma = MatSpan.Bytes(validA);
        var mb = MatSpan.Bytes(validB);
        var wb = rgbB.Cols;
        var hb = rgbB.Rows;
        var xs = new List<float>();
        var ys = new List<float>();
        for (var y = stride / 2; y < h; y += stride)
        {
            var sy = y + dy;
            var y0 = (int)Math.Floor(sy);
            if (y0 < 0 || y0 + 1 >= hb) continue;
            var fy = (float)(sy - y0);
            for (var x = stride / 2; x < w; x += stride)
            {
                if (ma[y * w + x] == 0) continue;
                var sx = x + dx;
                var x0 = (int)Math.Floor(sx);
                if (x0 < 0 || x0 + 1 >= wb) continue;
                var fx = (float)(sx - x0);
                int i00 = y0 * wb + x0, i01 = i00 + 1, i10 = i00 + wb, i11 = i10 + 1;
                float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
                if (w00 * mb[i00] + w01 * mb[i01] + w10 * mb[i10] + w11 * mb[i11] <= 200) continue;
                var ia = (y * w + x) * 3;
                for (var c = 0; c < 3; c++)
                {
                    xs.Add(pa[ia + c]);
                    ys.Add(w00 * pb[i00 * 3 + c] + w01 * pb[i01 * 3 + c] + w10 * pb[i10 * 3 + c] + w11 * pb[i11 * 3 + c]);
                }
            }
        }

        var n = xs.Count / 3;
        if (n < 64) return [new(1, 0), new(1, 0), new(1, 0)];
        using var ca = new Mat(n, 1, MatType.CV_32FC3);
        using var cb = new Mat(n, 1, MatType.CV_32FC3);
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(xs).CopyTo(MatSpan.Floats(ca));
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ys).CopyTo(MatSpan.Floats(cb));
        return RadiometricNormalisation.Fit(ca, cb);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    private static Result<int> DsmModel(PairLayout layout, SurveyReaders readers, GlobalModel model)
    {
        var bd = layout.BeforeDsm!;
        var px = layout.Before.Px;
        var x0 = layout.OriginX;
        var y1 = layout.OriginY;
        var x1 = x0 + layout.Wa * layout.A;
        var y0 = y1 - layout.Ha * layout.A;
        var reduce = Math.Max(1, (int)Math.Ceiling(Math.Max(x1 - x0, y1 - y0) / bd.Px / 512));
        var before = readers.ReadDsm(false, x0, y0, x1, y1, reduce);
        if (!before.IsOk) return Result<int>.Fail(before.Failures);
        // The after DSM over the same ground as seen by the after ortho (georeferencing + measured shift).
        var dx = (layout.Col0 + model.OffsetX + model.FracX * layout.F) * px + layout.After.X0 - x0;
        var dy = layout.After.Y0 - (layout.Row0 + model.OffsetY + model.FracY * layout.F) * px - y1;
        var after = readers.ReadDsm(true, x0 + dx, y0 + dy, x1 + dx, y1 + dy, reduce);
        if (!after.IsOk)
        {
            before.Value.Heights.Dispose();
            return Result<int>.Fail(after.Failures);
        }

        using var hb = before.Value.Heights;
        using var ha = after.Value.Heights;
        var sb = MatSpan.Floats(hb);
        var sa = MatSpan.Floats(ha);
        var diffs = new List<float>();
        if (hb.Size() == ha.Size())
        {
            for (var i = 0; i < sb.Length; i++)
            {
                if (!float.IsNaN(sb[i]) && !float.IsNaN(sa[i])) diffs.Add(sa[i] - sb[i]);
            }
        }

        model.DsmOffset = diffs.Count > 16 ? MatSpan.Quantile(diffs.ToArray(), 0.5) : 0f;

        // Ground: opening (min then max) over about 40 m, then smoothed; no data filled with the median height.
        var cell = bd.Px * reduce;
        var k = Math.Max(3, (int)Math.Round(40 / (cell * Math.Sqrt(layout.MetresPerUnitX * layout.MetresPerUnitY))) | 1);
        var valid = new List<float>();
        foreach (var v in sb) if (!float.IsNaN(v)) valid.Add(v);
        var fill = valid.Count > 0 ? MatSpan.Quantile(valid.ToArray(), 0.5) : 0f;
        using var hi = hb.Clone();
        var p = MatSpan.Floats(hi);
        for (var i = 0; i < p.Length; i++) if (float.IsNaN(p[i])) p[i] = 1e6f;
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(k, k));
        using var eroded = new Mat();
        Cv2.Erode(hi, eroded, kernel);
        var e = MatSpan.Floats(eroded);
        for (var i = 0; i < e.Length; i++) if (e[i] > 1e5f) e[i] = fill;
        using var opened = new Mat();
        Cv2.Dilate(eroded, opened, kernel);
        var ground = MatSpan.Blur(opened, k / 2.0);
        model.Ground = ground;
        model.GroundCell = cell;
        model.GroundX0 = bd.X0 + before.Value.X * bd.Px;
        model.GroundY0 = bd.Y0 - before.Value.Y * bd.Px;
        return 0;
    }

    /// <summary>Reads the padded tile with core at analysis (c0, r0) from both orthophotos' overviews at the analysis
    /// grid's resolution (GDAL picks the overview of factor F; statistics only, never the detection itself).</summary>
    public static Result<TileInputs> ReadTileOverview(PairLayout layout, GlobalModel model, SurveyReaders readers, int c0, int r0, int coreW, int coreH)
    {
        var m = TileAnalysis.Margin;
        var t = new TileInputs(c0 - m, r0 - m, coreW + 2 * m, coreH + 2 * m);
        var f = layout.F;
        var x = layout.Col0 + (c0 - m) * f;
        var y = layout.Row0 + (r0 - m) * f;
        var r = readers.ReadOrthoOverview(false, x, y, t.Width * f, t.Height * f, t.Width, t.Height, t.BeforeRgb, t.BeforeValid);
        if (r.IsOk) r = readers.ReadOrthoOverview(true, x + model.OffsetX, y + model.OffsetY, t.Width * f, t.Height * f, t.Width, t.Height, t.AfterRgb, t.AfterValid);
        if (!r.IsOk)
        {
            t.Dispose();
            return Result<TileInputs>.Fail(r.Failures);
        }

        return t;
    }

    /// <summary>Reads the padded tile with core at analysis (c0, r0) from both orthophotos (full resolution, averaged).</summary>
    public static Result<TileInputs> ReadTile(PairLayout layout, GlobalModel model, SurveyReaders readers, int c0, int r0, int coreW, int coreH)
    {
        var m = TileAnalysis.Margin;
        var t = new TileInputs(c0 - m, r0 - m, coreW + 2 * m, coreH + 2 * m);
        var f = layout.F;
        var x = layout.Col0 + (c0 - m) * f;
        var y = layout.Row0 + (r0 - m) * f;
        var r = readers.ReadOrtho(false, x, y, t.Width, t.Height, t.BeforeRgb, t.BeforeValid);
        if (r.IsOk) r = readers.ReadOrtho(true, x + model.OffsetX, y + model.OffsetY, t.Width, t.Height, t.AfterRgb, t.AfterValid);
        if (!r.IsOk)
        {
            t.Dispose();
            return Result<TileInputs>.Fail(r.Failures);
        }

        return t;
    }

    private static Result<CueStats> Samples(PairLayout layout, SurveyReaders readers, SurveyReaders? second, GlobalModel model,
        SurveyDetectionOptions options, CancellationToken ct)
    {
        // Sample tiles are never smaller than SampleCore: a small area limit is sampled with its surroundings (the
        // statistics are of the imagery, not of the area).
        var core = SampleCore;
        var nx = Math.Max(1, Math.Min(3, layout.Wa / core));
        var ny = Math.Max(1, Math.Min(3, layout.Ha / core));
        var aligned = new List<(Mat A, Mat B, Mat Valid)>();
        var k = TileAnalysis.ScoreReduction(layout.HasDsm);
        try
        {
            var energies = new List<float>();
            var tiles = new List<TileInputs>();
            try
            {
                var tr = Profile.Start();
                // Read on two workers' datasets when given (alternate tiles), in a fixed order.
                var reads = new Result<TileInputs>[nx * ny];
                var readerSet = second is null ? new[] { readers } : [readers, second];
                Parallel.For(0, readerSet.Length, new ParallelOptions { CancellationToken = ct }, q =>
                {
                    for (var n = q; n < reads.Length; n += readerSet.Length)
                    {
                        var (i, j) = (n % nx, n / nx);
                        var c0 = (int)((i + 0.5) * layout.Wa / nx - core / 2.0);
                        var r0 = (int)((j + 0.5) * layout.Ha / ny - core / 2.0);
                        reads[n] = ReadTileOverview(layout, model, readerSet[q], c0, r0, core, core);
                    }
                });
                Profile.Stop("g: samples: read", tr);
                tr = Profile.Start();
                tiles.AddRange(reads.Where(x => x.IsOk).Select(x => x.Value));
                var bad = Array.FindIndex(reads, x => !x.IsOk);
                if (bad >= 0) return Result<CueStats>.Fail(reads[bad].Failures);

                var slots = new (Mat A, Mat B, Mat Valid)[tiles.Count];
                var energyOf = new float[tiles.Count];
                Parallel.For(0, tiles.Count, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = options.WorkerCount }, i =>
                {
                    var (a, b, valid, fx, fy) = TileAnalysis.Align(tiles[i], model);
                    fx.Dispose();
                    fy.Dispose();
                    slots[i] = (a, b, valid);
                    using var ra = TileAnalysis.Reduce(a, k);
                    using var lab = ChangeMeasure.ToLab(ra);
                    using var l = new Mat();
                    Cv2.ExtractChannel(lab, l, 0);
                    energyOf[i] = ChangeMeasure.TypicalEnergy(l);
                });
                aligned.AddRange(slots);
                energies.AddRange(energyOf);
                Profile.Stop("g: samples: align", tr);
            }
            finally
            {
                foreach (var t in tiles) t.Dispose();
            }

            var tc = Profile.Start();
            var typical = MatSpan.Quantile(energies.ToArray(), 0.5);
            var scoresOf = new List<float>[aligned.Count];
            CueStats stats;
            // Per tile in parallel, then joined in tile order (the statistics do not depend on the scheduling). The cues
            // are kept for the score pass (the score is their standardised sum, from the same reduced pair).
            var perTile = new (List<float> C, List<float> S, List<float> T)[aligned.Count];
            var cues = new (Mat A, Mat B, Mat C, Mat S, Mat T)?[aligned.Count];
            try
            {
                Parallel.For(0, aligned.Count, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = options.WorkerCount }, i =>
                {
                    var (a, b, valid) = aligned[i];
                    var ra = TileAnalysis.Reduce(a, k);
                    var rb = TileAnalysis.Reduce(b, k);
                    using var rv = TileAnalysis.Reduce(valid, k);
                    Cv2.Threshold(rv, rv, 254, 255, ThresholdTypes.Binary);
                    var (c, s, t) = TileAnalysis.Cues(ra, rb, typical);
                    cues[i] = (ra, rb, c, s, t);
                    perTile[i] = ([], [], []);
                    Collect(c, rv, perTile[i].C, TileAnalysis.Margin / k);
                    Collect(s, rv, perTile[i].S, TileAnalysis.Margin / k);
                    Collect(t, rv, perTile[i].T, TileAnalysis.Margin / k);
                });
                var colour = perTile.SelectMany(p => p.C).ToList();
                var structure = perTile.SelectMany(p => p.S).ToList();
                var texture = perTile.SelectMany(p => p.T).ToList();

                if (colour.Count < 100)
                {
                    return Failure.Invalid(ChangeFailureCodes.NoOverlap, "The surveys have almost no valid pixels in common.");
                }

                var (cm, cs) = MatSpan.RobustStats(colour.ToArray());
                var (sm, ss) = MatSpan.RobustStats(structure.ToArray());
                var (tm, ts) = MatSpan.RobustStats(texture.ToArray());
                stats = new CueStats(cm, cs, sm, ss, tm, ts, typical, 0, 1);
                Profile.Stop("g: samples: cues", tc);
                tc = Profile.Start();
                var gsd = layout.AnalysisGsdMetres;
                Parallel.For(0, aligned.Count, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = options.WorkerCount }, i =>
                {
                    var (a, _, valid) = aligned[i];
                    var (ra, rb, c, s, t) = cues[i]!.Value;
                    using var score = TileAnalysis.ScoreFromCues(ra, rb, c, s, t, stats, options.Measure, gsd, k, a.Size());
                    Collect(score, valid, scoresOf[i] = [], TileAnalysis.Margin);
                });
            }
            finally
            {
                foreach (var q in cues)
                {
                    if (q is not { } v) continue;
                    v.A.Dispose(); v.B.Dispose(); v.C.Dispose(); v.S.Dispose(); v.T.Dispose();
                }
            }

            var scores = scoresOf.SelectMany(x => x).ToList();

            var arr = scores.ToArray();
            Profile.Stop("g: samples: score", tc);
            return stats with { Threshold = Threshold(arr), Range = Math.Max(1e-3f, MatSpan.Quantile(arr, 0.995) - MatSpan.Quantile(arr, 0.01)) };
        }
        finally
        {
            foreach (var (a, b, v) in aligned) { a.Dispose(); b.Dispose(); v.Dispose(); }
        }
    }

    /// <summary>Otsu on the score between its 1st and 99.5th percentiles, but never below median + 3 robust sigmas
    /// (a pair with little change has no second mode for Otsu to find).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    private static float Threshold(float[] scores)
    {
        var lo = MatSpan.Quantile(scores, 0.01);
        var hi = MatSpan.Quantile(scores, 0.995);
        var range = Math.Max(hi - lo, 1e-6f);
        var step = Math.Max(1, scores.Length / 262144);
        var n = (scores.Length + step - 1) / step;
        using var u8 = new Mat(n, 1, MatType.CV_8UC1);
        var b = MatSpan.Bytes(u8);
        for (int i = 0, j = 0; i < scores.Length && j < n; i += step, j++)
            b[j] = (byte)Math.Clamp((int)((scores[i] - lo) / range * 255f), 0, 255);
        using var bin = new Mat();
        var t = Cv2.Threshold(u8, bin, 0, 255, ThresholdTypes.Binary | ThresholdTypes.Otsu);
        var otsu = lo + (float)(t / 255.0 * range);
        var (median, sigma) = MatSpan.RobustStats(scores);
        return Math.Max(otsu, median + 3 * sigma);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    private static void Collect(Mat values, Mat valid, List<float> into, int m)
    {
        var w = values.Cols;
        var rows = values.Rows;
        var v = MatSpan.Floats(values);
        var ok = MatSpan.Bytes(valid);
        for (var y = m; y < rows - m; y += 2)
        for (var x = m; x < w - m; x += 2)
        {
            var i = y * w + x;
            if (ok[i] != 0) into.Add(v[i]);
        }
    }

    private static double Correlation(Mat a, Mat b, double dx, double dy, int margin)
    {
        using var shifted = Registration.Translate(b, dx, dy);
        var size = a.Size();
        if (size.Width <= 2 * margin + 4 || size.Height <= 2 * margin + 4) return double.NegativeInfinity;
        var rect = new Rect(margin, margin, size.Width - 2 * margin, size.Height - 2 * margin);
        using var ra = new Mat(a, rect);
        using var rb = new Mat(shifted, rect);
        // Pearson correlation of the two windows (what MatchTemplate's CCoeffNormed gives for equal sizes, without
        // its DFT).
        Cv2.MeanStdDev(ra, out var ma, out var sa);
        Cv2.MeanStdDev(rb, out var mb, out var sb);
        if (sa.Val0 <= 0 || sb.Val0 <= 0) return 0;
        var n = (double)rect.Width * rect.Height;
        return (ra.Dot(rb) / n - ma.Val0 * mb.Val0) / (sa.Val0 * sb.Val0);
    }
}
