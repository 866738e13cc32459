using System.Globalization;
using Geo.Spatial.Tiles;
using Microsoft.Data.Sqlite;

namespace Geo.Tiles.Raster;

/// <summary>Where seeded tiles go. <see cref="Write"/> is called from several workers at once.</summary>
public interface ITileSink : IDisposable
{
    /// <summary>Stores one encoded tile (XYZ address: y counted from the north).</summary>
    void Write(TileId tile, byte[] bytes);

    /// <summary>Makes everything written visible (e.g. commits and renames the file). Without it, nothing is kept.</summary>
    void Complete();
}

/// <summary>An XYZ directory, <c>{z}/{x}/{y}.{ext}</c>: the layout of <c>gdal2tiles.py --xyz</c>.</summary>
public sealed class DirectoryTileSink(string directory, string extension) : ITileSink
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _created = new(StringComparer.Ordinal);

    public void Write(TileId tile, byte[] bytes)
    {
        var dir = Path.Combine(directory, tile.Z.ToString(CultureInfo.InvariantCulture), tile.X.ToString(CultureInfo.InvariantCulture));
        if (_created.TryAdd(dir, true)) Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, tile.Y.ToString(CultureInfo.InvariantCulture) + "." + extension), bytes);
    }

    public void Complete()
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>What an MBTiles file says about its tiles (the <c>metadata</c> table, MBTiles 1.3).</summary>
/// <param name="Name">Display name.</param>
/// <param name="Format">png, jpg or webp.</param>
/// <param name="BoundsLonLat">Extent in degrees, x = longitude (written as "west,south,east,north").</param>
/// <param name="MinZoom">Lowest zoom seeded.</param>
/// <param name="MaxZoom">Highest zoom seeded.</param>
/// <param name="Description">Free text.</param>
public sealed record MbTilesMetadata(string Name, string Format, Box BoundsLonLat, int MinZoom, int MaxZoom, string Description = "");

/// <summary>
/// An MBTiles 1.3 file (SQLite): <c>metadata(name, value)</c> and <c>tiles(zoom_level, tile_column, tile_row,
/// tile_data)</c> with the unique index the spec asks for. Rows are TMS (counted from the south: tile_row =
/// 2^z − 1 − y). Written into <c>{path}.partial</c> in one transaction and renamed onto the final path by
/// <see cref="Complete"/>, so an interrupted seed leaves no half file under the name. Thread-safe writes (one lock).
/// GDAL's MBTiles driver and map viewers read it.
/// </summary>
public sealed class MbTilesSink : ITileSink
{
    private readonly string _path;
    private readonly string _partial;
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly SqliteCommand _insert;
    private readonly Lock _gate = new();
    private bool _completed;

    public MbTilesSink(string path, MbTilesMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        _path = Path.GetFullPath(path);
        _partial = _path + ".partial";
        File.Delete(_partial);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _partial, Pooling = false, Mode = SqliteOpenMode.ReadWriteCreate }.ToString());
        _connection.Open();
        Exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096; PRAGMA application_id=0x4d504258;");
        _transaction = _connection.BeginTransaction();
        Exec("CREATE TABLE metadata (name TEXT, value TEXT);" +
             "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);");
        var b = metadata.BoundsLonLat;
        var inv = CultureInfo.InvariantCulture;
        var centreZoom = Math.Clamp(metadata.MinZoom + 2, metadata.MinZoom, metadata.MaxZoom);
        foreach (var (name, value) in new[]
                 {
                     ("name", metadata.Name), ("format", metadata.Format), ("type", "baselayer"), ("version", "1.3"),
                     ("description", metadata.Description),
                     ("bounds", string.Format(inv, "{0:R},{1:R},{2:R},{3:R}", b.MinX, b.MinY, b.MaxX, b.MaxY)),
                     ("center", string.Format(inv, "{0:R},{1:R},{2}", (b.MinX + b.MaxX) / 2, (b.MinY + b.MaxY) / 2, centreZoom)),
                     ("minzoom", metadata.MinZoom.ToString(inv)), ("maxzoom", metadata.MaxZoom.ToString(inv)),
                 })
        {
            using var cmd = _connection.CreateCommand();
            cmd.Transaction = _transaction;
            cmd.CommandText = "INSERT INTO metadata (name, value) VALUES ($n, $v)";
            cmd.Parameters.AddWithValue("$n", name);
            cmd.Parameters.AddWithValue("$v", value);
            cmd.ExecuteNonQuery();
        }

        _insert = _connection.CreateCommand();
        _insert.Transaction = _transaction;
        _insert.CommandText = "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES ($z, $x, $y, $d)";
        _insert.Parameters.Add("$z", SqliteType.Integer);
        _insert.Parameters.Add("$x", SqliteType.Integer);
        _insert.Parameters.Add("$y", SqliteType.Integer);
        _insert.Parameters.Add("$d", SqliteType.Blob);
        _insert.Prepare();
    }

    public void Write(TileId tile, byte[] bytes)
    {
        lock (_gate)
        {
            _insert.Parameters[0].Value = tile.Z;
            _insert.Parameters[1].Value = tile.X;
            _insert.Parameters[2].Value = (1L << tile.Z) - 1 - tile.Y;
            _insert.Parameters[3].Value = bytes;
            _insert.ExecuteNonQuery();
        }
    }

    public void Complete()
    {
        lock (_gate)
        {
            Exec("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);");
            _transaction.Commit();
            _insert.Dispose();
            _connection.Close();
            SqliteConnection.ClearPool(_connection);
            File.Move(_partial, _path, overwrite: true);
            _completed = true;
        }
    }

    public void Dispose()
    {
        if (_completed) return;
        _insert.Dispose();
        _transaction.Dispose();
        _connection.Dispose();
        try { File.Delete(_partial); } catch (IOException) { }
    }

    private void Exec(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = _transaction;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
