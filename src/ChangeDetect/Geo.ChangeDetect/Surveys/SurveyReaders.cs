using System.Runtime.CompilerServices;
using Geo.Gdal;
using Geo.Spatial.Failures;
using OpenCvSharp;

namespace Geo.ChangeDetect.Surveys;

/// <summary>
/// One worker's open datasets of the pair (GDAL datasets are not thread-safe: each worker rents its own set from a
/// pool) and its scratch buffers. Reads orthophoto windows onto the analysis grid (from the factor-F overview when the
/// file has one, else at full resolution, averaged); reads DSM windows as floats with NaN for no data (the DSM
/// datasets may be shared between readers, under a lock).
/// </summary>
internal sealed class SurveyReaders : IDisposable
{
    private static readonly GdalOpenOptions Options = new(["GTiff"], AllowSidecarFiles: false);
    private readonly PairLayout _layout;
    private readonly GdalDataset _before;
    private readonly GdalDataset _after;
    private readonly GdalDataset? _beforeDsm;
    private readonly GdalDataset? _afterDsm;
    private readonly Mat _full4 = new();
    private readonly Mat _full3 = new();
    private readonly Mat _fullMask = new();
    private readonly bool _beforeLevel;
    private readonly bool _afterLevel;

    private readonly object _dsmGate;
    private readonly bool _ownsDsms;

    private SurveyReaders(PairLayout layout, GdalDataset before, GdalDataset after, GdalDataset? beforeDsm, GdalDataset? afterDsm,
        object dsmGate, bool ownsDsms)
    {
        _dsmGate = dsmGate;
        _ownsDsms = ownsDsms;
        _layout = layout;
        _before = before;
        _after = after;
        _beforeDsm = beforeDsm;
        _afterDsm = afterDsm;
        _beforeLevel = layout.UseOverviews && HasAnalysisLevel(before, layout.F);
        _afterLevel = layout.UseOverviews && HasAnalysisLevel(after, layout.F);
    }

    /// <summary>Both orthophotos have internal overviews.</summary>
    public bool HasOverviews => _before.OverviewCount(1) > 0 && _after.OverviewCount(1) > 0;

