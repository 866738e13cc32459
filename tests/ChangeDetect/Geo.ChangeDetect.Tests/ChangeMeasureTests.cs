using OpenCvSharp;

namespace Geo.ChangeDetect.Tests;

/// <summary>The directional construction cues of the image-pair score (ChangeMeasure), each on a plain scene.</summary>
public sealed class ChangeMeasureTests
{
    private const int Side = 96;

    private static Mat Plain(double r, double g, double b) => new(Side, Side, MatType.CV_32FC3, new Scalar(r, g, b));

    private static float At(Mat m, int x, int y) => m.At<float>(y, x);

    [Fact]
    public void Building_index_is_high_on_a_bright_roof_of_building_size_and_zero_on_open_ground()
    {
        using var ground = Plain(90, 80, 70);
        using var roofed = ground.Clone();
        Cv2.Rectangle(roofed, new Rect(30, 30, 16, 16), new Scalar(200, 200, 200), -1); // 8 m x 8 m at 0.5 m

        using var index = ChangeMeasure.BuildingIndex(roofed, 0.5);

        Assert.True(At(index, 38, 38) > 50, $"roof centre {At(index, 38, 38)}");
        Assert.Equal(0, At(index, 80, 80), 3);
    }

    [Fact]
    public void Building_index_gain_is_positive_where_a_roof_appeared_and_zero_where_nothing_changed()
    {
        using var before = Plain(90, 80, 70);
        using var after = before.Clone();
        Cv2.Rectangle(after, new Rect(30, 30, 16, 16), new Scalar(200, 200, 200), -1);

        using var gain = ChangeMeasure.BuildingIndexGain(before, after, 0.5);

        Assert.True(At(gain, 38, 38) > 50);
        Assert.Equal(0, At(gain, 80, 80), 3);
    }

    [Fact]
    public void Texture_gain_is_positive_where_edges_appeared_on_flat_ground()
    {
        using var la = new Mat(Side, Side, MatType.CV_32FC1, Scalar.All(50));
        using var lb = la.Clone();
        for (var x = 20; x < 60; x += 4)
        {
            Cv2.Line(lb, new Point(x, 20), new Point(x, 60), Scalar.All(80), 2); // a row of roofs' edges
        }

        using var gain = ChangeMeasure.TextureGain(la, lb);

        Assert.True(At(gain, 40, 40) > 5, $"gain {At(gain, 40, 40)}");
        Assert.Equal(0, At(gain, 85, 85), 3);
    }

    [Fact]
    public void Chroma_loss_is_positive_where_a_coloured_field_turned_grey()
    {
        using var field = Plain(150, 110, 60); // brown soil
        using var roof = Plain(120, 120, 120); // grey
        using var labA = ChangeMeasure.ToLab(field);
        using var labB = ChangeMeasure.ToLab(roof);

        using var loss = ChangeMeasure.ChromaLoss(labA, labB);

        Assert.True(At(loss, 10, 10) > 20, $"loss {At(loss, 10, 10)}");
        using var same = ChangeMeasure.ChromaLoss(labA, labA);
        Assert.Equal(0, At(same, 10, 10), 3);
    }
}
