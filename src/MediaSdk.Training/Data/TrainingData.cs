using MediaSdk.Model;

namespace MediaSdk.Training.Data;

/// <summary>One side of a pair, ready for the model: the window's pixels and/or the text ids that follow them.</summary>
internal sealed class SideInput
{
    /// <summary>Frames * 3 * S * S floats, CHW per frame, in [-1, 1]: the frames a MediaSession hands
    /// <c>BtokEncoder.EncodeFrames</c>, concatenated. Null for a text-only side. Shared between sides that name the same
    /// media span: read only.</summary>
    public float[]? Pixels { get; init; }

    /// <summary>Frames in <see cref="Pixels"/>; 0 when there are none.</summary>
    public int Frames { get; init; }

    /// <summary>GPT-2 ids after the vision tokens (ending in &lt;|endoftext|&gt;); empty for a visual side without text.</summary>
    public int[] TextIds { get; init; } = [];
}

/// <summary>Which side's bottleneck tokens generate the target text.</summary>
internal enum TargetSide
{
    /// <summary>The query side.</summary>
    Query,

    /// <summary>The positive side.</summary>
    Positive,
}

/// <summary>One manifest line, decoded.</summary>
/// <param name="Line">1-based manifest line (for messages).</param>
/// <param name="Task">The pair's task (logged per step); batches are drawn from one task at a time unless
/// <paramref name="Batch"/> says otherwise.</param>
/// <param name="Query">The query side.</param>
/// <param name="Positive">The positive side.</param>
/// <param name="Negatives">Explicit hard negatives (possibly none).</param>
/// <param name="TargetIds">[eot (prefix p)] + target ids + [eot (end e)], or null without a target.</param>
/// <param name="From">The side that generates the target.</param>
/// <param name="Batch">The batches the example joins when not its task's own (manifest "batch").</param>
internal sealed record TrainingExample(int Line, string Task, SideInput Query, SideInput Positive, IReadOnlyList<SideInput> Negatives,
    int[]? TargetIds, TargetSide From, string? Batch = null)
{
    /// <summary>Examples with the same key share batches: <see cref="Batch"/>, else the task.</summary>
    public string BatchKey => Batch ?? Task;
}

/// <summary>How manifest media and text become model inputs.</summary>
/// <param name="ImageSize">Model input size S (the checkpoint's preprocess size).</param>
/// <param name="FramesPerWindow">N, frames per video window (an image is always 1 frame).</param>
/// <param name="MaxTextTokens">Text is truncated to this many tokens before &lt;|endoftext|&gt; (as at inference).</param>
/// <param name="CacheDirectory">Where decoded windows are kept between runs; null: no cache.</param>
internal sealed record TrainingDataOptions(int ImageSize, int FramesPerWindow, int MaxTextTokens, string? CacheDirectory)
{
    /// <summary>Window length in seconds for a video side without start/end whose duration ffprobe cannot tell
    /// (with a known duration the whole clip is one window). Default 2 s, the inference window length.</summary>
    public double DefaultVideoSeconds { get; init; } = 2.0;

    /// <summary>Media files decoded at once (each an ffmpeg process, mostly start-up latency). Default 4.</summary>
    public int MaxConcurrentDecodes { get; init; } = 4;
}

/// <summary>A side to load and where it was written, for error messages: <c>File:Line: Where ...</c>.</summary>
internal readonly record struct SideSource(SideSpec Side, string File, int Line, string Where);

/// <summary>What a load did; for tests and the trainer's log.</summary>
internal sealed class TrainingDataStats
{
    private int _decoded, _cacheHits, _cacheWrites, _cacheRejected;

    /// <summary>Media spans decoded with ffmpeg.</summary>
    public int Decoded => Volatile.Read(ref _decoded);
    /// <summary>Media spans read from the cache.</summary>
    public int CacheHits => Volatile.Read(ref _cacheHits);
    /// <summary>Cache files written.</summary>
    public int CacheWrites => Volatile.Read(ref _cacheWrites);
    /// <summary>Cache files present but invalid (then decoded and rewritten).</summary>
    public int CacheRejected => Volatile.Read(ref _cacheRejected);

    internal void AddDecoded() => Interlocked.Increment(ref _decoded);
    internal void AddCacheHit() => Interlocked.Increment(ref _cacheHits);
    internal void AddCacheWrite() => Interlocked.Increment(ref _cacheWrites);
    internal void AddCacheRejected() => Interlocked.Increment(ref _cacheRejected);
}