    /// <summary>
    /// Opens the pair's files. With <paramref name="shareDsmsWith"/>, the DSM datasets are that reader's, used under
    /// its lock (not disposed by this one; dispose the owner last): the tiles' DSM windows overlap by their margins,
    /// and one dataset's block cache decodes each DSM block once instead of once per worker and neighbouring tile.
    /// </summary>
    public static SurveyReaders Open(PairLayout layout, SurveyReaders? shareDsmsWith = null)
    {
        GdalDataset Must(string path) => GdalDataset.Open(path, Options) is { IsOk: true } r ? r.Value
            : throw new IOException("A survey file that opened before could not be opened again.");
        var list = new List<GdalDataset>();
        try
        {
            list.Add(Must(layout.Before.Path));
            list.Add(Must(layout.After.Path));
            if (shareDsmsWith is not null)
            {
                return new SurveyReaders(layout, list[0], list[1], shareDsmsWith._beforeDsm, shareDsmsWith._afterDsm, shareDsmsWith._dsmGate, false);
            }

            if (layout.HasDsm)
            {
                list.Add(Must(layout.BeforeDsm!.Path));
                list.Add(Must(layout.AfterDsm!.Path));
            }

            return new SurveyReaders(layout, list[0], list[1], list.Count > 2 ? list[2] : null, list.Count > 2 ? list[3] : null, new object(), true);
        }
        catch
        {
            foreach (var d in list) d.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the full-resolution window of <paramref name="wa"/> x <paramref name="ha"/> analysis pixels whose top-left
    /// full pixel is (<paramref name="x"/>, <paramref name="y"/>) in the chosen orthophoto's own pixel coordinates (parts
    /// outside the raster read as no data), and averages it onto the analysis grid: <paramref name="rgb"/> CV_8UC3,
    /// <paramref name="valid"/> CV_8UC1 (255 where every full pixel of the cell is valid). When the file has a factor-F
    /// overview and the window starts on multiples of F, the cells are that overview's pixels (no full-resolution decode).
    /// </summary>
    public Result<int> ReadOrtho(bool after, int x, int y, int wa, int ha, Mat rgb, Mat valid)
    {
        var ds = after ? _after : _before;
        var info = after ? _layout.After : _layout.Before;
        var f = _layout.F;
        if (f > 1 && x % f == 0 && y % f == 0 && (after ? _afterLevel : _beforeLevel)) return ReadOrthoLevel(ds, info, x, y, wa, ha, rgb, valid);
        int w = wa * f, h = ha * f;
        int cx0 = Math.Max(0, x), cy0 = Math.Max(0, y), cx1 = Math.Min(info.Width, x + w), cy1 = Math.Min(info.Height, y + h);
        var clipped = cx0 != x || cy0 != y || cx1 != x + w || cy1 != y + h;
        var any = cx1 > cx0 && cy1 > cy0;
        if (info.AlphaBand)
        {
            _full4.Create(h, w, MatType.CV_8UC4);
            if (clipped) _full4.SetTo(Scalar.All(0));
            if (any)
            {
                var r = ReadInto(ds, [1, 2, 3, 4], _full4, x, y, cx0, cy0, cx1, cy1, clipped);
                if (!r.IsOk) return r;
            }

            if (f == 1)
            {
                Cv2.CvtColor(_full4, rgb, ColorConversionCodes.RGBA2RGB);
                Cv2.ExtractChannel(_full4, valid, 3);
            }
            else
            {
                using var small = new Mat();
                Cv2.Resize(_full4, small, new Size(wa, ha), 0, 0, InterpolationFlags.Area);
                Cv2.CvtColor(small, rgb, ColorConversionCodes.RGBA2RGB);
                Cv2.ExtractChannel(small, valid, 3);
            }
        }
        else
        {
            _full3.Create(h, w, MatType.CV_8UC3);
            _fullMask.Create(h, w, MatType.CV_8UC1);
            if (clipped)
            {
                _full3.SetTo(Scalar.All(0));
                _fullMask.SetTo(Scalar.All(0));
            }

            if (any)
            {
                var r = ReadInto(ds, [1, 2, 3], _full3, x, y, cx0, cy0, cx1, cy1, clipped);
                if (!r.IsOk) return r;
                if (info.Mask.AllValid)
                {
                    using var roi = new Mat(_fullMask, new Rect(cx0 - x, cy0 - y, cx1 - cx0, cy1 - cy0));
                    roi.SetTo(Scalar.All(255));
                }
                else
                {
                    r = ReadMaskInto(ds, _fullMask, x, y, cx0, cy0, cx1, cy1, clipped);
                    if (!r.IsOk) return r;
                }
            }

            if (f == 1)
            {
                _full3.CopyTo(rgb);
                _fullMask.CopyTo(valid);
            }
            else
            {
                Cv2.Resize(_full3, rgb, new Size(wa, ha), 0, 0, InterpolationFlags.Area);
                Cv2.Resize(_fullMask, valid, new Size(wa, ha), 0, 0, InterpolationFlags.Area);
            }
        }

        // A cell is valid only when all its pixels are (the average of a 0/255 mask is 255 only then).
        Cv2.Threshold(valid, valid, 254, 255, ThresholdTypes.Binary);
        return 0;
    }

    /// <summary>
    /// <see cref="ReadOrtho"/> from the internal overview whose pixels are the analysis cells (factor F, see
    /// <see cref="HasAnalysisLevel"/>): no full-resolution decode. (<paramref name="x"/>, <paramref name="y"/>) are
    /// multiples of F, so every cell is one overview pixel; cells not wholly inside the raster are no data.
    /// </summary>
    private Result<int> ReadOrthoLevel(GdalDataset ds, RasterInfo info, int x, int y, int wa, int ha, Mat rgb, Mat valid)
    {
        var f = _layout.F;
        // Cells wholly inside the raster: [c0, c1) x [r0, r1) of the window.
        var c0 = Math.Max(0, -x / f);
        var r0 = Math.Max(0, -y / f);
        var c1 = Math.Min(wa, (info.Width - x) / f);
        var r1 = Math.Min(ha, (info.Height - y) / f);
        var clipped = c0 != 0 || r0 != 0 || c1 != wa || r1 != ha;
        var alpha = info.AlphaBand;
        rgb.Create(ha, wa, MatType.CV_8UC3);
        valid.Create(ha, wa, MatType.CV_8UC1);
        if (clipped)
        {
            rgb.SetTo(Scalar.All(0));
            valid.SetTo(Scalar.All(0));
        }

        if (c1 <= c0 || r1 <= r0) return 0;
        int cw = c1 - c0, ch = r1 - r0;
        int fx = x + c0 * f, fy = y + r0 * f;
        var cells = new Rect(c0, r0, cw, ch);
        if (alpha)
        {
            _full4.Create(ch, cw, MatType.CV_8UC4);
            var r = ds.ReadInterleaved([1, 2, 3, 4], fx, fy, cw * f, ch * f, cw, ch, Bytes(_full4));
            if (!r.IsOk) return r;
            using var drgb = new Mat(rgb, cells);
            using var dv = new Mat(valid, cells);
            Cv2.CvtColor(_full4, drgb, ColorConversionCodes.RGBA2RGB);
            Cv2.ExtractChannel(_full4, dv, 3);
        }
        else
        {
            var whole = !clipped;
            _full3.Create(ch, cw, MatType.CV_8UC3);
            var r = ds.ReadInterleaved([1, 2, 3], fx, fy, cw * f, ch * f, cw, ch, Bytes(whole ? rgb : _full3));
            if (!r.IsOk) return r;
            if (!whole)
            {
                using var drgb = new Mat(rgb, cells);
                _full3.CopyTo(drgb);
            }

            using var dv = new Mat(valid, cells);
            if (info.Mask.AllValid)
            {
                dv.SetTo(Scalar.All(255));
            }
            else
            {
                _fullMask.Create(ch, cw, MatType.CV_8UC1);
                r = ds.ReadMask(1, fx, fy, cw * f, ch * f, cw, ch, Bytes(_fullMask));
                if (!r.IsOk) return r;
                _fullMask.CopyTo(dv);
            }
        }

        // As for the full-resolution path: a cell is valid only when all its pixels are (an averaged mask level
        // reads 255 only then).
        Cv2.Threshold(valid, valid, 254, 255, ThresholdTypes.Binary);
        return 0;
    }

    /// <summary>
    /// True when the raster has an internal overview whose pixels are <paramref name="f"/> x <paramref name="f"/>
    /// full pixels (GDAL's level sizes: ceil(size / f)); the pipeline then reads orthophoto cells from it instead of
    /// decoding and averaging the full resolution. Ingested COGs have such levels (AVERAGE resampling, factors 2, 4,
    /// 8...). When the size is not a multiple of f the level's pixels are (size / level size) wide, which drifts from
    /// f by at most f - 1 full pixels at the far edge.
    /// </summary>
    public static bool HasAnalysisLevel(GdalDataset ds, int f)
    {
        if (f <= 1) return false;
        var (w, h) = ds.LevelSize(0);
        for (var level = 1; level < ds.LevelCount; level++)
        {
            var (lw, lh) = ds.LevelSize(level);
            if (lw == (w + f - 1) / f && lh == (h + f - 1) / f) return true;
        }

        return false;
    }

    /// <summary>
    /// Reads an orthophoto window at reduced size (GDAL reads the best overview): grey CV_32FC1 and valid CV_8UC1 of
    /// <paramref name="bw"/> x <paramref name="bh"/>. The window is clamped into the raster.
    /// </summary>
    public Result<int> ReadOrthoOverview(bool after, int x, int y, int w, int h, int bw, int bh, Mat rgbOut, Mat validOut)
    {
        var ds = after ? _after : _before;
        var info = after ? _layout.After : _layout.Before;
        x = Math.Clamp(x, 0, info.Width - 1);
        y = Math.Clamp(y, 0, info.Height - 1);
        w = Math.Min(w, info.Width - x);
        h = Math.Min(h, info.Height - y);
        rgbOut.Create(bh, bw, MatType.CV_8UC3);
        validOut.Create(bh, bw, MatType.CV_8UC1);
        var r = ds.ReadInterleaved([1, 2, 3], x, y, w, h, bw, bh, Bytes(rgbOut));
        if (!r.IsOk) return r;
        if (info.Mask.AllValid && !info.AlphaBand)
        {
            validOut.SetTo(Scalar.All(255));
            return 0;
        }

        r = ds.ReadMask(1, x, y, w, h, bw, bh, Bytes(validOut));
        if (!r.IsOk) return r;
        Cv2.Threshold(validOut, validOut, 127, 255, ThresholdTypes.Binary);
        return 0;
    }

    /// <summary>
    /// Reads the DSM pixels covering the ground box (CRS units) plus two pixels: a CV_32FC1 with NaN for no data and
    /// outside, and the window's top-left DSM pixel. <paramref name="reduce"/> &gt; 1 reads an overview (cells of
    /// reduce x reduce DSM pixels).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per-pixel loops: optimised code from the first call
    public Result<(Mat Heights, int X, int Y)> ReadDsm(bool after, double minX, double minY, double maxX, double maxY, int reduce = 1)
    {
        var ds = (after ? _afterDsm : _beforeDsm) ?? throw new InvalidOperationException("No DSM.");
        var info = (after ? _layout.AfterDsm : _layout.BeforeDsm)!;
        var px = info.Px;
        var x0 = (int)Math.Floor((minX - info.X0) / px) - 2;
        var x1 = (int)Math.Ceiling((maxX - info.X0) / px) + 2;
        var y0 = (int)Math.Floor((info.Y0 - maxY) / px) - 2;
        var y1 = (int)Math.Ceiling((info.Y0 - minY) / px) + 2;
        if (reduce > 1)
        {
            x0 = x0 / reduce * reduce;
            y0 = y0 / reduce * reduce;
        }

        var w = Math.Max(1, (x1 - x0 + reduce - 1) / reduce);
        var h = Math.Max(1, (y1 - y0 + reduce - 1) / reduce);
        var m = new Mat(h, w, MatType.CV_32FC1, Scalar.All(float.NaN));
        // Clip to the raster in whole cells.
        int cx0 = Math.Max(0, x0), cy0 = Math.Max(0, y0);
        int cx1 = Math.Min(info.Width, x0 + w * reduce), cy1 = Math.Min(info.Height, y0 + h * reduce);
        var ox = (cx0 - x0 + reduce - 1) / reduce;
        var oy = (cy0 - y0 + reduce - 1) / reduce;
        cx0 = x0 + ox * reduce;
        cy0 = y0 + oy * reduce;
        var cw = (cx1 - cx0) / reduce;
        var ch = (cy1 - cy0) / reduce;
        if (cw > 0 && ch > 0)
        {
            using var tmp = new Mat(ch, cw, MatType.CV_32FC1);
            Result<int> r;
            lock (_dsmGate) r = ds.ReadBlock(1, cx0, cy0, cw * reduce, ch * reduce, cw, ch, MatSpan.Floats(tmp));
            if (!r.IsOk)
            {
                m.Dispose();
                return Result<(Mat, int, int)>.Fail(r.Failures);
            }

            if (info.NoData is { } nd)
            {
                var s = MatSpan.Floats(tmp);
                var ndf = (float)nd;
                for (var i = 0; i < s.Length; i++)
                {
                    if (s[i] == ndf || !float.IsFinite(s[i])) s[i] = float.NaN;
                }
            }

            using var roi = new Mat(m, new Rect(ox, oy, cw, ch));
            tmp.CopyTo(roi);
        }

        return (m, x0, y0);
    }

    private static unsafe Span<byte> Bytes(Mat m) => new((void*)m.Data, checked((int)(m.Total() * m.ElemSize())));

    private Result<int> ReadInto(GdalDataset ds, int[] bands, Mat full, int x, int y, int cx0, int cy0, int cx1, int cy1, bool clipped)
    {
        int cw = cx1 - cx0, ch = cy1 - cy0;
        if (!clipped) return ds.ReadInterleaved(bands, cx0, cy0, cw, ch, Bytes(full));
        using var tmp = new Mat(ch, cw, full.Type());
        var r = ds.ReadInterleaved(bands, cx0, cy0, cw, ch, Bytes(tmp));
        if (!r.IsOk) return r;
        using var roi = new Mat(full, new Rect(cx0 - x, cy0 - y, cw, ch));
        tmp.CopyTo(roi);
        return r;
    }

    private Result<int> ReadMaskInto(GdalDataset ds, Mat full, int x, int y, int cx0, int cy0, int cx1, int cy1, bool clipped)
    {
        int cw = cx1 - cx0, ch = cy1 - cy0;
        if (!clipped) return ds.ReadMask(1, cx0, cy0, cw, ch, cw, ch, Bytes(full));
        using var tmp = new Mat(ch, cw, MatType.CV_8UC1);
        var r = ds.ReadMask(1, cx0, cy0, cw, ch, cw, ch, Bytes(tmp));
        if (!r.IsOk) return r;
        using var roi = new Mat(full, new Rect(cx0 - x, cy0 - y, cw, ch));
        tmp.CopyTo(roi);
        return r;
    }

    public void Dispose()
    {
        _before.Dispose();
        _after.Dispose();
        if (_ownsDsms)
        {
            _beforeDsm?.Dispose();
            _afterDsm?.Dispose();
        }

        _full4.Dispose();
        _full3.Dispose();
        _fullMask.Dispose();
    }
}
