using OpenCvSharp;

namespace Geo.Surveys.Synthetic;

/// <summary>Draws one epoch of a <see cref="TownPlan"/> (OpenCV, BGR). Local metres: x east, y north from the
/// south-west corner; pixel column = (x + shift.x) / gsd, row = (size - y - shift.y) / gsd.</summary>
internal sealed class Scene(TownPlan plan, int size, double gsd, int epoch, int seed, (double X, double Y) shift)
{
    public const float NoData = -9999f;

    private bool Autumn => epoch == 2;

    // Sun: epoch 1 high from the south-west... shadows fall to the north-east in the image (up-right); epoch 2 lower
    // and further west: longer shadows, turned.
    private (double X, double Y) ShadowPerMetre => epoch == 1 ? (0.35, 0.30) : (0.62, 0.18);

    public static Point[] Corners(Rect r, (double X, double Y) shift, double sizeM, double gsd) =>
    [
        Px(r.X0, r.Y0, shift, sizeM, gsd), Px(r.X1, r.Y0, shift, sizeM, gsd), Px(r.X1, r.Y1, shift, sizeM, gsd), Px(r.X0, r.Y1, shift, sizeM, gsd),
    ];

    private static Point Px(double x, double y, (double X, double Y) shift, double sizeM, double gsd) =>
        new((int)Math.Round((x + shift.X) / gsd), (int)Math.Round((sizeM - y - shift.Y) / gsd));

    private Point P(double x, double y) => Px(x, y, shift, plan.SizeM, gsd);

    private Point[] C(Rect r) => Corners(r, shift, plan.SizeM, gsd);

    private int R(double metres) => Math.Max(1, (int)Math.Round(metres / gsd));

    public Mat RenderOrtho()
    {
        var rng = new Random(seed * 31 + epoch);
        var img = new Mat(size, size, MatType.CV_8UC3, new Scalar(92, 128, 118)); // soil with sparse grass (BGR)
        AddLowFrequency(img, rng, 26);

        foreach (var road in plan.Roads) Cv2.FillConvexPoly(img, C(road), new Scalar(88, 90, 92), LineTypes.AntiAlias);
        foreach (var road in plan.Roads)
        {
            // Dashed centre line along the road's long axis.
            var horizontal = road.Width > road.Height;
            var len = horizontal ? road.Width : road.Height;
            for (var s = 2.0; s < len - 3; s += 9)
            {
                var a = horizontal ? P(road.X0 + s, road.Cy) : P(road.Cx, road.Y0 + s);
                var b = horizontal ? P(road.X0 + s + 4, road.Cy) : P(road.Cx, road.Y0 + s + 4);
                Cv2.Line(img, a, b, new Scalar(225, 228, 230), R(0.15), LineTypes.AntiAlias);
            }
        }

        var buildings = plan.Buildings.ToList();
        if (epoch == 2) buildings.AddRange(plan.NewBuildings);
        if (epoch == 2)
        {
            foreach (var e in plan.Enclosures) Cv2.FillConvexPoly(img, C(e), new Scalar(120, 150, 175), LineTypes.AntiAlias); // bare soil
        }

        // Shadows: roof outline swept along the sun direction by the height, darkening whatever is below.
        using (var shadow = new Mat(size, size, MatType.CV_8UC1, Scalar.All(0)))
        {
            var (sx, sy) = ShadowPerMetre;
            foreach (var b in buildings) FillSwept(shadow, b.Footprint, b.HeightM * sx, b.HeightM * sy);
            foreach (var t in plan.Trees)
            {
                var r = R(t.RadiusM * (Autumn ? 0.85 : 1));
                Cv2.Circle(shadow, P(t.X + t.HeightM * sx * 0.6, t.Y + t.HeightM * sy * 0.6), r, Scalar.All(255), -1, LineTypes.AntiAlias);
            }

            if (epoch == 2)
            {
                foreach (var e in plan.Enclosures) FillSwept(shadow, e, 2.5 * sx, 2.5 * sy, outlineOnly: true);
            }

            using var dark = new Mat();
            img.ConvertTo(dark, -1, 0.5, 0);
            dark.CopyTo(img, shadow);
        }

        foreach (var b in buildings) DrawRoof(img, b, rng);
        if (epoch == 2)
        {
            foreach (var a in plan.RooftopAdditions)
            {
                var (sx, sy) = ShadowPerMetre;
                using var s = new Mat(size, size, MatType.CV_8UC1, Scalar.All(0));
                FillSwept(s, a.Footprint, 3 * sx, 3 * sy);
                using var dark = new Mat();
                img.ConvertTo(dark, -1, 0.55, 0);
                dark.CopyTo(img, s);
                DrawRoof(img, a, rng);
            }

            foreach (var e in plan.Enclosures)
            {
                Cv2.Polylines(img, [C(e)], true, new Scalar(190, 110, 40), R(0.4), LineTypes.AntiAlias); // blue hoarding
            }
        }

        foreach (var t in plan.Trees)
        {
            var crown = Autumn ? new Scalar(45, 120, 175) : new Scalar(45, 118, 52);
            var light = Autumn ? new Scalar(70, 160, 210) : new Scalar(70, 150, 80);
            var r = R(t.RadiusM * (Autumn ? 0.85 : 1));
            Cv2.Circle(img, P(t.X, t.Y), r, crown, -1, LineTypes.AntiAlias);
            Cv2.Circle(img, P(t.X - t.RadiusM * 0.25, t.Y - t.RadiusM * 0.2), Math.Max(1, r / 2), light, -1, LineTypes.AntiAlias);
        }

        // Sensor grain, then (epoch 2) another light: darker, warmer.
        using (var grain = new Mat(size, size, MatType.CV_16SC3))
        using (var wide = new Mat())
        {
            Cv2.SetTheRNG((ulong)(seed * 7919 + epoch));
            Cv2.Randn(grain, Scalar.All(0), Scalar.All(5));
            img.ConvertTo(wide, MatType.CV_16SC3);
            Cv2.Add(wide, grain, wide);
            wide.ConvertTo(img, MatType.CV_8UC3);
        }

        if (epoch == 2)
        {
            Cv2.Split(img, out var ch);
            ch[0].ConvertTo(ch[0], -1, 0.80, 0);
            ch[1].ConvertTo(ch[1], -1, 0.86, 4);
            ch[2].ConvertTo(ch[2], -1, 0.92, 10);
            Cv2.Merge(ch, img);
            foreach (var c in ch) c.Dispose();
        }

        return img;
    }

