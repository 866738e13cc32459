using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Geo.GridService.Host.Application;
using Geo.GridService.Ownership;
using Geo.Spatial.Failures;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Geo.GridService.Host.Http;

/// <summary>
/// The dispatch system's hot path: answers <c>GET /api/v1/ownership</c> ahead of routing, authentication and
/// authorization when the answer is a plain 200 or the 404 of a point outside every grid, and hands everything else
/// (a bad parameter, a missing or unknown key, any other path) to the normal pipeline unchanged, which writes the
/// problem+json. Nothing here blocks: it may run on a socket thread (<see cref="GeoOptions.InlineHotPath"/>).
/// The caller's right to read is checked exactly as the Read policy does: anonymous reads when
/// <see cref="GeoOptions.AnonymousRead"/>, otherwise a known, unrevoked API key of any role. The bytes written are
/// those of the routed endpoint (same serializer options); a test compares the two.
/// <para>Why: with 2 connections on a 2-core machine the framework pipeline, not the 100 ns answer, was the cost;
/// skipping it is what puts single lookups over HTTP ahead of PostGIS (benchmarks/README.md).</para>
/// </summary>
internal sealed class OwnershipFastPath(RequestDelegate next, OwnershipService service, ApiKeyRegistry registry,
    IOptions<GeoOptions> options, IOptions<JsonOptions> json)
{
    public const string Path = "/api/v1/ownership";

    private readonly bool _anonymousRead = options.Value.AnonymousRead;
    private readonly JsonWriterOptions _writerOptions = new()
    {
        Encoder = json.Value.SerializerOptions.Encoder,
        SkipValidation = true,
    };

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) || !string.Equals(request.Path.Value, Path, StringComparison.Ordinal) ||
            !MayRead(request) || !OwnershipQueryString.TryRead(request.QueryString.Value, out var p))
            return next(context);
        var query = OwnershipApi.ParseQuery(p.X, p.Y, p.Crs, p.Class, p.At);
        if (!query.IsOk) return next(context);
        var answer = service.Snapshot.Answer(query.Value);
        if (answer.IsOk) return WriteAsync(context.Response, answer.Value);
        // Outside every grid: the routed endpoint's 404 problem (nearest grid, distance), written here as it writes it.
        return answer.Failure.Kind == FailureKind.NotFound ? Problems.From(answer.Failures).ExecuteAsync(context) : next(context);
    }

    private bool MayRead(HttpRequest request)
    {
        var presented = ApiKeyAuthenticationHandler.PresentedKey(request);
        if (string.IsNullOrEmpty(presented)) return _anonymousRead;
        return presented.Length <= 256 && registry.Find(presented) is not null;
    }

    // The grid, department and rule of an answer are shared instances of the ownership snapshot: each is serialised
    // once (same options as the routed endpoint) and its bytes reused; only the point's own members are written per
    // request, in OwnershipAnswer's member order. A member added to OwnershipAnswer must be added here too: the test
    // comparing these bytes with the routed endpoint's fails until it is.
    private readonly ConditionalWeakTable<object, byte[]> _fragments = new();
    private readonly JsonSerializerOptions _options = json.Value.SerializerOptions;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    private Task WriteAsync(HttpResponse response, OwnershipAnswer answer)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, _writerOptions);
        writer.Reset(buffer);
        writer.WriteStartObject();
        writer.WritePropertyName("grid"u8);
        writer.WriteRawValue(Fragment(answer.Grid), skipInputValidation: true);
        writer.WritePropertyName("department"u8);
        if (answer.Department is null) writer.WriteNullValue();
        else writer.WriteRawValue(Fragment(answer.Department), skipInputValidation: true);
        writer.WritePropertyName("rule"u8);
        if (answer.Rule is null) writer.WriteNullValue();
        else writer.WriteRawValue(Fragment(answer.Rule), skipInputValidation: true);
        writer.WriteBoolean("onBoundary"u8, answer.OnBoundary);
        writer.WriteString("crs"u8, answer.Crs);
        writer.WriteNumber("x"u8, answer.X);
        writer.WriteNumber("y"u8, answer.Y);
        writer.WriteNumber("lon"u8, answer.Lon);
        writer.WriteNumber("lat"u8, answer.Lat);
        writer.WriteString("class"u8, answer.Class);
        writer.WriteNumber("gridVersion"u8, answer.GridVersion);
        writer.WriteEndObject();
        writer.Flush();

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = buffer.WrittenCount;
        response.BodyWriter.Write(buffer.WrittenSpan); // copied into the response pipe: the thread's buffer is free again
        var flush = response.BodyWriter.FlushAsync(response.HttpContext.RequestAborted);
        return flush.IsCompletedSuccessfully ? Task.CompletedTask : flush.AsTask();
    }

    private byte[] Fragment(object shared) =>
        _fragments.GetValue(shared, o => JsonSerializer.SerializeToUtf8Bytes(o, _options.GetTypeInfo(o.GetType())));
}

