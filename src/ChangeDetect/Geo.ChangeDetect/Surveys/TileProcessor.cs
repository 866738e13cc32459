using System.Runtime.CompilerServices;
using Geo.Spatial.Failures;
using OpenCvSharp;

namespace Geo.ChangeDetect.Surveys;

/// <summary>
/// Runs the whole per-tile step and writes the tile's core into the strip's <see cref="CellPlanes"/>: alignment,
/// image score, DSM height change (resampled onto the analysis grid through the same field), the masks and their
/// clean-up. Tiles carry <see cref="TileAnalysis.Margin"/> pixels of context on every side so that filters,
/// morphology and the field agree across tile and strip seams.
/// </summary>
internal sealed class TileProcessor(PairLayout layout, GlobalModel model, SurveyDetectionOptions options)
{
    private readonly double _gsd = layout.AnalysisGsdMetres;

    private int Radius(double metres) => Math.Max(1, (int)Math.Round(metres / _gsd));

    /// <summary>Processes the padded tile; its core is (Margin, Margin, coreW, coreH) and goes to (outX, outY) of <paramref name="strip"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    public Result<int> Process(TileInputs t, int coreW, int coreH, SurveyReaders readers, CellPlanes strip, int outX, int outY)
    {
        var t0 = Profile.Start();
        var (a, b, valid, fx, fy) = TileAnalysis.Align(t, model);
        Profile.Stop("align", t0);
        using (a)
        using (b)
        using (valid)
        using (fx)
        using (fy)
        {
            var size = a.Size();
            t0 = Profile.Start();
            using var score = TileAnalysis.Score(a, b, model.Stats!, options.Measure, _gsd, TileAnalysis.ScoreReduction(layout.HasDsm));
            Profile.Stop("score", t0);
            t0 = Profile.Start();
            var thr = model.Stats!.Threshold;
            using var image = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
            {
                var s = MatSpan.Floats(score);
                var m = MatSpan.Bytes(image);
                var v = MatSpan.Bytes(valid);
                for (var i = 0; i < s.Length; i++)
                {
                    s[i] -= thr;
                    if (s[i] >= 0 && v[i] != 0) m[i] = 255;
                }
            }

            using var disc = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * Radius(options.OpeningRadiusMetres) + 1, 2 * Radius(options.OpeningRadiusMetres) + 1));
            Clean(image, disc);

