namespace Geo.Surveys.Synthetic;

/// <summary>An axis-aligned rectangle in local metres (x east, y north, from the scene's south-west corner).</summary>
internal readonly record struct Rect(double X0, double Y0, double X1, double Y1)
{
    public double Width => X1 - X0;

    public double Height => Y1 - Y0;

    public double Cx => (X0 + X1) / 2;

    public double Cy => (Y0 + Y1) / 2;

    public Rect Inset(double d) => new(X0 + d, Y0 + d, X1 - d, Y1 - d);

    public bool Overlaps(Rect o) => X0 < o.X1 && o.X0 < X1 && Y0 < o.Y1 && o.Y0 < Y1;
}

/// <summary>Roof materials seen on Henan county towns.</summary>
internal enum Roof
{
    RedTile,
    GreyConcrete,
    BlueSteel,
    WhiteConcrete,
}

internal sealed record Building(Rect Footprint, double HeightM, Roof Roof, bool Pitched);

internal sealed record Tree(double X, double Y, double RadiusM, double HeightM);

/// <summary>The kinds of planted change (the change-detection truth).</summary>
public enum ChangeKind
{
    /// <summary>A building on a lot that was empty.</summary>
    NewBuilding = 1,
    /// <summary>A structure added on an existing roof.</summary>
    RooftopAddition = 2,
    /// <summary>A walled enclosure (construction hoarding) on an empty lot.</summary>
    Enclosure = 3,
}

internal sealed record PlantedChange(int Id, ChangeKind Kind, Rect Area);

/// <summary>
/// The town, in local metres: roads, buildings and trees of the first epoch, and what the second adds. Everything
/// is decided here from the seed; the renderer only draws it.
/// </summary>
internal sealed class TownPlan
{
    public required double SizeM { get; init; }
    public required List<Rect> Roads { get; init; }
    public required List<Building> Buildings { get; init; }
    public required List<Tree> Trees { get; init; }
    public required List<Rect> EmptyLots { get; init; }
    public required List<Building> NewBuildings { get; init; }
    public required List<Building> RooftopAdditions { get; init; }
    public required List<Rect> Enclosures { get; init; }
    public required List<PlantedChange> Changes { get; init; }

