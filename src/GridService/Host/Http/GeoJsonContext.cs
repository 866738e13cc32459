using System.Text.Json;
using System.Text.Json.Serialization;
using Geo.GridService.Ownership;

namespace Geo.GridService.Host.Http;

/// <summary>Source-generated serializers for the hot ownership path.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict)] // = the host's runtime options, so the fast path is used
[JsonSerializable(typeof(OwnershipAnswer))]
[JsonSerializable(typeof(Problems.ProblemBody))]
[JsonSerializable(typeof(OwnershipApi.BatchRequest))]
[JsonSerializable(typeof(OwnershipApi.BatchResponse))]
[JsonSerializable(typeof(OwnershipSnapshot.NearestGrid))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(string))]
internal sealed partial class GeoJsonContext : JsonSerializerContext;
