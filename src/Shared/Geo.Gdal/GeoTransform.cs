namespace Geo.Gdal;

/// <summary>
/// GDAL's affine geotransform, in the dataset CRS and GDAL's traditional GIS axis order (x = easting or longitude,
/// y = northing or latitude) whatever the EPSG axis order says. Pixel/line (P, L) of a pixel corner maps to
/// <c>X = Gt0 + P*Gt1 + L*Gt2</c>, <c>Y = Gt3 + P*Gt4 + L*Gt5</c>.
/// </summary>
/// <param name="OriginX">Gt0: x of the top-left corner of the top-left pixel.</param>
/// <param name="PixelSizeX">Gt1: x step per column.</param>
/// <param name="RotationX">Gt2: x step per row (0 for north-up).</param>
/// <param name="OriginY">Gt3: y of the top-left corner.</param>
/// <param name="RotationY">Gt4: y step per column (0 for north-up).</param>
/// <param name="PixelSizeY">Gt5: y step per row (negative for north-up).</param>
public readonly record struct GeoTransform(
    double OriginX, double PixelSizeX, double RotationX, double OriginY, double RotationY, double PixelSizeY)
{
    /// <summary>GDAL's default when a file has no georeferencing: (0, 1, 0, 0, 0, 1).</summary>
    public static GeoTransform Identity { get; } = new(0, 1, 0, 0, 0, 1);

    /// <summary>Width of a pixel in CRS units (|Gt1| when not rotated).</summary>
    public double PixelWidth => Math.Sqrt(PixelSizeX * PixelSizeX + RotationY * RotationY);

    /// <summary>Height of a pixel in CRS units, positive (|Gt5| when not rotated).</summary>
    public double PixelHeight => Math.Sqrt(RotationX * RotationX + PixelSizeY * PixelSizeY);

    /// <summary>Either rotation term is non-zero.</summary>
    public bool IsRotated => RotationX != 0 || RotationY != 0;

    /// <summary>Not rotated, x grows with columns and y falls with rows (the only layout the product accepts).</summary>
    public bool IsNorthUp => !IsRotated && PixelSizeX > 0 && PixelSizeY < 0;

    /// <summary>Every term is finite.</summary>
    public bool IsFinite =>
        double.IsFinite(OriginX) && double.IsFinite(PixelSizeX) && double.IsFinite(RotationX) &&
        double.IsFinite(OriginY) && double.IsFinite(RotationY) && double.IsFinite(PixelSizeY);

    /// <summary>CRS coordinates of pixel/line position (<paramref name="pixel"/>, <paramref name="line"/>), corner-based.</summary>
    public (double X, double Y) Apply(double pixel, double line) =>
        (OriginX + pixel * PixelSizeX + line * RotationX, OriginY + pixel * RotationY + line * PixelSizeY);

    /// <summary>The six terms in GDAL order.</summary>
    public double[] ToArray() => [OriginX, PixelSizeX, RotationX, OriginY, RotationY, PixelSizeY];

    public override string ToString() => FormattableString.Invariant($"({OriginX}, {PixelSizeX}, {RotationX}, {OriginY}, {RotationY}, {PixelSizeY})");
}
