using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MediaSdk.Synth.Internal;

namespace MediaSdk.Synth;

/// <summary>What a generation run wrote.</summary>
public sealed record SynthResult
{
    /// <summary>The output folder (absolute).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Path of scenes.jsonl (one <see cref="SynthScene"/> per line, in split, kind, index order).</summary>
    public required string ScenesPath { get; init; }

    /// <summary>Every scene, in the order of scenes.jsonl.</summary>
    public required IReadOnlyList<SynthScene> Scenes { get; init; }

    /// <summary>Media files rendered by this run.</summary>
    public int Rendered { get; init; }

    /// <summary>Media files kept from an earlier, interrupted run of the same config (complete files only).</summary>
    public int Reused { get; init; }

    /// <summary>Total size of the media files in bytes.</summary>
    public long MediaBytes { get; init; }

    /// <summary>Wall time of the run.</summary>
    public TimeSpan Elapsed { get; init; }
}

/// <summary>
/// Generates the procedural benchmark: samples every scene graph from the config's seed, renders it (SkiaSharp) and
/// encodes it (ffmpeg, h264), and writes OUT/config.json, OUT/media/images|clips/&lt;split&gt;/&lt;id&gt;.png|mp4 and
/// OUT/scenes.jsonl. The same seed and config give byte-identical files.
/// </summary>
public static class SynthGenerator
{
    /// <summary>Name of the scene file inside the output folder.</summary>
    public const string ScenesFile = "scenes.jsonl";

    /// <summary>Name of the effective config inside the output folder.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>
    /// Generates every item of <paramref name="config"/> into <paramref name="outputDirectory"/>, rendering
    /// <see cref="SynthConfig.Workers"/> items at a time. An output folder left by an interrupted run of the same
    /// config is completed (its finished media files are kept).
    /// </summary>
    /// <exception cref="ArgumentException">The config is invalid, or the folder is not empty and is not an output of the same config.</exception>
    /// <exception cref="DependencyMissingException">ffmpeg is not installed.</exception>
    public static async Task<SynthResult> GenerateAsync(SynthConfig config, string outputDirectory,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        config.Validate();
        var clock = Stopwatch.StartNew();
        string root = Path.GetFullPath(outputDirectory);
        PrepareFolder(root, config);

        List<SynthScene> scenes = new SceneSampler(config).SampleAll();
        int total = scenes.Count, done = 0, rendered = 0;
        progress?.Report((0, total));

        // Each worker owns a renderer; units are independent, and the manifest below is written in scene order.
        var renderers = new System.Collections.Concurrent.ConcurrentBag<SceneRenderer>();
        try
        {
            await Parallel.ForEachAsync(Units(scenes), new ParallelOptions { MaxDegreeOfParallelism = config.Workers, CancellationToken = ct },
                async (unit, token) =>
                {
                    SynthScene[] items = [.. unit.Select(i => scenes[i])];
                    string[] paths = [.. items.Select(s => Path.Combine(root, s.Media))];
                    if (!paths.All(File.Exists))
                    {
                        if (!renderers.TryTake(out SceneRenderer? renderer))
                            renderer = new SceneRenderer(config);
                        try
                        {
                            if (items[0].Kind == "image")
                                await ClipEncoder.WriteImageAsync(renderer, items[0], paths[0], token).ConfigureAwait(false);
                            else
                                await ClipEncoder.WriteClipsAsync(renderer, items, paths, token).ConfigureAwait(false);
                        }
                        finally
                        {
                            renderers.Add(renderer);
                        }
                        Interlocked.Add(ref rendered, items.Length);
                    }
                    progress?.Report((Interlocked.Add(ref done, items.Length), total));
                }).ConfigureAwait(false);
        }
        finally
        {
            foreach (SceneRenderer r in renderers) r.Dispose();
        }

        string scenesPath = Path.Combine(root, ScenesFile);
        string partial = scenesPath + ".part";
        await File.WriteAllTextAsync(partial, ToJsonl(scenes), new UTF8Encoding(false), ct).ConfigureAwait(false);
        File.Move(partial, scenesPath, overwrite: true);
        long bytes = scenes.Sum(s => new FileInfo(Path.Combine(root, s.Media)).Length);
        return new SynthResult
        {
            OutputDirectory = root,
            ScenesPath = scenesPath,
            Scenes = scenes,
            Rendered = rendered,
            Reused = total - rendered,
            MediaBytes = bytes,
            Elapsed = clock.Elapsed,
        };
    }

