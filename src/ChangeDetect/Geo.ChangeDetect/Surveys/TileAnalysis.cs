using System.Runtime.CompilerServices;
using OpenCvSharp;

namespace Geo.ChangeDetect.Surveys;

/// <summary>Image-wide statistics of the three image cues and the score threshold, from the sample pass.</summary>
internal sealed record CueStats(
    float ColourMedian, float ColourSigma, float StructureMedian, float StructureSigma, float TextureMedian, float TextureSigma,
    float TypicalEnergy, float Threshold, float Range);

/// <summary>Everything image-wide the tile step needs: fixed before streaming starts.</summary>
internal sealed class GlobalModel
{
    /// <summary>Integer part of the after offset (georeferencing + measured global shift), full pixels.</summary>
    public required int OffsetX { get; init; }
    public required int OffsetY { get; init; }
    /// <summary>The rest of the global shift, analysis pixels (added to the local field's prior).</summary>
    public required double FracX { get; init; }
    public required double FracY { get; init; }
    public required BandGain[] Gains { get; set; }
    public CueStats? Stats { get; set; }
    /// <summary>Median of after - before DSM over the sample (a flight's vertical datum offset), metres.</summary>
    public float DsmOffset { get; set; }
    /// <summary>Coarse ground surface of the before DSM (CV_32FC1), its top-left corner and cell size in CRS units.</summary>
    public Mat? Ground { get; set; }
    public double GroundX0 { get; set; }
    public double GroundY0 { get; set; }
    public double GroundCell { get; set; }
    public Shift GlobalShift { get; init; }
}

/// <summary>The padded inputs of one tile on the analysis grid (the after image on its integer-shifted grid).</summary>
internal sealed class TileInputs(int c0, int r0, int width, int height) : IDisposable
{
    public int C0 { get; } = c0;
    public int R0 { get; } = r0;
    public int Width { get; } = width;
    public int Height { get; } = height;
    public Mat BeforeRgb { get; } = new(height, width, MatType.CV_8UC3, Scalar.All(0));
    public Mat BeforeValid { get; } = new(height, width, MatType.CV_8UC1, Scalar.All(0));
    public Mat AfterRgb { get; } = new(height, width, MatType.CV_8UC3, Scalar.All(0));
    public Mat AfterValid { get; } = new(height, width, MatType.CV_8UC1, Scalar.All(0));

    public void Dispose()
    {
        BeforeRgb.Dispose();
        BeforeValid.Dispose();
        AfterRgb.Dispose();
        AfterValid.Dispose();
    }
}

/// <summary>Per-pixel results of a tile's core (or of a whole strip): the three object masks and the attributes.</summary>
internal sealed class CellPlanes(int width, int height) : IDisposable
{
    public int Width { get; } = width;
    public int Height { get; } = height;
    public Mat Gain { get; } = new(height, width, MatType.CV_8UC1, Scalar.All(0));
    public Mat Loss { get; } = new(height, width, MatType.CV_8UC1, Scalar.All(0));
    public Mat Image { get; } = new(height, width, MatType.CV_8UC1, Scalar.All(0));
    /// <summary>Height change after - before - offset, metres (NaN: no DSM there).</summary>
    public Mat Dh { get; } = new(height, width, MatType.CV_32FC1, Scalar.All(float.NaN));
    /// <summary>Before surface above the local ground, metres.</summary>
    public Mat Above { get; } = new(height, width, MatType.CV_32FC1, Scalar.All(0));
    /// <summary>Image change score minus the threshold.</summary>
    public Mat Score { get; } = new(height, width, MatType.CV_32FC1, Scalar.All(0));
    /// <summary>255 where the misregistration-tolerant gain is at least the wall height.</summary>
    public Mat Weak { get; } = new(height, width, MatType.CV_8UC1, Scalar.All(0));

    public void Dispose()
    {
        Gain.Dispose(); Loss.Dispose(); Image.Dispose(); Dh.Dispose(); Above.Dispose(); Score.Dispose(); Weak.Dispose();
    }
}

