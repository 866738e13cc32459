using Geo.Storage.PostGis;
using NpgsqlTypes;

namespace Geo.Storage.Tests;

/// <summary>The COPY helper's guard on identifiers: names are checked and quoted, never interpolated raw (SECURITY A1).</summary>
public sealed class BinaryCopyTests
{
    private sealed record Row(int Id);

    [Theory]
    [InlineData("grids; DROP TABLE grids")]
    [InlineData("Grids")]
    [InlineData("\"grids\"")]
    [InlineData("")]
    [InlineData("1grids")]
    [InlineData("public.grids")]
    public void NonPlainIdentifiers_AreRejected(string name)
    {
        Assert.Throws<ArgumentException>(() => CopyColumn.Value<Row, int>(name, NpgsqlDbType.Integer, r => r.Id));
        Assert.Throws<ArgumentException>(() => BinaryCopy.CommandText(name, [CopyColumn.Value<Row, int>("id", NpgsqlDbType.Integer, r => r.Id)]));
    }

    [Fact]
    public void CommandText_QuotesEveryName()
    {
        var sql = BinaryCopy.CommandText("grids", [
            CopyColumn.Value<Row, int>("version", NpgsqlDbType.Integer, r => r.Id),
            CopyColumn.Of<Row, string>("code", NpgsqlDbType.Text, r => r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ]);

        Assert.Equal("COPY \"grids\" (\"version\", \"code\") FROM STDIN (FORMAT BINARY)", sql);
    }
}
