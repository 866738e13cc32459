using Geo.Spatial;
using NetTopologySuite.Geometries;

namespace Geo.Spatial.Tests;

public sealed class HilbertTests
{
    [Fact]
    public void TheCurveFillsTheCornerBlockFirst_StepByStepBetweenNeighbours()
    {
        // An order-16 curve starting at (0, 0) visits the 64 x 64 corner block as its first 4,096 positions.
        var byKey = new (uint X, uint Y)[4096];
        for (uint x = 0; x < 64; x++)
            for (uint y = 0; y < 64; y++)
            {
                var k = Hilbert.Key(x, y);
                Assert.InRange(k, 0UL, 4095UL);
                byKey[k] = (x, y);
            }

        for (var i = 1; i < byKey.Length; i++)
        {
            var step = Math.Abs((int)byKey[i].X - (int)byKey[i - 1].X) + Math.Abs((int)byKey[i].Y - (int)byKey[i - 1].Y);
            Assert.Equal(1, step);
        }
    }

    [Fact]
    public void KeysOverABox_AreClampedAtItsEdges()
    {
        var box = new Envelope(112.8, 112.9, 34.1, 34.2);
        Assert.Equal(0UL, Hilbert.Key(112.8, 34.1, box));
        Assert.Equal(Hilbert.Key(112.8, 34.1, box), Hilbert.Key(100, 30, box));
        Assert.Equal(Hilbert.Key(112.9, 34.2, box), Hilbert.Key(120, 40, box));
    }
}
