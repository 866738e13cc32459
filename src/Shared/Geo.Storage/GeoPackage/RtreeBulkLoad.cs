using System.Buffers.Binary;
using Geo.Spatial;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;

namespace Geo.Storage.GeoPackage;

/// <summary>One entry of a GeoPackage R*Tree: the feature id and its box (x = longitude, y = latitude, EPSG:4490).</summary>
internal readonly record struct RtreeBox(long Fid, double MinX, double MaxX, double MinY, double MaxY);

/// <summary>
/// Builds a GeoPackage's SQLite R*Tree (<c>rtree_&lt;table&gt;_&lt;column&gt;</c>) in one pass, the way GDAL's
/// GeoPackage driver does for large loads: boxes sorted along a Hilbert curve, packed into full leaves, parents
/// packed the same way up to the root, and the nodes written straight into the virtual table's shadow tables
/// (<c>_node</c>, <c>_parent</c>, <c>_rowid</c>) in SQLite's own format. Inserting row by row costs SQLite's R*Tree
/// a descent and frequent splits per box (about 17 µs a point here); this costs a sort and one write per node.
/// <para>The format (sqlite/ext/rtree/rtree.c): node 1 is the root; a node blob is 2 bytes of tree depth (root only,
/// big-endian), 2 bytes of cell count, then cells of an 8-byte id (feature id in leaves, child node number above)
/// and minx, maxx, miny, maxy as big-endian 32-bit floats rounded outwards; blobs are padded to the node size,
/// <c>min(page_size - 64, 4 + 51 * 24)</c> bytes. The virtual table is dropped and created again first, so no
/// connection holds nodes of the old tree. Runs inside the caller's transaction: a rollback restores the old tree.
/// Checked by SQLite's own <c>rtreecheck()</c> in the tests.</para>
/// </summary>
internal static class RtreeBulkLoad
{
    private const int BytesPerCell = 8 + 4 * 4;
    private const int MaxCells = 51; // RTREE_MAXCELLS

    /// <summary>Replaces the whole content of <paramref name="rtree"/> by <paramref name="boxes"/>.</summary>
    /// <param name="rtree">The R*Tree's name: a trusted identifier of the schema, never user input.</param>
    public static void Rebuild(SqliteConnection c, SqliteTransaction tx, string rtree, IReadOnlyList<RtreeBox> boxes, CancellationToken ct) =>
        Write(c, tx, rtree, Plan(boxes, NodeSize(c, tx), ct), ct);

    /// <summary>The node size of an R*Tree created in this file: <c>min(page_size - 64, 4 + 51 * 24)</c> bytes.</summary>
    public static int NodeSize(SqliteConnection c, SqliteTransaction tx)
    {
        var pageSize = Convert.ToInt32(GeoPackageSchema.Scalar(c, tx, "PRAGMA page_size;"), System.Globalization.CultureInfo.InvariantCulture);
        return Math.Min(pageSize - 64, 4 + MaxCells * BytesPerCell);
    }