    /// <summary>The flight's valid area (255) at <paramref name="px"/> pixels a side: an irregular polygon, different per epoch.</summary>
    public Mat FlightMask(int px)
    {
        var m = new Mat(px, px, MatType.CV_8UC1, Scalar.All(0));
        double[][] shape = epoch == 1
            ? [[0.02, 0.10], [0.14, 0.01], [0.90, 0.03], [0.99, 0.22], [0.97, 0.93], [0.78, 0.99], [0.04, 0.96]]
            : [[0.01, 0.04], [0.85, 0.01], [0.98, 0.12], [0.99, 0.85], [0.90, 0.99], [0.12, 0.97], [0.02, 0.80]];
        Cv2.FillPoly(m, [shape.Select(p => new Point((int)(p[0] * px), (int)(p[1] * px))).ToArray()], Scalar.All(255));
        return m;
    }

    /// <summary>Heights in metres (Float32) at <paramref name="px"/> pixels a side, nodata outside the flight.</summary>
    public unsafe Mat RenderDsm(int px)
    {
        var scale = (double)px / size;
        var dsmGsd = gsd / scale;
        var dsm = new Mat(px, px, MatType.CV_32FC1);
        var p = (float*)dsm.Data;
        double Ground(double x, double y) => 95 + 0.004 * x + 0.002 * y;
        for (var r = 0; r < px; r++)
        for (var c = 0; c < px; c++)
        {
            var x = (c + 0.5) * dsmGsd - shift.X;
            var y = plan.SizeM - (r + 0.5) * dsmGsd - shift.Y;
            p[r * px + c] = (float)Ground(x, y);
        }

        Point[] D(Rect rect) => Corners(rect, shift, plan.SizeM, dsmGsd);
        foreach (var t in plan.Trees)
        {
            var centre = Px(t.X, t.Y, shift, plan.SizeM, dsmGsd);
            Cv2.Circle(dsm, centre, Math.Max(1, (int)(t.RadiusM * (Autumn ? 0.85 : 1) / dsmGsd)), Scalar.All(Ground(t.X, t.Y) + t.HeightM), -1);
        }

        var buildings = plan.Buildings.ToList();
        if (epoch == 2) buildings.AddRange(plan.NewBuildings);
        if (epoch == 2) buildings.AddRange(plan.RooftopAdditions);
        foreach (var b in buildings) Cv2.FillConvexPoly(dsm, D(b.Footprint), Scalar.All(Ground(b.Footprint.Cx, b.Footprint.Cy) + b.HeightM));
        if (epoch == 2)
        {
            foreach (var e in plan.Enclosures) Cv2.Polylines(dsm, [D(e)], true, Scalar.All(Ground(e.Cx, e.Cy) + 2.5), 1);
        }

        using var flight = FlightMask(px);
        var f = (byte*)flight.Data;
        var noise = new Random(seed * 17 + epoch);
        for (var i = 0; i < px * px; i++)
        {
            // Photogrammetric noise of a few centimetres, quantised to 5 cm (compresses, like real DSM exports).
            p[i] = f[i] == 0 ? NoData : MathF.Round((p[i] + (float)(noise.NextDouble() - 0.5) * 0.08f) * 20f) / 20f;
        }

        return dsm;
    }

