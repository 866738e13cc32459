using Geo.GridService.Census;
using Geo.GridService.Codes;

namespace Geo.GridService.Tests.Census;

public sealed class ComponentCodeTests
{
    [Fact]
    public void Parses_TheStandardsExample_IntoItsParts()
    {
        var code = ComponentCode.Parse("4104820101000001").Value;
        Assert.Equal("410482", code.County);
        Assert.Equal("C0101", code.Class.ToString());
        Assert.Equal(1, code.Serial);
        Assert.Equal(4104820101000001L, code.Number);
        Assert.Equal(code, ComponentCode.FromNumber(code.Number));
    }

    [Theory]
    [InlineData("410482010100001", "component_code_format")]      // 15 digits
    [InlineData("41048201010000011", "component_code_format")]    // 17 digits
    [InlineData("41048201O1000001", "component_code_format")]     // letter O
    [InlineData("４１０４８２０１０１０００００１", "component_code_format")] // full-width digits
    [InlineData("4104820001000001", "component_code_format")]     // major 00
    [InlineData("4104820100000001", "component_code_format")]     // minor 00
    [InlineData("4104820101000000", "component_code_format")]     // serial 000000
    [InlineData("", "component_code_missing")]
    [InlineData(null, "component_code_missing")]
    public void Rejects(string? text, string code) => Assert.Equal(code, ComponentCode.Parse(text).Failure.Code);

    [Fact]
    public void Create_PadsTheSerial_AndRefusesEventClasses()
    {
        var county = CountyCode.Parse("410482").Value;
        Assert.Equal("4104820118000042", ComponentCode.Create(county, ClassCode.Parse("C0118").Value, 42).Value);
        Assert.Throws<ArgumentException>(() => ComponentCode.Create(county, ClassCode.Parse("E0101").Value, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ComponentCode.Create(county, ClassCode.Parse("C0118").Value, 1_000_000));
    }

    [Fact]
    public void NumberOrder_IsTextOrder()
    {
        var a = ComponentCode.Parse("4104820101000009").Value;
        var b = ComponentCode.Parse("4104820101000010").Value;
        Assert.True(a.CompareTo(b) < 0);
        Assert.True(a.Number < b.Number);
    }
}