/// <summary>The five parameters of an ownership query read off a raw query string (<c>?x=..&amp;y=..</c>).</summary>
internal static class OwnershipQueryString
{
    public readonly record struct Parameters(string? X, string? Y, string? Crs, string? Class, string? At);

    /// <summary>
    /// Reads x, y, crs, class and at (names case-insensitive, as model binding reads them; values percent- and
    /// plus-decoded). False when a parameter repeats or any other parameter is present (such as <c>component</c>):
    /// the routed endpoint decides what those mean.
    /// </summary>
    public static bool TryRead(string? queryString, out Parameters parameters)
    {
        parameters = default;
        string? x = null, y = null, crs = null, cls = null, at = null;
        var q = queryString.AsSpan();
        if (q.StartsWith("?")) q = q[1..];
        while (!q.IsEmpty)
        {
            var amp = q.IndexOf('&');
            var pair = amp < 0 ? q : q[..amp];
            q = amp < 0 ? [] : q[(amp + 1)..];
            if (pair.IsEmpty) continue;
            var eq = pair.IndexOf('=');
            var name = eq < 0 ? pair : pair[..eq];
            var raw = eq < 0 ? [] : pair[(eq + 1)..];
            ref var slot = ref Slot(name, ref x, ref y, ref crs, ref cls, ref at, out var known);
            if (!known) return false; // e.g. component=: the routed endpoint decides what other parameters mean
            if (slot is not null) return false;
            slot = Decode(raw);
        }
        parameters = new Parameters(x, y, crs, cls, at);
        return true;
    }

    private static ref string? Slot(ReadOnlySpan<char> name, ref string? x, ref string? y, ref string? crs, ref string? cls,
        ref string? at, out bool known)
    {
        known = true;
        if (name.Equals("x", StringComparison.OrdinalIgnoreCase)) return ref x;
        if (name.Equals("y", StringComparison.OrdinalIgnoreCase)) return ref y;
        if (name.Equals("crs", StringComparison.OrdinalIgnoreCase)) return ref crs;
        if (name.Equals("class", StringComparison.OrdinalIgnoreCase)) return ref cls;
        if (name.Equals("at", StringComparison.OrdinalIgnoreCase)) return ref at;
        known = false;
        return ref x;
    }

    private static string Decode(ReadOnlySpan<char> raw) =>
        raw.IndexOfAny('%', '+') < 0 ? raw.ToString() : Uri.UnescapeDataString(raw.ToString().Replace('+', ' '));
}

/// <summary>
/// Moves a request off Kestrel's socket thread onto the thread pool before the rest of the pipeline runs. With inline
/// scheduling (<see cref="GeoOptions.InlineHotPath"/>) requests start on the socket threads; only the non-blocking
/// middleware before this one (exception handler, rate limits, the ownership hot path) may run there, since a tile
/// render, a database read or an upload would stall every other connection served by that thread.
/// </summary>
internal sealed class ThreadPoolHop(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await Task.Yield(); // no synchronisation context in ASP.NET Core: the continuation is queued to the thread pool
        await next(context);
    }
}