            using var gain = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
            using var loss = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
            using var weak = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
            using var dh = new Mat(size, MatType.CV_32FC1, Scalar.All(float.NaN));
            using var above = new Mat(size, MatType.CV_32FC1, Scalar.All(0));
            if (layout.HasDsm)
            {
                Profile.Stop("image mask", t0);
                t0 = Profile.Start();
                var r = Heights(t, fx, fy, readers, gain, loss, weak, dh, above);
                Profile.Stop("heights", t0);
                t0 = Profile.Start();
                if (!r.IsOk) return r;
                Clean(gain, disc);
                Clean(loss, disc);
                // Image change next to height change belongs to it (new shadows, facades): not a separate object.
                using var height = new Mat();
                Cv2.BitwiseOr(gain, loss, height);
                using var near = new Mat();
                using var k = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * Radius(2.0) + 1, 2 * Radius(2.0) + 1));
                Cv2.Dilate(height, near, k);
                Cv2.BitwiseNot(near, near);
                Cv2.BitwiseAnd(image, near, image);
            }

            Profile.Stop("clean", t0);
            var core = new Rect(TileAnalysis.Margin, TileAnalysis.Margin, coreW, coreH);
            var dst = new Rect(outX, outY, coreW, coreH);
            Copy(gain, strip.Gain, core, dst);
            Copy(loss, strip.Loss, core, dst);
            Copy(image, strip.Image, core, dst);
            Copy(weak, strip.Weak, core, dst);
            Copy(dh, strip.Dh, core, dst);
            Copy(above, strip.Above, core, dst);
            Copy(score, strip.Score, core, dst);
            return 0;
        }
    }

    /// <summary>The inverse map src = (k x + tx, k y + ty) as a 2 x 3 CV_64F matrix for WarpAffine.</summary>
    private static Mat Affine(double k, double tx, double ty)
    {
        var m = new Mat(2, 3, MatType.CV_64FC1);
        m.Set(0, 0, k); m.Set(0, 1, 0.0); m.Set(0, 2, tx);
        m.Set(1, 0, 0.0); m.Set(1, 1, k); m.Set(1, 2, ty);
        return m;
    }

    private static void Copy(Mat src, Mat dst, Rect from, Rect to)
    {
        using var s = new Mat(src, from);
        using var d = new Mat(dst, to);
        s.CopyTo(d);
    }

    private static void Clean(Mat mask, Mat disc)
    {
        Cv2.MorphologyEx(mask, mask, MorphTypes.Open, disc);
        Cv2.MorphologyEx(mask, mask, MorphTypes.Close, disc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    private Result<int> Heights(TileInputs t, Mat fx, Mat fy, SurveyReaders readers, Mat gain, Mat loss, Mat weak, Mat dh, Mat above)
    {
        var A = layout.A;
        var w = t.Width;
        var h = t.Height;
        // Ground boxes (CRS units) of the tile on the before grid and on the after grid (+ the field, at most a few px).
        var bx0 = layout.OriginX + t.C0 * A;
        var by1 = layout.OriginY - t.R0 * A;
        var px = layout.Before.Px;
        var agx0 = layout.After.X0 + (layout.Col0 + model.OffsetX) * px;
        var agy0 = layout.After.Y0 - (layout.Row0 + model.OffsetY) * px;
        var ax0 = agx0 + t.C0 * A;
        var ay1 = agy0 - t.R0 * A;
        var slack = 8 * A;
        var tr = Profile.Start();
        var before = readers.ReadDsm(false, bx0 - slack, by1 - h * A - slack, bx0 + w * A + slack, by1 + slack);
        if (!before.IsOk) return Result<int>.Fail(before.Failures);
        var after = readers.ReadDsm(true, ax0 - slack, ay1 - h * A - slack, ax0 + w * A + slack, ay1 + slack);
        if (!after.IsOk)
        {
            before.Value.Heights.Dispose();
            return Result<int>.Fail(after.Failures);
        }

        Profile.Stop("heights: dsm read", tr);
        using var hbRaw = before.Value.Heights;
        using var haRaw = after.Value.Heights;
        var bd = layout.BeforeDsm!;
        var ad = layout.AfterDsm!;
        // Before DSM and ground: affine in (x, y) (a scale and an offset per axis), warped directly. After DSM: the
        // same plus the local field, through a map (per-column and per-row terms precomputed, one multiply-add per pixel).
        var t0 = Profile.Start();
        using var hb = new Mat();
        using var ha = new Mat();
        using var gnd = new Mat();
        var kb = A / bd.Px;
        using (var mb = Affine(kb, (bx0 - bd.X0) / bd.Px + 0.5 * kb - 0.5 - before.Value.X, (bd.Y0 - by1) / bd.Px + 0.5 * kb - 0.5 - before.Value.Y))
        {
            Cv2.WarpAffine(hbRaw, hb, mb, new Size(w, h), InterpolationFlags.Linear | InterpolationFlags.WarpInverseMap, BorderTypes.Constant, Scalar.All(float.NaN));
        }

        var ground = model.Ground;
        if (ground is not null)
        {
            var kg = A / model.GroundCell;
            using var mg = Affine(kg, (bx0 - model.GroundX0) / model.GroundCell + 0.5 * kg - 0.5, (model.GroundY0 - by1) / model.GroundCell + 0.5 * kg - 0.5);
            Cv2.WarpAffine(ground, gnd, mg, new Size(w, h), InterpolationFlags.Linear | InterpolationFlags.WarpInverseMap, BorderTypes.Replicate);
        }

        using (var max = new Mat(h, w, MatType.CV_32FC1))
        using (var may = new Mat(h, w, MatType.CV_32FC1))
        {
            var sax = MatSpan.Floats(max);
            var say = MatSpan.Floats(may);
            var jx = MatSpan.Floats(fx);
            var jy = MatSpan.Floats(fy);
            var ka = (float)(A / ad.Px);
            var cols = new float[w];
            for (var x = 0; x < w; x++) cols[x] = (float)((ax0 + (x + 0.5) * A - ad.X0) / ad.Px - 0.5 - after.Value.X);
            for (var y = 0; y < h; y++)
            {
                var row = (float)((ad.Y0 - (ay1 - (y + 0.5) * A)) / ad.Px - 0.5 - after.Value.Y);
                var o = y * w;
                for (var x = 0; x < w; x++)
                {
                    sax[o + x] = cols[x] + ka * jx[o + x];
                    say[o + x] = row + ka * jy[o + x];
                }
            }

            Cv2.Remap(haRaw, ha, max, may, InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(float.NaN));
        }

        Profile.Stop("heights: resample", t0);

        // Misregistration tolerance: the highest surface of the other date within r pixels.
        const float low = -1e6f;
        using var hbFilled = hb.Clone();
        using var haFilled = ha.Clone();
        var pb = MatSpan.Floats(hbFilled);
        var pa = MatSpan.Floats(haFilled);
        for (var i = 0; i < pb.Length; i++)
        {
            if (float.IsNaN(pb[i])) pb[i] = low;
            if (float.IsNaN(pa[i])) pa[i] = low;
        }

        var r = Math.Max(1, (int)Math.Round(0.5 / _gsd));
        using var k = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(2 * r + 1, 2 * r + 1));
        using var hbMax = new Mat();
        using var haMax = new Mat();
        Cv2.Dilate(hbFilled, hbMax, k);
        Cv2.Dilate(haFilled, haMax, k);
        var sb = MatSpan.Floats(hb);
        var sa = MatSpan.Floats(ha);
        var bmax = MatSpan.Floats(hbMax);
        var amax = MatSpan.Floats(haMax);
        var og = MatSpan.Bytes(gain);
        var ol = MatSpan.Bytes(loss);
        var ow = MatSpan.Bytes(weak);
        var od = MatSpan.Floats(dh);
        var oa = MatSpan.Floats(above);
        var sg = model.Ground is not null ? MatSpan.Floats(gnd) : default;
        var off = model.DsmOffset;
        var strong = (float)options.HeightChangeMetres;
        var wall = (float)options.WallHeightMetres;
        for (var i = 0; i < sb.Length; i++)
        {
            var vb = sb[i];
            var va = sa[i];
            if (float.IsNaN(vb) || float.IsNaN(va)) continue;
            od[i] = va - vb - off;
            oa[i] = sg.IsEmpty || float.IsNaN(sg[i]) ? 0 : vb - sg[i];
            var g = va - off - bmax[i];
            var l = vb + off - amax[i];
            if (g >= strong) og[i] = 255;
            if (g >= wall) ow[i] = 255;
            if (l >= strong) ol[i] = 255;
        }

        return 0;
    }
}