/// <summary>
/// Loads a JSONL manifest (docs/training.md "Manifest (JSONL)") into <see cref="TrainingExample"/>s, with media decoded
/// and preprocessed exactly as at inference and text tokenised exactly as <c>BtokEncoder</c> does.
/// </summary>
internal static class TrainingData
{
    /// <summary>Parses and checks the whole manifest (every line, every media file), then decodes its media.</summary>
    /// <param name="manifestPath">The .jsonl file.</param>
    /// <param name="options">Sizes and the cache.</param>
    /// <param name="progress">Reports (decoded media spans, distinct media spans) after each one.</param>
    /// <param name="ct">Cancels decoding (ffmpeg processes are ended).</param>
    /// <returns>One example per non-blank line, in manifest order.</returns>
    /// <exception cref="TrainingDataException">A bad line or undecodable media: <c>path:line: what, how to fix</c>.</exception>
    public static Task<IReadOnlyList<TrainingExample>> LoadAsync(string manifestPath, TrainingDataOptions options,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken ct = default) =>
        LoadWithStatsAsync(manifestPath, options, new TrainingDataStats(), progress, ct);

    /// <summary>As <see cref="LoadAsync"/>, counting decodes and cache use into <paramref name="stats"/>.</summary>
    public static async Task<IReadOnlyList<TrainingExample>> LoadWithStatsAsync(string manifestPath, TrainingDataOptions options,
        TrainingDataStats stats, IProgress<(int Done, int Total)>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        // Everything is parsed and every file checked first: nothing trains on half-read data.
        IReadOnlyList<ManifestEntry> entries = await TrainingManifest.ParseAsync(manifestPath, ct).ConfigureAwait(false);
        return await LoadEntriesAsync(manifestPath, entries, options, stats, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Decodes the media of already parsed <paramref name="entries"/> of <paramref name="manifestPath"/>.</summary>
    public static async Task<IReadOnlyList<TrainingExample>> LoadEntriesAsync(string manifestPath, IReadOnlyList<ManifestEntry> entries,
        TrainingDataOptions options, TrainingDataStats stats, IProgress<(int Done, int Total)>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stats);
        Validate(options);
        var sources = new List<SideSource>();
        foreach (ManifestEntry e in entries)
        {
            sources.Add(new SideSource(e.Query, manifestPath, e.Line, "query"));
            sources.Add(new SideSource(e.Positive, manifestPath, e.Line, "positive"));
            for (int i = 0; i < e.Negatives.Count; i++) sources.Add(new SideSource(e.Negatives[i], manifestPath, e.Line, $"negatives[{i}]"));
        }
        SideInput[] inputs = await LoadSidesAsync(sources, options, stats, progress, ct).ConfigureAwait(false);

        int eot = Gpt2Text.EndOfText;
        var examples = new TrainingExample[entries.Count];
        int next = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            ManifestEntry e = entries[i];
            int[]? target = e.TargetText is null ? null : [eot, .. Gpt2Text.Encode(e.TargetText, options.MaxTextTokens)];
            SideInput query = inputs[next++], positive = inputs[next++];
            SideInput[] negatives = inputs[next..(next + e.Negatives.Count)];
            next += e.Negatives.Count;
            examples[i] = new TrainingExample(e.Line, e.Task, query, positive, negatives, target, e.From, e.Batch);
        }
        return examples;
    }

    /// <summary>
    /// Decodes (or reads from the cache) and tokenises parsed sides: each distinct media span once, however many sides
    /// name it, <see cref="TrainingDataOptions.MaxConcurrentDecodes"/> files at a time. Used for manifests and for
    /// benchmark files (MediaSdk.Training.BenchEvaluator).
    /// </summary>
    /// <param name="sources">The sides and where each was written (file, line, field) for error messages.</param>
    /// <param name="options">Sizes and the cache.</param>
    /// <param name="stats">Counts decodes and cache use.</param>
    /// <param name="progress">Reports (decoded media spans, distinct media spans) after each one.</param>
    /// <param name="ct">Cancels decoding (ffmpeg processes are ended).</param>
    /// <returns>One input per source, in order; sides naming the same media span share one pixel array.</returns>
    /// <exception cref="TrainingDataException">Media that cannot be decoded: <c>file:line: what</c>.</exception>
    public static async Task<SideInput[]> LoadSidesAsync(IReadOnlyList<SideSource> sources, TrainingDataOptions options,
        TrainingDataStats stats, IProgress<(int Done, int Total)>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stats);
        Validate(options);