    private void DrawRoof(Mat img, Building b, Random rng)
    {
        var baseColour = b.Roof switch
        {
            Roof.RedTile => new Scalar(60, 70, 165),
            Roof.GreyConcrete => new Scalar(150, 152, 155),
            Roof.BlueSteel => new Scalar(175, 120, 60),
            _ => new Scalar(215, 218, 220),
        };
        var v = rng.Next(-12, 12);
        var colour = new Scalar(baseColour.Val0 + v, baseColour.Val1 + v, baseColour.Val2 + v);
        var f = b.Footprint;
        if (b.Pitched)
        {
            // Two slopes, the sunlit one brighter; ridge along the long side.
            var alongX = f.Width >= f.Height;
            var half1 = alongX ? new Rect(f.X0, f.Cy, f.X1, f.Y1) : new Rect(f.X0, f.Y0, f.Cx, f.Y1);
            var half2 = alongX ? new Rect(f.X0, f.Y0, f.X1, f.Cy) : new Rect(f.Cx, f.Y0, f.X1, f.Y1);
            Cv2.FillConvexPoly(img, C(half1), Scale(colour, 0.8), LineTypes.AntiAlias);
            Cv2.FillConvexPoly(img, C(half2), Scale(colour, 1.08), LineTypes.AntiAlias);
        }
        else
        {
            Cv2.FillConvexPoly(img, C(f), colour, LineTypes.AntiAlias);
            Cv2.Polylines(img, [C(f.Inset(0.3))], true, Scale(colour, 0.75), R(0.25), LineTypes.AntiAlias); // parapet
        }
    }

    private static Scalar Scale(Scalar s, double k) => new(s.Val0 * k, s.Val1 * k, s.Val2 * k);

    private void FillSwept(Mat mask, Rect r, double dx, double dy, bool outlineOnly = false)
    {
        var pts = C(r).Concat(C(new Rect(r.X0 + dx, r.Y0 + dy, r.X1 + dx, r.Y1 + dy))).ToArray();
        if (outlineOnly)
        {
            Cv2.Polylines(mask, [C(new Rect(r.X0 + dx, r.Y0 + dy, r.X1 + dx, r.Y1 + dy))], true, Scalar.All(255), R(0.5));
            return;
        }

        var hull = Cv2.ConvexHull(pts);
        Cv2.FillConvexPoly(mask, hull, Scalar.All(255), LineTypes.AntiAlias);
    }

    private unsafe void AddLowFrequency(Mat img, Random rng, double amplitude)
    {
        var n = Math.Max(8, size / 24);
        using var low = new Mat(n, n, MatType.CV_32FC1);
        var p = (float*)low.Data;
        for (var i = 0; i < n * n; i++) p[i] = (float)((rng.NextDouble() - 0.5) * 2 * amplitude);
        using var full = new Mat();
        Cv2.Resize(low, full, new Size(size, size), 0, 0, InterpolationFlags.Cubic);
        using var full3 = new Mat();
        Cv2.Merge([full, full, full], full3);
        using var wide = new Mat();
        img.ConvertTo(wide, MatType.CV_32FC3);
        Cv2.Add(wide, full3, wide);
        wide.ConvertTo(img, MatType.CV_8UC3);
    }
}