/// <summary>
/// The per-tile step on the analysis grid: local misregistration field (phase correlation of gradient magnitudes on
/// 64-px windows every 32 px, outliers rejected, the global shift as the prior), resampling of the after image and
/// DSM by it, radiometric map, image change score (the pair detector's cues standardised with image-wide statistics),
/// misregistration-tolerant height gain and loss (after minus the highest before surface within a pixel, and the
/// reverse), and the clean-up (opening then closing with a disc). Pure computation on Mats.
/// </summary>
internal static class TileAnalysis
{
    public const int Margin = 32;
    private const int Window = 64;
    private const int Step = 64;
    private const double MinResponse = 0.1;
    private const double MaxResidual = 4.0;

    /// <summary>Local shift field (analysis pixels): after_aligned(x, y) = after(x + fx, y + fy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    public static (Mat Fx, Mat Fy) LocalField(Mat greyA, Mat greyB, Mat validA, Mat validB, double priorX, double priorY)
    {
        var size = greyA.Size();
        using var ga = Gradient(greyA, validA);
        using var gb = Gradient(greyB, validB);
        var cols = size.Width >= Window ? (size.Width - Window) / Step + 1 : 0;
        var rows = size.Height >= Window ? (size.Height - Window) / Step + 1 : 0;
        var fx = new Mat(size, MatType.CV_32FC1, Scalar.All(priorX));
        var fy = new Mat(size, MatType.CV_32FC1, Scalar.All(priorY));
        if (cols < 2 || rows < 2) return (fx, fy);
        var dx = new double[rows, cols];
        var dy = new double[rows, cols];
        var ok = new bool[rows, cols];
        using var window = new Mat();
        Cv2.CreateHanningWindow(window, new Size(Window, Window), MatType.CV_32FC1);
        for (var r = 0; r < rows; r++)
        for (var c = 0; c < cols; c++)
        {
            var rect = new Rect(c * Step, r * Step, Window, Window);
            using var va = new Mat(validA, rect);
            using var vb = new Mat(validB, rect);
            if (Cv2.CountNonZero(va) < Window * Window * 0.9 || Cv2.CountNonZero(vb) < Window * Window * 0.9) continue;
            using var wa = new Mat(ga, rect);
            using var wb = new Mat(gb, rect);
            var p = Cv2.PhaseCorrelate(wa, wb, window, out var response);
            dx[r, c] = p.X;
            dy[r, c] = p.Y;
            ok[r, c] = response >= MinResponse && Math.Abs(p.X - priorX) <= MaxResidual && Math.Abs(p.Y - priorY) <= MaxResidual;
        }

        using var gx = new Mat(rows, cols, MatType.CV_32FC1, Scalar.All(priorX));
        using var gy = new Mat(rows, cols, MatType.CV_32FC1, Scalar.All(priorY));
        var ix = MatSpan.Floats(gx);
        var iy = MatSpan.Floats(gy);
        var accepted = 0;
        var nx = new List<double>(9);
        var ny = new List<double>(9);
        for (var r = 0; r < rows; r++)
        for (var c = 0; c < cols; c++)
        {
            if (!ok[r, c]) continue;
            nx.Clear();
            ny.Clear();
            for (var rr = Math.Max(0, r - 1); rr <= Math.Min(rows - 1, r + 1); rr++)
            for (var cc = Math.Max(0, c - 1); cc <= Math.Min(cols - 1, c + 1); cc++)
            {
                if (ok[rr, cc]) { nx.Add(dx[rr, cc]); ny.Add(dy[rr, cc]); }
            }

            if (nx.Count < 3 || Math.Abs(dx[r, c] - Median(nx)) > 1.0 || Math.Abs(dy[r, c] - Median(ny)) > 1.0) continue;
            accepted++;
            ix[r * cols + c] = (float)dx[r, c];
            iy[r * cols + c] = (float)dy[r, c];
        }

        if (accepted < 4) return (fx, fy);
        using var sx = new Mat();
        using var sy = new Mat();
        Cv2.GaussianBlur(gx, sx, new Size(3, 3), 0.8);
        Cv2.GaussianBlur(gy, sy, new Size(3, 3), 0.8);
        var span = new Size((cols - 1) * Step + 1, (rows - 1) * Step + 1);
        using var ux = new Mat();
        using var uy = new Mat();
        Cv2.Resize(sx, ux, span, 0, 0, InterpolationFlags.Linear);
        Cv2.Resize(sy, uy, span, 0, 0, InterpolationFlags.Linear);
        var off = Window / 2;
        fx.Dispose();
        fy.Dispose();
        fx = new Mat();
        fy = new Mat();
        Cv2.CopyMakeBorder(ux, fx, off, size.Height - off - span.Height, off, size.Width - off - span.Width, BorderTypes.Replicate);
        Cv2.CopyMakeBorder(uy, fy, off, size.Height - off - span.Height, off, size.Width - off - span.Width, BorderTypes.Replicate);
        return (fx, fy);
    }

