using Geo.Gdal.Tests;
using Geo.Surveys.Synthetic;

namespace Geo.Surveys.Tests;

/// <summary>The malformed samples plus one generated synthetic pair (1024 px, plain GeoTIFFs with alpha), shared.</summary>
public sealed class SurveyFixture : IDisposable
{
    public SurveyFixture()
    {
        Samples = new Samples();
        PairDir = Path.Combine(Samples.Root, "pair");
        Pair = SyntheticSurveys.Generate(PairDir, new SyntheticOptions(SizePx: 1024, Seed: 7, GsdMetres: 0.2, Plain: true));
    }

    public Samples Samples { get; }

    public string PairDir { get; }

    public SyntheticPair Pair { get; }

    public void Dispose() => Samples.Dispose();
}

[CollectionDefinition(Name)]
public sealed class SurveyCollection : ICollectionFixture<SurveyFixture>
{
    public const string Name = "surveys";
}