    /// <summary>The scene graphs <see cref="GenerateAsync"/> would render, without rendering anything (fast; for task builders and tests).</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public static IReadOnlyList<SynthScene> SampleScenes(SynthConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return new SceneSampler(config).SampleAll();
    }

    /// <summary>Reads scenes.jsonl from a synth output folder (or the file itself).</summary>
    /// <exception cref="MediaNotFoundException">Neither the folder's scenes.jsonl nor the file exists.</exception>
    /// <exception cref="MediaFormatException">A line is not a scene (the message gives the line number).</exception>
    public static IReadOnlyList<SynthScene> ReadScenes(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string file = Directory.Exists(path) ? Path.Combine(path, ScenesFile) : path;
        if (!File.Exists(file))
            throw new MediaNotFoundException($"synth scenes '{file}' do not exist; generate them with `mediasdk synth --out DIR`.");
        var scenes = new List<SynthScene>();
        int line = 0;
        foreach (string text in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                scenes.Add(JsonSerializer.Deserialize(text, SynthJsonContext.Default.SynthScene)
                    ?? throw new JsonException("null"));
            }
            catch (JsonException e)
            {
                throw new MediaFormatException($"synth scenes '{file}' line {line} is not a scene ({e.Message.ReplaceLineEndings(" ")}); regenerate the folder.");
            }
        }
        return scenes;
    }

    /// <summary>One scene as a single JSON line (the scenes.jsonl format).</summary>
    public static string ToJson(SynthScene scene) => JsonSerializer.Serialize(scene, SynthJsonContext.Default.SynthScene);

    internal static string ToJsonl(IEnumerable<SynthScene> scenes)
    {
        var sb = new StringBuilder();
        foreach (SynthScene s in scenes)
            sb.Append(ToJson(s)).Append('\n');
        return sb.ToString();
    }

    /// <summary>Clips per ffmpeg run (one process start, about 0.3 s of CPU, per batch instead of per clip).</summary>
    internal const int ClipBatch = 32;

    /// <summary>Long videos per ffmpeg run.</summary>
    internal const int LongBatch = 4;

    /// <summary>
    /// Work units in scene order: each image alone; clips and long videos in batches of one split, kind and CRF, in
    /// index order. The batching depends only on the scene list, so a video's bytes (which x264 may make depend on its
    /// batch neighbours) are the same in every run of the same config.
    /// </summary>
    internal static List<List<int>> Units(IReadOnlyList<SynthScene> scenes)
    {
        var units = new List<List<int>>();
        var open = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < scenes.Count; i++)
        {
            SynthScene s = scenes[i];
            if (s.Kind == "image")
            {
                units.Add([i]);
                continue;
            }
            string key = $"{s.Split}|{s.Kind}|{s.Crf}|{s.Width}x{s.Height}@{s.Fps}";
            if (!open.TryGetValue(key, out List<int>? batch))
            {
                batch = [];
                open[key] = batch;
                units.Add(batch);
            }
            batch.Add(i);
            if (batch.Count == (s.Kind == "long" ? LongBatch : ClipBatch))
                open.Remove(key);
        }
        return units;
    }

    /// <summary>True when a stored config.json describes the same output as <paramref name="config"/> (the worker count does not change it).</summary>
    private static bool SameOutput(string storedJson, SynthConfig config)
    {
        try
        {
            SynthConfig? stored = JsonSerializer.Deserialize(storedJson, SynthJsonContext.Default.SynthConfig);
            return stored is not null && (stored with { Workers = 1 }).ToJson() == (config with { Workers = 1 }).ToJson();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Creates the folder, or accepts an existing one that is empty or holds output of the same config.</summary>
    private static void PrepareFolder(string root, SynthConfig config)
    {
        string configJson = config.ToJson();
        if (File.Exists(root))
            throw new ArgumentException($"synth output '{root}' is a file; pass a folder path (it is created if missing).");
        string configPath = Path.Combine(root, ConfigFile);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            if (!File.Exists(configPath) || !SameOutput(File.ReadAllText(configPath), config))
                throw new ArgumentException(
                    $"synth output '{root}' is not empty and is not synth output of this config; pass an empty or new folder (or delete this one).");
            // An interrupted run may have left temporary files; finished media files are kept and reused.
            string media = Path.Combine(root, "media");
            if (Directory.Exists(media))
                foreach (string f in Directory.EnumerateFiles(media, "*", SearchOption.AllDirectories))
                    if (f.EndsWith(".part", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith('.'))
                        File.Delete(f);
            return;
        }
        Directory.CreateDirectory(root);
        File.WriteAllText(configPath, configJson, new UTF8Encoding(false));
    }
}