    /// <summary>Gradient magnitude of a grey image, zero on and next to invalid pixels (flight edges are not texture).</summary>
    public static Mat Gradient(Mat grey, Mat valid)
    {
        using var smooth = MatSpan.Blur(grey, 1.0);
        using var gx = new Mat();
        using var gy = new Mat();
        Cv2.Sobel(smooth, gx, MatType.CV_32F, 1, 0, 3);
        Cv2.Sobel(smooth, gy, MatType.CV_32F, 0, 1, 3);
        var m = new Mat();
        Cv2.Magnitude(gx, gy, m);
        using var eroded = new Mat();
        using var k = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(7, 7));
        Cv2.Erode(valid, eroded, k, borderType: BorderTypes.Constant, borderValue: Scalar.All(0));
        using var inv = new Mat();
        Cv2.BitwiseNot(eroded, inv);
        m.SetTo(Scalar.All(0), inv);
        return m;
    }

    /// <summary>The aligned, radiometrically mapped pair of a tile: before and after as CV_32FC3 (0..255), joint validity, the field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    public static (Mat A, Mat B, Mat Valid, Mat Fx, Mat Fy) Align(TileInputs t, GlobalModel g)
    {
        var a = new Mat();
        t.BeforeRgb.ConvertTo(a, MatType.CV_32FC3);
        using var bRaw = new Mat();
        t.AfterRgb.ConvertTo(bRaw, MatType.CV_32FC3);
        using var greyA = new Mat();
        using var greyB = new Mat();
        Cv2.CvtColor(a, greyA, ColorConversionCodes.RGB2GRAY);
        Cv2.CvtColor(bRaw, greyB, ColorConversionCodes.RGB2GRAY);
        var (fx, fy) = LocalField(greyA, greyB, t.BeforeValid, t.AfterValid, g.FracX, g.FracY);
        using var mapX = new Mat(fx.Size(), MatType.CV_32FC1);
        using var mapY = new Mat(fx.Size(), MatType.CV_32FC1);
        var mx = MatSpan.Floats(mapX);
        var my = MatSpan.Floats(mapY);
        var jx = MatSpan.Floats(fx);
        var jy = MatSpan.Floats(fy);
        var w = t.Width;
        for (var y = 0; y < t.Height; y++)
        for (var x = 0; x < w; x++)
        {
            var i = y * w + x;
            mx[i] = x + jx[i];
            my[i] = y + jy[i];
        }

        var b = new Mat();
        Cv2.Remap(bRaw, b, mapX, mapY, InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
        using var vb = new Mat();
        Cv2.Remap(t.AfterValid, vb, mapX, mapY, InterpolationFlags.Nearest, BorderTypes.Constant, Scalar.All(0));
        var valid = new Mat();
        Cv2.BitwiseAnd(t.BeforeValid, vb, valid);
        RadiometricNormalisation.Apply(b, g.Gains);
        return (a, b, valid, fx, fy);
    }

    /// <summary>The three raw image cues of an aligned pair (colour, structure, texture), CV_32FC1 each.</summary>
    public static (Mat Colour, Mat Structure, Mat Texture) Cues(Mat a, Mat b, float? typicalEnergy)
    {
        using var labA = ChangeMeasure.ToLab(a);
        using var labB = ChangeMeasure.ToLab(b);
        var colour = ChangeMeasure.ColourDistance(labA, labB);
        using var la = new Mat();
        using var lb = new Mat();
        Cv2.ExtractChannel(labA, la, 0);
        Cv2.ExtractChannel(labB, lb, 0);
        var structure = ChangeMeasure.OrientationDistance(la, lb, typicalEnergy);
        var texture = ChangeMeasure.Dissimilarity(la, lb);
        return (colour, structure, texture);
    }

    /// <summary>The image cues run on a grid coarser than the analysis grid: 2x without DSMs (the image layer serves
    /// objects of 20 m² and more), 4x with DSMs (there the image layer only confirms low structures such as hoarding,
    /// the height cue keeps the analysis grid).</summary>
    public static int ScoreReduction(bool hasDsm) => hasDsm ? 4 : 2;

    /// <summary>Averages an image onto a grid <paramref name="k"/> times coarser.</summary>
    public static Mat Reduce(Mat m, int k)
    {
        var r = new Mat();
        Cv2.Resize(m, r, new Size(m.Cols / k, m.Rows / k), 0, 0, InterpolationFlags.Area);
        return r;
    }

    /// <summary>Standardised, vegetation-suppressed, smoothed change score (before thresholding), computed on the score
    /// grid and interpolated back to the size of <paramref name="a"/>. <paramref name="gsdMetres"/>: analysis grid.</summary>
    public static Mat Score(Mat a, Mat b, CueStats s, ChangeDetectionOptions measure, double gsdMetres, int k)
    {
        using var ra = Reduce(a, k);
        using var rb = Reduce(b, k);
        var (colour, structure, texture) = Cues(ra, rb, s.TypicalEnergy);
        using (colour)
        using (structure)
        using (texture)
        {
            return ScoreFromCues(ra, rb, colour, structure, texture, s, measure, gsdMetres, k, a.Size());
        }
    }

    /// <summary><see cref="Score"/> from the cues already computed on the score grid (<paramref name="ra"/>,
    /// <paramref name="rb"/>: the pair reduced by <paramref name="k"/>), interpolated to <paramref name="full"/>.</summary>
    public static Mat ScoreFromCues(Mat ra, Mat rb, Mat colour, Mat structure, Mat texture, CueStats s, ChangeDetectionOptions measure,
        double gsdMetres, int k, Size full)
    {
        using var small = Combine(ra, rb, colour, structure, texture, s, measure, Math.Max(1.0, 2.0 / (gsdMetres * k)));
        var score = new Mat();
        Cv2.Resize(small, score, full, 0, 0, InterpolationFlags.Linear);
        return score;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    private static Mat Combine(Mat a, Mat b, Mat colour, Mat structure, Mat texture, CueStats s, ChangeDetectionOptions measure, double smoothingPixels)
    {
        var score = MatSpan.NewFloat(a.Size());
        var o = MatSpan.Floats(score);
        var c = MatSpan.Floats(colour);
        var st = MatSpan.Floats(structure);
        var tx = MatSpan.Floats(texture);
        var wc = (float)(measure.ColourWeight / s.ColourSigma);
        var ws = 1f / s.StructureSigma;
        var wt = 1f / s.TextureSigma;
        for (var i = 0; i < o.Length; i++)
        {
            o[i] = wc * (c[i] - s.ColourMedian) + ws * (st[i] - s.StructureMedian) + wt * (tx[i] - s.TextureMedian);
        }

        ChangeMeasure.SuppressVegetation(o, MatSpan.Floats(a), MatSpan.Floats(b), measure);
        var smooth = MatSpan.Blur(score, smoothingPixels);
        score.Dispose();
        return smooth;
    }

    private static double Median(List<double> v)
    {
        v.Sort();
        var n = v.Count;
        return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }
}
