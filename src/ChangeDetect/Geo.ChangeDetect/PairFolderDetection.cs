using Geo.Spatial.Failures;
using OpenCvSharp;

namespace Geo.ChangeDetect;

/// <summary>Summary of a folder run.</summary>
/// <param name="Pairs">Image pairs processed.</param>
/// <param name="Objects">Changed objects found over all pairs.</param>
/// <param name="ChangedFraction">Changed pixels over all pixels.</param>
/// <param name="Written">Mask files written (full paths).</param>
public sealed record PairFolderSummary(int Pairs, int Objects, double ChangedFraction, IReadOnlyList<string> Written);

/// <summary>
/// Runs <see cref="PairChangeDetector"/> over two folders of same-named images (the scoring format of public
/// change-detection sets: <c>A/</c> before, <c>B/</c> after) and writes one 0/255 single-band PNG mask per pair,
/// named after the before image with a <c>.png</c> extension. All or nothing: masks are written to a hidden
/// folder inside the output folder and moved into place only when every pair succeeded; any bad pair stops the
/// run with its failure (located by file name) and leaves no mask of the run behind. Pairs run in parallel on all
/// cores; images are decoded by GDAL only.
/// </summary>
public static class PairFolderDetection
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".tif", ".tiff"];

    /// <summary>Lists the pairs: file names present in both folders (before-folder order, ordinal).</summary>
    public static Result<IReadOnlyList<string>> ListPairs(string beforeDir, string afterDir)
    {
        foreach (var (dir, name) in new[] { (beforeDir, "before"), (afterDir, "after") })
        {
            if (!Directory.Exists(dir))
            {
                return Failure.NotFound(ChangeFailureCodes.DirectoryMissing, $"The {name} folder does not exist.", dir);
            }
        }

        var names = Directory.EnumerateFiles(beforeDir)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => Extensions.Contains(Path.GetExtension(n), StringComparer.OrdinalIgnoreCase))
            .Where(n => File.Exists(Path.Combine(afterDir, n)))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (names.Count == 0)
        {
            return Failure.Invalid(ChangeFailureCodes.NoPairs, "No image (.png, .jpg, .tif) has the same name in both folders.", beforeDir);
        }

        return names;
    }

    /// <summary>Detects change for every pair and writes the masks. <paramref name="progress"/> is told each finished pair.</summary>
    public static Result<PairFolderSummary> Run(string beforeDir, string afterDir, string outDir, ChangeDetectionOptions options,
        Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var valid = options.Validate();
        if (!valid.IsOk)
        {
            return Result<PairFolderSummary>.Fail(valid.Failures);
        }

        var listed = ListPairs(beforeDir, afterDir);
        if (!listed.IsOk)
        {
            return Result<PairFolderSummary>.Fail(listed.Failures);
        }

        Directory.CreateDirectory(outDir);
        var staging = Directory.CreateDirectory(Path.Combine(outDir, $".detect-pairs-{Guid.NewGuid():N}")).FullName;
        try
        {
            var names = listed.Value;
            var failures = new Failure?[names.Count];
            var objects = new int[names.Count];
            var changed = new long[names.Count];
            var pixels = new long[names.Count];
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                Parallel.For(0, names.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = stop.Token }, i =>
                {
                    var name = names[i];
                    var r = One(Path.Combine(beforeDir, name), Path.Combine(afterDir, name), Path.Combine(staging, MaskName(name)), options);
                    if (!r.IsOk)
                    {
                        var f = r.Failure;
                        failures[i] = f.Location is null ? f with { Location = name } : f;
                        stop.Cancel();
                        return;
                    }

                    objects[i] = r.Value.Objects.Count;
                    changed[i] = r.Value.Mask.Count(static v => v != 0);
                    pixels[i] = r.Value.Mask.Length;
                    progress?.Invoke(name);
                });
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // stopped by a failed pair: reported below
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (failures.FirstOrDefault(f => f is not null) is { } first)
            {
                return first;
            }

            var written = new List<string>(names.Count);
            foreach (var name in names)
            {
                var target = Path.Combine(outDir, MaskName(name));
                File.Move(Path.Combine(staging, MaskName(name)), target, overwrite: true);
                written.Add(Path.GetFullPath(target));
            }

            var total = pixels.Sum();
            return new PairFolderSummary(names.Count, objects.Sum(), total == 0 ? 0 : (double)changed.Sum() / total, written);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The mask file name for an input name: same base name, <c>.png</c>.</summary>
    public static string MaskName(string imageName) => Path.ChangeExtension(imageName, ".png");

    private static Result<PairChangeResult> One(string beforePath, string afterPath, string maskPath, ChangeDetectionOptions options)
    {
        var before = GdalImageReader.Read(beforePath);
        if (!before.IsOk)
        {
            return Result<PairChangeResult>.Fail(before.Failures.Select(f => f with { Location = $"before/{f.Location}" }).ToList());
        }

        var after = GdalImageReader.Read(afterPath);
        if (!after.IsOk)
        {
            return Result<PairChangeResult>.Fail(after.Failures.Select(f => f with { Location = $"after/{f.Location}" }).ToList());
        }

        var result = PairChangeDetector.Detect(before.Value, after.Value, options);
        if (!result.IsOk)
        {
            return result;
        }

        var r = result.Value;
        using var mask = new Mat(r.Height, r.Width, MatType.CV_8UC1);
        r.Mask.CopyTo(MatSpan.Bytes(mask));
        if (!Cv2.ImWrite(maskPath, mask))
        {
            throw new IOException("The mask PNG could not be written.");
        }

        return r;
    }
}