        var jobs = new List<(MediaKey Key, SideSource Source)>();
        var index = new Dictionary<MediaKey, int>();
        foreach (SideSource source in sources)
        {
            if (KeyOf(source.Side) is not MediaKey key || index.ContainsKey(key)) continue;
            index.Add(key, jobs.Count);
            jobs.Add((key, source));
        }

        var pixels = new float[jobs.Count][];
        WindowCache? cache = options.CacheDirectory is null ? null : new WindowCache(Path.GetFullPath(options.CacheDirectory));
        int done = 0;
        progress?.Report((0, jobs.Count));
        await Parallel.ForEachAsync(Enumerable.Range(0, jobs.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxConcurrentDecodes, CancellationToken = ct },
            async (j, token) =>
            {
                (MediaKey key, SideSource source) = jobs[j];
                string where = source.Side.Video is not null ? source.Where + ".video" : source.Where + ".image";
                pixels[j] = await DecodeOrReadAsync(source.File, key, source.Line, where, options, cache, stats, token).ConfigureAwait(false);
                progress?.Report((Interlocked.Increment(ref done), jobs.Count));
            }).ConfigureAwait(false);

        var inputs = new SideInput[sources.Count];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = Side(sources[i].Side);
        return inputs;

        SideInput Side(SideSpec side)
        {
            string? text = side.CombinedText;
            if (KeyOf(side) is not MediaKey key)
                return new SideInput { TextIds = Gpt2Text.Encode(text!, options.MaxTextTokens) }; // a text side always has text
            float[] p = pixels[index[key]];
            return new SideInput
            {
                Pixels = p,
                Frames = p.Length / (3 * options.ImageSize * options.ImageSize),
                // EncodeFrames feeds vision tokens only; text after them is the side's instruction and/or text.
                TextIds = text is null ? [] : Gpt2Text.Encode(text, options.MaxTextTokens),
            };
        }
    }

    private static void Validate(TrainingDataOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ImageSize, 16, "options.ImageSize");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.ImageSize, 1024, "options.ImageSize");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.FramesPerWindow, 1, "options.FramesPerWindow");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.FramesPerWindow, 64, "options.FramesPerWindow");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxTextTokens, "options.MaxTextTokens");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxConcurrentDecodes, "options.MaxConcurrentDecodes");
        if (!(options.DefaultVideoSeconds > 0 && options.DefaultVideoSeconds <= 3600))
            throw new ArgumentOutOfRangeException(nameof(options), options.DefaultVideoSeconds, "DefaultVideoSeconds must be in (0, 3600].");
    }

    private static MediaKey? KeyOf(SideSpec side) =>
        side.Video is not null ? new MediaKey(side.Video, side.Start, side.End, IsImage: false)
        : side.Image is not null ? new MediaKey(side.Image, null, null, IsImage: true)
        : null;

    private static async Task<float[]> DecodeOrReadAsync(string manifestPath, MediaKey key, int line, string where,
        TrainingDataOptions options, WindowCache? cache, TrainingDataStats stats, CancellationToken ct)
    {
        int frames = key.IsImage ? 1 : options.FramesPerWindow;
        string? cachePath = null;
        if (cache is not null)
        {
            cachePath = cache.PathOf(key, frames, options.ImageSize, options.DefaultVideoSeconds);
            if (WindowCache.TryRead(cachePath, options.ImageSize) is float[] hit)
            {
                stats.AddCacheHit();
                return hit;
            }
            if (File.Exists(cachePath)) stats.AddCacheRejected(); // corrupt or stale: decode and rewrite
        }

        float[] pixels;
        try
        {
            pixels = await WindowDecoder.DecodeAsync(key, frames, options.ImageSize, options.DefaultVideoSeconds, ct).ConfigureAwait(false);
        }
        catch (MediaSdkException ex) when (ex is not DependencyMissingException)
        {
            throw new TrainingDataException(manifestPath, line, $"{where} '{key.Path}'{Span(key)} could not be decoded: {ex.Message}", ex);
        }
        stats.AddDecoded();
        if (cachePath is not null)
        {
            WindowCache.Write(cachePath, pixels.Length / (3 * options.ImageSize * options.ImageSize), options.ImageSize, pixels);
            stats.AddCacheWrite();
        }
        return pixels;
    }

    private static string Span(MediaKey key) =>
        key.Start is double s && key.End is double e ? FormattableString.Invariant($" [{s}, {e}) s") : "";
}
