namespace Geo.Tiles.Raster;

/// <summary>How a survey's pixels become tile colours.</summary>
public abstract record RasterStyle
{
    /// <summary>Bands 1-3 are red, green, blue (an orthophoto); the mask becomes alpha.</summary>
    public sealed record Rgb : RasterStyle;

    /// <summary>Band 1 holds heights (a DSM), coloured on a terrain ramp from <paramref name="Min"/> to <paramref name="Max"/> metres.</summary>
    public sealed record HeightRamp(double Min, double Max) : RasterStyle;

    /// <summary>The orthophoto style.</summary>
    public static RasterStyle Photo { get; } = new Rgb();
}