    public static TownPlan Create(double sizeM, int seed)
    {
        var rng = new Random(seed);
        const double roadWidth = 9;
        const double spacing = 95;
        var roads = new List<Rect>();
        var lines = new List<double>();
        for (var p = 20 + rng.NextDouble() * 30; p < sizeM - 10; p += spacing + rng.NextDouble() * 20) lines.Add(p);
        foreach (var p in lines)
        {
            roads.Add(new Rect(0, p, sizeM, p + roadWidth));
            roads.Add(new Rect(p, 0, p + roadWidth, sizeM));
        }

        // Blocks between roads (and the scene edge), divided into lots of about 28 m.
        var edges = new List<double> { 0 };
        foreach (var p in lines) { edges.Add(p); edges.Add(p + roadWidth); }
        edges.Add(sizeM);
        var buildings = new List<Building>();
        var trees = new List<Tree>();
        var empty = new List<Rect>();
        var margin = sizeM * 0.12; // planted changes stay inside both epochs' flight footprints
        var allLots = new List<Rect>();
        for (var i = 0; i + 1 < edges.Count; i += 2)
        for (var j = 0; j + 1 < edges.Count; j += 2)
        {
            var block = new Rect(edges[i], edges[j], edges[i + 1], edges[j + 1]).Inset(2);
            if (block.Width < 12 || block.Height < 12) continue;
            var nx = Math.Max(1, (int)(block.Width / 28));
            var ny = Math.Max(1, (int)(block.Height / 28));
            var lw = block.Width / nx;
            var lh = block.Height / ny;
            for (var a = 0; a < nx; a++)
            for (var b = 0; b < ny; b++)
                allLots.Add(new Rect(block.X0 + a * lw, block.Y0 + b * lh, block.X0 + (a + 1) * lw, block.Y0 + (b + 1) * lh).Inset(2.5));
        }

        bool Inner(Rect lot) => lot.X0 > margin && lot.Y0 > margin && lot.X1 < sizeM - margin && lot.Y1 < sizeM - margin;
        // Three inner lots stay empty whatever the dice say, so every kind of change can be planted.
        var reserved = allLots.Where(Inner).OrderBy(_ => rng.Next()).Take(3).ToHashSet();
        foreach (var lot in allLots)
        {
            var roll = rng.NextDouble();
            var inner = Inner(lot);
            if (reserved.Contains(lot))
            {
                empty.Add(lot);
            }
            else if (roll < 0.62)
            {
                var w = lot.Width * (0.55 + rng.NextDouble() * 0.35);
                var h = lot.Height * (0.5 + rng.NextDouble() * 0.35);
                var x0 = lot.X0 + rng.NextDouble() * (lot.Width - w);
                var y0 = lot.Y0 + rng.NextDouble() * (lot.Height - h);
                var storeys = 1 + rng.Next(6);
                var roof = (Roof)rng.Next(4);
                buildings.Add(new Building(new Rect(x0, y0, x0 + w, y0 + h), storeys * 3.0 + 0.5, roof, roof == Roof.RedTile));
            }
            else if (roll < 0.8 && !inner)
            {
                for (var t = 0; t < 4; t++)
                    trees.Add(new Tree(lot.X0 + rng.NextDouble() * lot.Width, lot.Y0 + rng.NextDouble() * lot.Height, 2 + rng.NextDouble() * 2.5, 5 + rng.NextDouble() * 6));
            }
            else if (inner)
            {
                empty.Add(lot);
            }
        }

        // Street trees along the roads, outside the carriageway.
        foreach (var p in lines)
        {
            for (var s = 5.0; s < sizeM; s += 9)
            {
                if (rng.NextDouble() < 0.55) trees.Add(new Tree(s, p - 1.5, 1.8 + rng.NextDouble(), 6 + rng.NextDouble() * 3));
                if (rng.NextDouble() < 0.55) trees.Add(new Tree(p + roadWidth + 1.5, s, 1.8 + rng.NextDouble(), 6 + rng.NextDouble() * 3));
            }
        }

        trees.RemoveAll(t => buildings.Any(b => b.Footprint.Inset(-t.RadiusM).Overlaps(new Rect(t.X, t.Y, t.X + 0.01, t.Y + 0.01)))
                             || roads.Any(r => r.Overlaps(new Rect(t.X - 0.5, t.Y - 0.5, t.X + 0.5, t.Y + 0.5))));

        // Second epoch: new buildings and an enclosure on empty lots, a rooftop addition on a tall building.
        var changes = new List<PlantedChange>();
        var newBuildings = new List<Building>();
        var enclosures = new List<Rect>();
        var additions = new List<Building>();
        var lots = empty.OrderBy(_ => rng.Next()).ToList();
        var id = 1;
        var newCount = Math.Max(1, (lots.Count - 1) / 2);
        foreach (var lot in lots.Take(newCount))
        {
            var fp = lot.Inset(Math.Min(lot.Width, lot.Height) * 0.15);
            newBuildings.Add(new Building(fp, 3 * (2 + rng.Next(4)) + 0.5, Roof.BlueSteel, false));
            changes.Add(new PlantedChange(id++, ChangeKind.NewBuilding, fp));
        }

        foreach (var lot in lots.Skip(newCount).Take(1))
        {
            var fp = lot.Inset(1);
            enclosures.Add(fp);
            changes.Add(new PlantedChange(id++, ChangeKind.Enclosure, fp));
        }

        var tall = buildings.Where(b => !b.Pitched && b.Footprint.Width > 9 && b.Footprint.Height > 8 && Inner(b.Footprint))
            .OrderByDescending(b => b.HeightM).Take(2).ToList();
        foreach (var b in tall)
        {
            var f = b.Footprint;
            var add = new Rect(f.X0 + 1.5, f.Y0 + 1.5, f.X0 + 1.5 + Math.Min(6, f.Width / 2), f.Y0 + 1.5 + Math.Min(4.5, f.Height / 2));
            additions.Add(new Building(add, b.HeightM + 3, Roof.WhiteConcrete, false));
            changes.Add(new PlantedChange(id++, ChangeKind.RooftopAddition, add));
        }

        return new TownPlan
        {
            SizeM = sizeM, Roads = roads, Buildings = buildings, Trees = trees, EmptyLots = empty,
            NewBuildings = newBuildings, RooftopAdditions = additions, Enclosures = enclosures, Changes = changes,
        };
    }
}
