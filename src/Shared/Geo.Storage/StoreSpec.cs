using System.Globalization;
using Geo.Spatial.Failures;
using Npgsql;

namespace Geo.Storage;

/// <summary>The two storage backends.</summary>
public enum StoreKind
{
    /// <summary>The embedded default: one GeoPackage file.</summary>
    GeoPackage,

    /// <summary>PostgreSQL 15+ with PostGIS 3.3+: the production store, shared by several service instances.</summary>
    PostGis,
}

/// <summary>
/// Where the data lives, parsed from the one string users give (<c>--store</c>, <c>GEO_STORE</c>):
/// <list type="bullet">
/// <item>a <c>postgres://</c> or <c>postgresql://</c> URI — <c>postgres://user:password@host:5432/database?sslmode=require</c>
/// (user and password percent-encoded; query parameters <c>sslmode</c>, <c>application_name</c>,
/// <c>connect_timeout</c>, <c>search_path</c>, <c>host</c>, <c>port</c>);</item>
/// <item>an Npgsql connection string — <c>Host=127.0.0.1;Port=5432;Database=geo;Username=geo;Password=...</c> (recognised
/// by a <c>Host=</c> or <c>Server=</c> key);</item>
/// <item>anything else: the path of a GeoPackage file.</item>
/// </list>
/// <see cref="Display"/> is the only form that may be printed or logged: it never holds the password.
/// </summary>
public sealed record StoreSpec
{
    private StoreSpec(StoreKind kind, string target, string display)
    {
        Kind = kind;
        Target = target;
        Display = display;
    }

    /// <summary>Which backend.</summary>
    public StoreKind Kind { get; }

    /// <summary>The GeoPackage path, or the Npgsql connection string (secret: never print it).</summary>
    public string Target { get; }

    /// <summary>A description safe to print and log: the path, or the connection without its password.</summary>
    public string Display { get; }

    /// <inheritdoc />
    /// <remarks>The display form: a spec can be interpolated into a message without leaking the password.</remarks>
    public override string ToString() => Display;

    /// <summary>Parses a store spec (see the type). Fails with <c>store_spec_invalid</c> (bad request) on a malformed one.</summary>
    public static Result<StoreSpec> Parse(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec))
            return Failure.BadRequest("store_spec_invalid", "The store is empty: give a GeoPackage path or a PostgreSQL connection string.");
        spec = spec.Trim();
        if (spec.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || spec.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return FromUri(spec);
        if (LooksLikeConnectionString(spec))
        {
            NpgsqlConnectionStringBuilder builder;
            try
            {
                builder = new NpgsqlConnectionStringBuilder(spec);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                // The exception text may quote the offending part, which could be the password: do not pass it on.
                return Failure.BadRequest("store_spec_invalid",
                    "The PostgreSQL connection string does not parse (expected Key=Value pairs separated by ';', e.g. Host=127.0.0.1;Database=geo;Username=geo).");
            }
            if (string.IsNullOrWhiteSpace(builder.Host))
                return Failure.BadRequest("store_spec_invalid", "The PostgreSQL connection string names no Host.");
            return new StoreSpec(StoreKind.PostGis, builder.ConnectionString, Redact(builder));
        }
        return new StoreSpec(StoreKind.GeoPackage, spec, spec);
    }

    /// <summary>A connection string is recognised by a Host= or Server= key at its start or after a ';'.</summary>
    private static bool LooksLikeConnectionString(string spec)
    {
        foreach (var part in spec.Split(';'))
        {
            var key = part.Split('=', 2)[0].Trim();
            if (part.Contains('=', StringComparison.Ordinal) &&
                (key.Equals("Host", StringComparison.OrdinalIgnoreCase) || key.Equals("Server", StringComparison.OrdinalIgnoreCase)))
                return true;
        }
        return false;
    }

    private static Result<StoreSpec> FromUri(string spec)
    {
        static Failure Bad(string why) => Failure.BadRequest("store_spec_invalid",
            $"The PostgreSQL URI is malformed: {why} (expected postgres://user:password@host:5432/database).");

        if (!Uri.TryCreate(spec, UriKind.Absolute, out var uri)) return Bad("it does not parse as a URI");
        var builder = new NpgsqlConnectionStringBuilder();
        if (!string.IsNullOrEmpty(uri.Host)) builder.Host = uri.Host.Trim('[', ']');
        if (!uri.IsDefaultPort && uri.Port > 0) builder.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) builder.Password = Uri.UnescapeDataString(parts[1]);
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Contains('/', StringComparison.Ordinal)) return Bad("the path must be just the database name");
        if (database.Length > 0) builder.Database = database;

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : "";
            switch (key)
            {
                case "sslmode":
                    if (!TrySslMode(value, out var mode)) return Bad($"sslmode '{Short(value)}' is not one of disable, allow, prefer, require, verify-ca, verify-full");
                    builder.SslMode = mode;
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "connect_timeout":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > 1024)
                        return Bad("connect_timeout must be a whole number of seconds from 1 to 1024");
                    builder.Timeout = seconds;
                    break;
                case "search_path":
                    builder.SearchPath = value;
                    break;
                case "host":
                    builder.Host = value;
                    break;
                case "port":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                        return Bad("port must be 1-65535");
                    builder.Port = port;
                    break;
                default:
                    return Bad($"the parameter '{Short(key)}' is not supported (sslmode, application_name, connect_timeout, search_path, host, port)");
            }
        }
        if (string.IsNullOrWhiteSpace(builder.Host)) return Bad("it names no host");
        return new StoreSpec(StoreKind.PostGis, builder.ConnectionString, Redact(builder));
    }

    private static bool TrySslMode(string value, out SslMode mode)
    {
        (bool ok, mode) = value switch
        {
            "disable" => (true, SslMode.Disable),
            "allow" => (true, SslMode.Allow),
            "prefer" => (true, SslMode.Prefer),
            "require" => (true, SslMode.Require),
            "verify-ca" => (true, SslMode.VerifyCA),
            "verify-full" => (true, SslMode.VerifyFull),
            _ => (false, SslMode.Disable),
        };
        return ok;
    }

    /// <summary>The connection as a URI without the password: <c>postgres://user:***@host:port/database</c>.</summary>
    private static string Redact(NpgsqlConnectionStringBuilder builder)
    {
        var user = string.IsNullOrEmpty(builder.Username) ? "" :
            Uri.EscapeDataString(builder.Username) + (string.IsNullOrEmpty(builder.Password) ? "" : ":***") + "@";
        var host = builder.Host!.Contains(':', StringComparison.Ordinal) && !builder.Host.Contains(',', StringComparison.Ordinal)
            ? $"[{builder.Host}]" : builder.Host;
        return $"postgres://{user}{host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(builder.Database ?? "")}";
    }

    private static string Short(string s) => s.Length > 30 ? s[..30] + "…" : s;
}
