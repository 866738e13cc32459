namespace Geo.GridService.Host.Http;

/// <summary>Endpoint metadata that sets the request body limit (read by Kestrel per request).</summary>
public sealed class RequestSizeLimitMetadata(long? maxSize) : Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize { get; } = maxSize;
}
