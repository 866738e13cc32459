using System.Text.Json;
using System.Text.Encodings.Web;
using BenchmarkDotNet.Attributes;
using Geo.GridService.Host.Application;
using Geo.GridService.Host.Http;
using Geo.Storage.GeoPackage;

namespace Geo.Benchmarks;

/// <summary>
/// The three stages of a 10,000-point batch request without the network: JSON in (source-generated, as the host does),
/// the answers, JSON out. Tells where a batch's time goes.
/// </summary>
[MemoryDiagnoser]
public class BatchBenchmarks
{
    private byte[] _body = null!;
    private BatchRequestReader.Batch _request = null!;
    private OwnershipApi.BatchResponse _response = null!;
    private OwnershipService _service = null!;
    private JsonSerializerOptions _json = null!;

    [GlobalSetup]
    public void Setup()
    {
        var grids = SampleSet.Grids();
        var (x, y) = SampleSet.Points(grids, 10_000, seed: 7);
        _json = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
        };
        _json.TypeInfoResolverChain.Insert(0, GeoJsonContext.Default);
        _body = JsonSerializer.SerializeToUtf8Bytes(new OwnershipApi.BatchRequest("EPSG:4490", "E0101", null,
            x.Select((v, i) => new OwnershipApi.BatchPoint(Math.Round(v, 7), Math.Round(y[i], 7), null, null)).ToArray()), _json);
        var path = Path.Combine(Path.GetTempPath(), $"geo-bench-{Guid.NewGuid():N}.gpkg");
        var store = GeoPackageGridStore.OpenAsync(path).GetAwaiter().GetResult();
        _service = new OwnershipService(store);
        var dir = Path.Combine(Path.GetTempPath(), $"geo-bench-samples-{Guid.NewGuid():N}");
        Geo.GridService.Host.Samples.RuzhouSamples.Write(dir);
        SampleLoader.LoadAsync(store, _service, dir, Geo.GridService.Codes.CountyCode.Parse("410482").Value).GetAwaiter().GetResult();
        _service.RefreshAsync(true).GetAwaiter().GetResult();
        _request = BatchRequestReader.Read(_body, 10_000).Value;
        _response = Answer();
    }

    internal (Geo.GridService.Ownership.OwnershipSnapshot, BatchRequestReader.Batch) Internals() => (_service.Snapshot, _request);

    [Benchmark(Description = "parse 10,000-point request")]
    public int Parse() => BatchRequestReader.Read(_body, 10_000).Value.Count;

    [Benchmark(Description = "answer 10,000 points")]
    public OwnershipApi.BatchResponse Answer() => OwnershipApi.Answer(_request, _service.Snapshot).Value;

    [Benchmark(Description = "write 10,000-point response")]
    public int Write() => JsonSerializer.SerializeToUtf8Bytes(_response, _json).Length;

    private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(1 << 20);

    [Benchmark(Description = "write 10,000-point response (BatchResponseWriter)")]
    public int WriteDirect()
    {
        _buffer.ResetWrittenCount();
        using var w = new Utf8JsonWriter(_buffer, BatchResponseWriter.Options);
        BatchResponseWriter.Write(w, _response);
        w.Flush();
        return _buffer.WrittenCount;
    }
}
