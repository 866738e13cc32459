using Geo.Spatial.Failures;

namespace Geo.ChangeDetect.Surveys;

/// <summary>
/// Settings of the survey-pair pipeline. The defaults are the one set used for every pair (chosen on the method and
/// the field's published figures — 2.5 m height rule, 20 m² minimum, 1 m walls — not fitted to an evaluation image).
/// </summary>
/// <param name="AnalysisGsdMetres">The change measure and the objects run on an analysis grid of about this pixel
/// size: each analysis pixel is the average of f x f orthophoto pixels, f = round(this / ortho GSD), at least 1.
/// Every orthophoto pixel is still decoded once; the DSM (typically 4x coarser than the ortho) sets the useful
/// resolution of the height cue anyway.</param>
/// <param name="MinAreaSquareMetres">Smallest object kept, m².</param>
/// <param name="HeightChangeMetres">|dDSM| at or above this is height evidence on its own (one storey is about 3 m).</param>
/// <param name="WallHeightMetres">Height gain that, together with an image change, marks a thin or low structure
/// (walls, hoarding, sheds), metres.</param>
/// <param name="MinWallEvidenceSquareMetres">An image-change object counts as a structure when DSMs exist only if at
/// least this much of it shows a gain of <paramref name="WallHeightMetres"/> (walls are smoothed in DSMs), m².</param>
/// <param name="ExtensionAboveGroundMetres">A height gain is an extension (rooftop addition) when the surface before it
/// stood at least this high above the local ground; otherwise a new structure, metres.</param>
/// <param name="OpeningRadiusMetres">Radius of the opening/closing disc of the clean-up; thinner things are removed.</param>
/// <param name="MinCompactness">Shape filter: 4 pi A / P² of the object polygon at least this (a square is 0.785).</param>
/// <param name="MaxShiftPixels">Largest global misregistration searched for, orthophoto pixels.</param>
/// <param name="Workers">Worker threads (default: all cores).</param>
public sealed record SurveyDetectionOptions(
    double AnalysisGsdMetres = 0.4,
    double MinAreaSquareMetres = 20,
    double HeightChangeMetres = 2.5,
    double WallHeightMetres = 1.0,
    double MinWallEvidenceSquareMetres = 2.0,
    double ExtensionAboveGroundMetres = 2.0,
    double OpeningRadiusMetres = 1.2,
    double MinCompactness = 0.08,
    double MaxShiftPixels = 32,
    int Workers = 0)
{
    /// <summary>The defaults.</summary>
    public static SurveyDetectionOptions Default { get; } = new();

    /// <summary>The settings of the image change measure (colour, structure, texture, vegetation) reused from the pair detector.</summary>
    internal ChangeDetectionOptions Measure { get; init; } = ChangeDetectionOptions.Default;

    /// <summary>Orthophoto cells come from the orthophoto's internal overview of factor F (the analysis grid) when it
    /// has one, as ingested COGs do (AVERAGE overviews), instead of decoding every full-resolution pixel and averaging;
    /// false forces the full-resolution decode (tests compare the two).</summary>
    internal bool UseOverviews { get; init; } = true;

    /// <summary>Where an after orthophoto of another pixel size is resampled onto the before's grid for the run
    /// (<see cref="GridMatching"/>; the copy is deleted when the run ends).</summary>
    internal string TemporaryDirectory { get; init; } = Path.GetTempPath();

    /// <summary>Analysis rows per streamed strip (memory is a few strips of the overlap's width).</summary>
    internal int StripRows { get; init; } = 512;

    internal int WorkerCount => Workers > 0 ? Workers : Environment.ProcessorCount;

    /// <summary>Checks ranges; failure bad_parameter naming the setting.</summary>
    public Result<SurveyDetectionOptions> Validate()
    {
        if (!(AnalysisGsdMetres is > 0 and <= 10)) return Bad("analysisGsdMetres", "must be in (0, 10] metres");
        if (!(MinAreaSquareMetres >= 0)) return Bad("minAreaSquareMetres", "must be >= 0");
        if (!(HeightChangeMetres > 0) || !(WallHeightMetres > 0)) return Bad("heightChangeMetres", "height thresholds must be > 0");
        if (!(OpeningRadiusMetres >= 0) || !(MinCompactness is >= 0 and < 1)) return Bad("openingRadiusMetres", "clean-up settings out of range");
        if (!(MaxShiftPixels > 0) || Workers < 0) return Bad("maxShiftPixels", "must be > 0");
        return this;
    }

    private static Failure Bad(string name, string what) =>
        Failure.BadRequest(ChangeFailureCodes.BadParameter, $"{name} {what}.", name);
}
