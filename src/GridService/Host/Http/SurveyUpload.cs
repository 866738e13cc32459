using Geo.Spatial.Failures;
using Geo.Surveys;
using Microsoft.AspNetCore.Http.Features;

namespace Geo.GridService.Host.Http;

/// <summary>
/// Streams an upload body to a server-named file in its own fresh directory (SECURITY U1, U7), never holding it in
/// memory; counts the bytes actually read against the limit (U13); on any failure or an aborted request the file and
/// its directory are removed (U11), and a full disk answers 503 (U12).
/// </summary>
internal static class SurveyUpload
{
    public static async Task<Result<string>> ReceiveAsync(HttpRequest request, string dataDirectory, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength is { } declared && declared > maxBytes)
            return Failure.TooLarge(SurveyFailureCodes.UploadTooLarge, $"The upload is larger than the limit of {maxBytes} bytes.");
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes;

        var path = SurveyFiles.NewUploadPath(dataDirectory);
        var ok = false;
        try
        {
            long total = 0;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                var buffer = new byte[1 << 20];
                int n;
                while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
                {
                    total += n;
                    if (total > maxBytes)
                        return Failure.TooLarge(SurveyFailureCodes.UploadTooLarge, $"The upload is larger than the limit of {maxBytes} bytes.");
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                }

                await file.FlushAsync(ct);
                file.Flush(flushToDisk: true);
            }

            if (total == 0) return Failure.BadRequest(SurveyFailureCodes.UploadEmpty, "The request body is empty: send the GeoTIFF as the body.");
            ok = true;
            return path;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Failure.TooLarge(SurveyFailureCodes.UploadTooLarge, $"The upload is larger than the limit of {maxBytes} bytes.");
        }
        catch (IOException e) when ((e.HResult & 0xFFFF) == 28 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase))
        {
            return new Failure(SurveyFailureCodes.DiskFull, "The survey disk is full; the upload was discarded.", FailureKind.Unavailable);
        }
        finally
        {
            if (!ok) SurveyFiles.DeleteUpload(path);
        }
    }
}