    /// <summary>
    /// The packed tree of <paramref name="boxes"/>, computed without touching the file (pure CPU: a Hilbert sort and
    /// the node boxes), so a caller can run it on another thread while its connection does other work.
    /// </summary>
    public static PackedRtree Plan(IReadOnlyList<RtreeBox> boxes, int nodeSize, CancellationToken ct)
    {
        var capacity = (nodeSize - 4) / BytesPerCell;
        if (boxes.Count == 0) return new PackedRtree(nodeSize, capacity, [], [], []);

        // Leaves: the boxes in Hilbert order of their centres, rounded outwards to float as SQLite stores them.
        var order = HilbertOrder(boxes);
        ct.ThrowIfCancellationRequested();
        var level = new Cell[boxes.Count];
        for (var i = 0; i < level.Length; i++)
        {
            var b = boxes[order[i]];
            level[i] = new Cell(b.Fid, Down(b.MinX), Up(b.MaxX), Down(b.MinY), Up(b.MaxY));
        }

        // Levels bottom-up: each level's nodes are packed runs of the level below. Node numbers are given top-down
        // afterwards (root = 1), so keep the levels until then.
        var levels = new List<Cell[]> { level };
        while (levels[^1].Length > capacity)
        {
            var below = levels[^1];
            var parents = new Cell[(below.Length + capacity - 1) / capacity];
            for (var p = 0; p < parents.Length; p++)
            {
                var from = p * capacity;
                var to = Math.Min(below.Length, from + capacity);
                float minX = below[from].MinX, maxX = below[from].MaxX, minY = below[from].MinY, maxY = below[from].MaxY;
                for (var i = from + 1; i < to; i++)
                {
                    minX = Math.Min(minX, below[i].MinX);
                    maxX = Math.Max(maxX, below[i].MaxX);
                    minY = Math.Min(minY, below[i].MinY);
                    maxY = Math.Max(maxY, below[i].MaxY);
                }
                parents[p] = new Cell(0, minX, maxX, minY, maxY); // id: the child's node number, filled in below
            }
            levels.Add(parents);
        }

        // Number the nodes top-down, level by level: the root (which holds the top level's cells) is 1.
        var depth = levels.Count - 1;
        var firstNode = new long[levels.Count + 1]; // firstNode[k]: number of the first node holding cells of levels[k]
        firstNode[depth] = 1;
        for (var k = depth - 1; k >= 0; k--)
            firstNode[k] = firstNode[k + 1] + NodeCount(levels[k + 1].Length, capacity);
        for (var k = 1; k <= depth; k++)
        {
            var cells = levels[k];
            for (var i = 0; i < cells.Length; i++) cells[i] = cells[i] with { Id = firstNode[k - 1] + i };
        }

        // Feature id -> leaf, in id order (written as appends to the _rowid B-tree rather than random inserts).
        var leafOf = new (long Fid, long Leaf)[level.Length];
        for (var i = 0; i < level.Length; i++) leafOf[i] = (level[i].Id, firstNode[0] + i / capacity);
        Array.Sort(leafOf);
        return new PackedRtree(nodeSize, capacity, [.. levels], firstNode, leafOf);
    }

