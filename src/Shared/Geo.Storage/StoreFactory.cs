using Geo.ChangeDetect.Findings;
using Geo.GridService.Census;
using Geo.GridService.Storage;
using Geo.Spatial.Failures;
using Geo.Surveys;
using Geo.Storage.GeoPackage;
using Geo.Storage.PostGis;

namespace Geo.Storage;

/// <summary>How <see cref="StoreFactory.OpenAsync(string, StoreOpenOptions?, CancellationToken)"/> opens a store.</summary>
/// <param name="Migrate">Apply pending schema migrations at open (default). The GeoPackage store always brings its
/// own file up to date; for PostGIS, false makes an out-of-date schema an error that names <c>geo store migrate</c>.</param>
public sealed record StoreOpenOptions(bool Migrate = true);

/// <summary>
/// A store could not be opened: the spec is malformed, the database is unreachable or refuses the login, or the
/// schema does not match this software. <see cref="Failure"/> says which (kind BadRequest, Unavailable or Conflict);
/// its message never holds a password.
/// </summary>
public sealed class StoreOpenException(Failure failure, Exception? inner = null) : Exception(failure.Message, inner)
{
    /// <summary>The reason, for the CLI's one error line and exit code.</summary>
    public Failure Failure { get; } = failure;
}

/// <summary>
/// The one place a store is chosen by configuration: a PostgreSQL URI or connection string opens
/// <see cref="PostGisGridStore"/>, anything else is the path of a <see cref="GeoPackageGridStore"/> (see
/// <see cref="StoreSpec"/>). The CLI's <c>--store</c> / <c>GEO_STORE</c> and <c>serve</c> come through here.
/// </summary>
public static class StoreFactory
{
    /// <summary>Opens (and by default migrates) the store <paramref name="storeSpec"/> names.</summary>
    /// <exception cref="StoreOpenException">The spec is malformed or the store cannot be opened.</exception>
    public static Task<IGridStore> OpenAsync(string storeSpec, StoreOpenOptions? options = null, CancellationToken ct = default)
    {
        var spec = StoreSpec.Parse(storeSpec);
        if (!spec.IsOk) throw new StoreOpenException(spec.Failure);
        return OpenAsync(spec.Value, options, ct);
    }

    /// <inheritdoc cref="OpenAsync(string, StoreOpenOptions?, CancellationToken)"/>
    public static async Task<IGridStore> OpenAsync(StoreSpec spec, StoreOpenOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new StoreOpenOptions();
        try
        {
            return spec.Kind switch
            {
                StoreKind.PostGis => await PostGisGridStore.OpenAsync(spec.Target, new PostGisOpenOptions(options.Migrate), ct).ConfigureAwait(false),
                _ => await GeoPackageGridStore.OpenAsync(spec.Target, ct).ConfigureAwait(false),
            };
        }
        catch (StoreUnavailableException e)
        {
            throw new StoreOpenException(Failure.Unavailable("store_unavailable", $"{spec.Display}: {Scrub(e.Message, spec)}"), e);
        }
        catch (InvalidDataException e)
        {
            throw new StoreOpenException(Failure.Conflict("store_schema", $"{spec.Display}: {Scrub(e.Message, spec)}"), e);
        }
        catch (Npgsql.PostgresException e)
        {
            // e.g. 42501 permission denied to create the extension: the message is the server's, without connection details.
            throw new StoreOpenException(Failure.Unavailable("store_open_failed", $"{spec.Display}: {e.SqlState}: {Scrub(e.MessageText, spec)}"), e);
        }
    }

    /// <summary>Belt and braces: no message leaves with the password in it, whatever a driver put there.</summary>
    private static string Scrub(string message, StoreSpec spec)
    {
        if (spec.Kind != StoreKind.PostGis) return message;
        var password = new Npgsql.NpgsqlConnectionStringBuilder(spec.Target).Password;
        return string.IsNullOrEmpty(password) ? message : message.Replace(password, "***", StringComparison.Ordinal);
    }

    /// <summary>
    /// The census on the same store as <paramref name="grids"/>: the same PostgreSQL database (sharing the grid store's
    /// connection pool, revision and change feed; disposing it leaves the grid store open) or the same GeoPackage file.
    /// </summary>
    public static async Task<ICensusStore> OpenCensusAsync(IGridStore grids, CancellationToken ct = default) => grids switch
    {
        PostGisGridStore pg => PostGisCensusStore.On(pg),
        GeoPackageGridStore gp => await GeoPackageCensusStore.OpenAsync(gp.FilePath, ct).ConfigureAwait(false),
        _ => throw new NotSupportedException($"No census store for {grids.GetType().Name}."),
    };

    /// <summary>
    /// The survey records beside <paramref name="grids"/>: in the same PostgreSQL database, or for a GeoPackage store in
    /// the GeoPackage at <paramref name="geoPackagePath"/> (the store file itself, unless configured otherwise).
    /// </summary>
    public static async Task<ISurveyStore> OpenSurveysAsync(IGridStore grids, string geoPackagePath, CancellationToken ct = default) => grids switch
    {
        PostGisGridStore pg => PostGisSurveyStore.On(pg),
        _ => await GeoPackageSurveyStore.OpenAsync(geoPackagePath, ct).ConfigureAwait(false),
    };

    /// <summary>
    /// The change runs and findings on the same store as <paramref name="grids"/>: the same PostgreSQL database (sharing
    /// the grid store's pool, revision and change feed) or the same GeoPackage file.
    /// </summary>
    public static async Task<IFindingStore> OpenFindingsAsync(IGridStore grids, CancellationToken ct = default) => grids switch
    {
        PostGisGridStore pg => PostGisFindingStore.On(pg),
        GeoPackageGridStore gp => await GeoPackageFindingStore.OpenAsync(gp.FilePath, ct).ConfigureAwait(false),
        _ => throw new NotSupportedException($"No finding store for {grids.GetType().Name}."),
    };
}
