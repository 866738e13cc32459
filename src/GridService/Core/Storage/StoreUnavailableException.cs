namespace Geo.GridService.Storage;

/// <summary>
/// The store could not be reached (database restarting, network down, pool exhausted) after the backend's own
/// retries. Reads throw it; writes return a <see cref="Geo.Spatial.Failures.Failure"/> of kind Unavailable instead.
/// The HTTP edge maps it to 503 problem+json, so a caller knows to retry. The message never holds connection details.
/// </summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