    /// <summary>Replaces the content of <paramref name="rtree"/> by a planned tree (inside the caller's transaction).</summary>
    /// <param name="rtree">The R*Tree's name: a trusted identifier of the schema, never user input.</param>
    public static void Write(SqliteConnection c, SqliteTransaction tx, string rtree, PackedRtree tree, CancellationToken ct)
    {
        GeoPackageSchema.Execute(c, tx, $"DROP TABLE \"{rtree}\"; CREATE VIRTUAL TABLE \"{rtree}\" USING rtree(id, minx, maxx, miny, maxy);");
        if (tree.Levels.Length == 0) return;
        if (tree.NodeSize != NodeSize(c, tx)) throw new InvalidOperationException("The planned R*Tree's node size does not match the file's.");
        GeoPackageSchema.Execute(c, tx, $"DELETE FROM \"{rtree}_node\";");

        var levels = tree.Levels;
        var firstNode = tree.FirstNode;
        var capacity = tree.Capacity;
        var depth = levels.Length - 1;
        using var node = new RawStatement(c, $"INSERT INTO \"{rtree}_node\" (nodeno, data) VALUES (?1, ?2);");
        using var parent = new RawStatement(c, $"INSERT INTO \"{rtree}_parent\" (nodeno, parentnode) VALUES (?1, ?2);");
        var blob = new byte[tree.NodeSize];
        for (var k = depth; k >= 0; k--)
        {
            ct.ThrowIfCancellationRequested();
            var cells = levels[k];
            var nodes = NodeCount(cells.Length, capacity);
            for (var n = 0; n < nodes; n++)
            {
                Array.Clear(blob);
                var from = n * capacity;
                var count = Math.Min(capacity, cells.Length - from);
                var number = firstNode[k] + n;
                BinaryPrimitives.WriteUInt16BigEndian(blob, (ushort)(number == 1 ? depth : 0));
                BinaryPrimitives.WriteUInt16BigEndian(blob.AsSpan(2), (ushort)count);
                for (var i = 0; i < count; i++)
                {
                    var cell = cells[from + i];
                    var at = blob.AsSpan(4 + i * BytesPerCell);
                    BinaryPrimitives.WriteInt64BigEndian(at, cell.Id);
                    BinaryPrimitives.WriteSingleBigEndian(at[8..], cell.MinX);
                    BinaryPrimitives.WriteSingleBigEndian(at[12..], cell.MaxX);
                    BinaryPrimitives.WriteSingleBigEndian(at[16..], cell.MinY);
                    BinaryPrimitives.WriteSingleBigEndian(at[20..], cell.MaxY);
                }
                node.Bind(1, number);
                node.BindBlob(2, blob);
                node.StepOrThrow();
                if (number != 1)
                {
                    // The parent of node n of this level is the node above holding its cell: cell index n of levels[k + 1].
                    parent.Bind(1, number);
                    parent.Bind(2, firstNode[k + 1] + n / capacity);
                    parent.StepOrThrow();
                }
            }
        }

        // The feature id -> leaf map, 64 rows to a statement (SQLite's per-statement work paid once per group).
        const int group = 64;
        var leafOf = tree.LeafOf;
        var next = 0;
        using (var many = new RawStatement(c, $"INSERT INTO \"{rtree}_rowid\" (rowid, nodeno) VALUES "
                                              + string.Join(", ", Enumerable.Range(0, group).Select(r => $"(?{2 * r + 1}, ?{2 * r + 2})")) + ";"))
        {
            for (; next + group <= leafOf.Length; next += group)
            {
                if ((next & 65535) < group) ct.ThrowIfCancellationRequested();
                for (var r = 0; r < group; r++)
                {
                    many.Bind(2 * r + 1, leafOf[next + r].Fid);
                    many.Bind(2 * r + 2, leafOf[next + r].Leaf);
                }
                many.StepOrThrow();
            }
        }
        using var rowid = new RawStatement(c, $"INSERT INTO \"{rtree}_rowid\" (rowid, nodeno) VALUES (?1, ?2);");
        for (; next < leafOf.Length; next++)
        {
            rowid.Bind(1, leafOf[next].Fid);
            rowid.Bind(2, leafOf[next].Leaf);
            rowid.StepOrThrow();
        }
    }

    /// <summary>Indexes of <paramref name="boxes"/> sorted along a Hilbert curve of their centres over their extent.</summary>
    public static int[] HilbertOrder(IReadOnlyList<RtreeBox> boxes)
    {
        var extent = new Envelope();
        foreach (var b in boxes)
        {
            extent.ExpandToInclude(b.MinX, b.MinY);
            extent.ExpandToInclude(b.MaxX, b.MaxY);
        }
        var keys = new ulong[boxes.Count];
        var order = new int[boxes.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            var b = boxes[i];
            keys[i] = Hilbert.Key((b.MinX + b.MaxX) / 2, (b.MinY + b.MaxY) / 2, extent);
            order[i] = i;
        }
        Array.Sort(keys, order);
        return order;
    }

    private static int NodeCount(int cells, int capacity) => (cells + capacity - 1) / capacity;

    // SQLite's rtreeValueDown / rtreeValueUp: the float nearest below (above) the double.
    private const double RoundTowards = 1.0 - 1.0 / 8388608.0;
    private const double RoundAway = 1.0 + 1.0 / 8388608.0;

    internal static float Down(double d)
    {
        var f = (float)d;
        return f > d ? (float)(d * (d < 0 ? RoundAway : RoundTowards)) : f;
    }

    internal static float Up(double d)
    {
        var f = (float)d;
        return f < d ? (float)(d * (d < 0 ? RoundTowards : RoundAway)) : f;
    }

    internal readonly record struct Cell(long Id, float MinX, float MaxX, float MinY, float MaxY);
}

/// <summary>A packed R*Tree planned by <see cref="RtreeBulkLoad.Plan"/>: cells per level (leaves first), the first node
/// number of each level, and each feature id's leaf in id order.</summary>
internal sealed record PackedRtree(int NodeSize, int Capacity, RtreeBulkLoad.Cell[][] Levels, long[] FirstNode, (long Fid, long Leaf)[] LeafOf);
