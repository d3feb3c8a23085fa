using System.Collections.Concurrent;
using MediaSdk.Contracts;
using MediaSdk.Gpu;
using MediaSdk.Media;
using MediaSdk.Model;
using MediaSdk.TestSupport;
using MediaSdk.Training.Data;

namespace MediaSdk.Training.Tests.Data;

/// <summary>Clips generated once for <see cref="TrainingDataTests"/>.</summary>
public sealed class DataClipsFixture : IDisposable
{
    public ClipFactory Factory { get; } = new();

    /// <summary>3 s 160x120 testsrc2 at the manifest's folder.</summary>
    public Task<string> ClipAAsync() => Factory.GetAsync("a.mp4", f => f.TestSrcAsync("a.mp4", 160, 120, seconds: 3));

    /// <summary>2 s 176x144 testsrc2 in a subfolder (a relative path with a folder).</summary>
    public Task<string> ClipBAsync() => Factory.GetAsync("sub/b.mp4", async f =>
    {
        Directory.CreateDirectory(f.PathOf("sub"));
        return await f.LavfiAsync("sub/b.mp4", "testsrc2=size=176x144:rate=30:duration=2", "libx264");
    });

    /// <summary>One 160x120 frame as PNG.</summary>
    public Task<string> StillAsync() => Factory.GetAsync("still.png", f =>
        f.FfmpegAsync("still.png", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-frames:v", "1"));

    /// <summary>The standard manifest loaded once without a cache (two tests read it).</summary>
    internal Lazy<Task<(IReadOnlyList<TrainingExample> Examples, TrainingDataStats Stats, (int Done, int Total)[] Reports)>> Standard { get; set; } = null!;

    public void Dispose() => Factory.Dispose();
}

/// <summary>Loading with real ffmpeg: the windows are exactly what an inference session feeds its encoder.</summary>
public sealed class TrainingDataTests(DataClipsFixture clips) : IClassFixture<DataClipsFixture>
{
    private const int Timeout = 120_000;
    private const int Size = 32, Frames = 4, MaxTokens = 16;

    private static string Manifest(ClipFactory f, string name, params string[] lines)
    {
        string path = f.PathOf(name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string NewCache(ClipFactory f) => f.PathOf("cache-" + Guid.NewGuid().ToString("N")[..8]);

    private async Task<string> StandardManifestAsync()
    {
        await clips.ClipAAsync();
        await clips.ClipBAsync();
        await clips.StillAsync();
        return Manifest(clips.Factory, "standard.jsonl",
            """{"query": {"video": "a.mp4"}, "positive": {"text": "a test pattern"}, "target": {"text": "colour bars moving"}, "task": "video-caption"}""",
            "",
            """{"query": {"text": "find the pattern", "instruction": "Retrieve:"}, "positive": {"video": "a.mp4", "start": 1, "end": 2, "instruction": "Describe:"}, "negatives": [{"image": "still.png"}, {"text": "a cat"}], "target": {"text": "bars"}}""",
            """{"query": {"image": "still.png", "text": "a still"}, "positive": {"video": "sub/b.mp4", "start": 0.6, "end": 1.8}, "task": "video-caption"}""");
    }

    private Task<(IReadOnlyList<TrainingExample> Examples, TrainingDataStats Stats, (int Done, int Total)[] Reports)> StandardLoadAsync(CancellationToken ct)
    {
        lock (clips)
        {
            clips.Standard ??= new(async () =>
            {
                string manifest = await StandardManifestAsync();
                var stats = new TrainingDataStats();
                var reports = new ConcurrentQueue<(int Done, int Total)>();
                IReadOnlyList<TrainingExample> examples = await TrainingData.LoadWithStatsAsync(manifest,
                    new TrainingDataOptions(Size, Frames, MaxTokens, null), stats, new SyncProgress(reports), CancellationToken.None);
                return (examples, stats, reports.ToArray());
            });
            return clips.Standard.Value.WaitAsync(ct);
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task LoadAsync_MixedManifest_ShapesTextAndTargetsAsAtInference()
    {
        Prereq.RequireFfmpeg();
        var (examples, stats, reports) = await StandardLoadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(3, examples.Count);
        Assert.Equal([1, 3, 4], examples.Select(e => e.Line));
        Assert.Equal(["video-caption", "default", "video-caption"], examples.Select(e => e.Task));
        Assert.Equal(4, stats.Decoded); // a.mp4 whole, a.mp4 [1,2), still.png (used twice), b.mp4 [0.6,1.8)
        Assert.Equal((4, 4), reports.OrderBy(r => r.Done).Last());

        int eot = Gpt2Text.EndOfText;
        TrainingExample e1 = examples[0];
        AssertPixels(e1.Query, Frames);
        Assert.Empty(e1.Query.TextIds); // EncodeFrames feeds vision tokens only
        Assert.Null(e1.Positive.Pixels);
        Assert.Equal(0, e1.Positive.Frames);
        Assert.Equal(Gpt2Text.Encode("a test pattern", MaxTokens), e1.Positive.TextIds);
        Assert.NotNull(e1.TargetIds);
        Assert.Equal([eot, .. Gpt2Text.Encode("colour bars moving", MaxTokens)], e1.TargetIds);
        Assert.Equal(eot, e1.TargetIds[0]);
        Assert.Equal(eot, e1.TargetIds[^1]);
        Assert.True(e1.TargetIds.Length > 3);
        Assert.Equal(TargetSide.Query, e1.From);
        Assert.Empty(e1.Negatives);

        TrainingExample e2 = examples[1];
        Assert.Equal(Gpt2Text.Encode("Retrieve: find the pattern", MaxTokens), e2.Query.TextIds);
        AssertPixels(e2.Positive, Frames);
        Assert.Equal(Gpt2Text.Encode("Describe:", MaxTokens), e2.Positive.TextIds);
        Assert.Equal(TargetSide.Positive, e2.From); // the visual side generates
        Assert.Equal(2, e2.Negatives.Count);
        AssertPixels(e2.Negatives[0], 1);
        Assert.Empty(e2.Negatives[0].TextIds);
        Assert.Equal(Gpt2Text.Encode("a cat", MaxTokens), e2.Negatives[1].TextIds);
        Assert.NotEqual(e1.Query.Pixels, e2.Positive.Pixels); // a different span of the same clip

        TrainingExample e3 = examples[2];
        AssertPixels(e3.Query, 1);
        Assert.Equal(e2.Negatives[0].Pixels, e3.Query.Pixels); // one decode per distinct media span
        Assert.Equal(Gpt2Text.Encode("a still", MaxTokens), e3.Query.TextIds);
        AssertPixels(e3.Positive, Frames);
        Assert.Null(e3.TargetIds);
        Assert.Equal(TargetSide.Query, e3.From); // both sides visual: the query

        // Text is truncated as at inference.
        Assert.Equal(MaxTokens + 1, Gpt2Text.Encode(string.Join(' ', Enumerable.Repeat("word", 40)), MaxTokens).Length);
    }

    [Fact(Timeout = Timeout)]
    public async Task LoadAsync_Windows_BitIdenticalToInferenceSession()
    {
        Prereq.RequireFfmpeg();
        IReadOnlyList<TrainingExample> examples = (await StandardLoadAsync(TestContext.Current.CancellationToken)).Examples;
        string a = await clips.ClipAAsync(), b = await clips.ClipBAsync(), still = await clips.StillAsync();
        double duration = (await MediaProbe.ProbeAsync(a, TestContext.Current.CancellationToken)).Duration;

        // Whole clip: one window of the probed length, as `tag --window <duration>` cuts it.
        float[] whole = await InferenceWindowAsync(a, StreamOptions.Default with { Window = Window(duration, duration, Frames) }, 0);
        Assert.Equal(whole, examples[0].Query.Pixels);

        // [1, 2): the window `tag --start 1 --end 2 --window 1 --hop 1` starts at 1 s.
        float[] span = await InferenceWindowAsync(a, StreamOptions.Default with
        {
            Window = Window(1, 1, Frames),
            Source = SourceOptions.Default with { Start = TimeSpan.FromSeconds(1), End = TimeSpan.FromSeconds(2) },
        }, 1);
        Assert.Equal(span, examples[1].Positive.Pixels);

        // [0.6, 1.8) is not on the 1.2 s window grid; a session with hop 0.3 (= L/N) has a window starting there.
        float[] offGrid = await InferenceWindowAsync(b, StreamOptions.Default with
        {
            Window = Window(1.2, 0.3, Frames),
            Source = SourceOptions.Default with { Start = TimeSpan.FromSeconds(0.6), End = TimeSpan.FromSeconds(1.8) },
        }, 0.6);
        Assert.Equal(offGrid, examples[2].Positive.Pixels);

        float[] image = await InferenceWindowAsync(still, StreamOptions.Default with { Window = Window(1, 1, 1) }, 0);
        Assert.Equal(image, examples[2].Query.Pixels);
    }

    [Fact(Timeout = Timeout)]
    public async Task LoadAsync_WholeVideoOfUnknownDuration_UsesDefaultVideoSeconds()
    {
        Prereq.RequireFfmpeg();
        CancellationToken ct = TestContext.Current.CancellationToken;
        // A raw H.264 stream has no duration for ffprobe to report.
        string raw = await clips.Factory.GetAsync("raw.h264", f => f.LavfiAsync("raw.h264", "testsrc2=size=160x120:rate=25:duration=3", "libx264", "-f", "h264"));
        Assert.Equal(0, (await MediaProbe.ProbeAsync(raw, ct)).Duration);
        string manifest = Manifest(clips.Factory, "raw.jsonl", """{"query": {"video": "raw.h264"}, "positive": {"text": "a"}}""");

        IReadOnlyList<TrainingExample> examples = await TrainingData.LoadAsync(manifest,
            new TrainingDataOptions(Size, Frames, MaxTokens, null) { DefaultVideoSeconds = 1.5 }, ct: ct);

        AssertPixels(examples[0].Query, Frames);
        float[] first = await InferenceWindowAsync(raw, StreamOptions.Default with { Window = Window(1.5, 1.5, Frames) }, 0);
        Assert.Equal(first, examples[0].Query.Pixels);
    }

    [Fact(Timeout = Timeout)]
    public async Task LoadAsync_SecondLoad_ReadsCacheWithoutFfmpegAndRewritesCorruptFile()
    {
        Prereq.RequireFfmpeg();
        await clips.ClipAAsync();
        await clips.StillAsync();
        // Two media spans (a.mp4 [1,2) and still.png), one of them named twice.
        string manifest = Manifest(clips.Factory, "cached.jsonl",
            """{"query": {"video": "a.mp4", "start": 1, "end": 2}, "positive": {"text": "a"}, "negatives": [{"image": "still.png"}]}""",
            """{"query": {"image": "still.png", "text": "b"}, "positive": {"video": "a.mp4", "start": 1, "end": 2, "text": "c"}}""");
        var options = new TrainingDataOptions(Size, Frames, MaxTokens, NewCache(clips.Factory));
        CancellationToken ct = TestContext.Current.CancellationToken;

        var first = new TrainingDataStats();
        IReadOnlyList<TrainingExample> a = await TrainingData.LoadWithStatsAsync(manifest, options, first, ct: ct);
        Assert.Equal((2, 0, 2), (first.Decoded, first.CacheHits, first.CacheWrites));
        string[] files = Directory.GetFiles(options.CacheDirectory!);
        Assert.Equal(2, files.Length);
        Assert.All(files, f => Assert.EndsWith(".win", f, StringComparison.Ordinal));

        var second = new TrainingDataStats();
        IReadOnlyList<TrainingExample> b = await TrainingData.LoadWithStatsAsync(manifest, options, second, ct: ct);
        Assert.Equal((0, 2, 0), (second.Decoded, second.CacheHits, second.CacheWrites));
        AssertSamePixels(a, b);

        // Truncate one window and flip bytes of another: both are ignored, decoded again and rewritten.
        byte[] bytes = await File.ReadAllBytesAsync(files[0], ct);
        await File.WriteAllBytesAsync(files[0], bytes.AsSpan(0, bytes.Length / 2).ToArray(), ct);
        bytes = await File.ReadAllBytesAsync(files[1], ct);
        for (int i = 100; i < 120; i++) bytes[i] = 0xFF; // NaN bits
        await File.WriteAllBytesAsync(files[1], bytes, ct);
        var third = new TrainingDataStats();
        IReadOnlyList<TrainingExample> c = await TrainingData.LoadWithStatsAsync(manifest, options, third, ct: ct);
        Assert.Equal((2, 0, 2, 2), (third.Decoded, third.CacheHits, third.CacheRejected, third.CacheWrites));
        AssertSamePixels(a, c);
        Assert.Empty(Directory.GetFiles(options.CacheDirectory!, "*.tmp"));

        // A changed file misses the cache.
        File.SetLastWriteTimeUtc(await clips.StillAsync(), DateTime.UtcNow.AddMinutes(-5));
        var fourth = new TrainingDataStats();
        await TrainingData.LoadWithStatsAsync(manifest, options, fourth, ct: ct);
        Assert.Equal((1, 1), (fourth.Decoded, fourth.CacheHits));
    }

    [Fact(Timeout = Timeout)]
    public async Task LoadAsync_BadLineThree_FailsBeforeDecodingAnything()
    {
        Prereq.RequireFfmpeg();
        await clips.ClipAAsync();
        string manifest = Manifest(clips.Factory, "bad3.jsonl",
            """{"query": {"video": "a.mp4"}, "positive": {"text": "a"}}""",
            """{"query": {"video": "a.mp4", "start": 0, "end": 1}, "positive": {"text": "b"}}""",
            """{"query": {"video": "a.mp4"}, "positive": {"text": "c", "colour": "red"}}""");
        var options = new TrainingDataOptions(Size, Frames, MaxTokens, NewCache(clips.Factory));
        var stats = new TrainingDataStats();

        var ex = await Assert.ThrowsAsync<TrainingDataException>(() =>
            TrainingData.LoadWithStatsAsync(manifest, options, stats, ct: TestContext.Current.CancellationToken));

        Assert.StartsWith($"{manifest}:3: unknown field \"colour\"", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, stats.Decoded);
        Assert.False(Directory.Exists(options.CacheDirectory) && Directory.EnumerateFileSystemEntries(options.CacheDirectory!).Any());
    }

    [Fact(Timeout = Timeout)]
    public async Task LoadAsync_UndecodableMedia_ThrowsWithLineAndPath()
    {
        Prereq.RequireFfmpeg();
        await clips.ClipAAsync();
        clips.Factory.WriteText("notvideo.mp4", "this is not a video");
        string manifest = Manifest(clips.Factory, "undecodable.jsonl",
            """{"query": {"video": "a.mp4", "start": 0, "end": 1}, "positive": {"text": "a"}}""",
            """{"query": {"text": "b"}, "positive": {"video": "notvideo.mp4"}}""");

        var ex = await Assert.ThrowsAsync<TrainingDataException>(() =>
            TrainingData.LoadAsync(manifest, new TrainingDataOptions(Size, Frames, MaxTokens, null), ct: TestContext.Current.CancellationToken));

        Assert.StartsWith($"{manifest}:2: positive.video '{clips.Factory.PathOf("notvideo.mp4")}' could not be decoded", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<MediaFormatException>(ex.InnerException);
    }

    [Fact(Timeout = Timeout)]
    public async Task LoadAsync_SpanPastEndOfVideo_ThrowsWithLine()
    {
        Prereq.RequireFfmpeg();
        await clips.ClipAAsync();
        string manifest = Manifest(clips.Factory, "past.jsonl",
            """{"query": {"video": "a.mp4", "start": 10, "end": 12}, "positive": {"text": "a"}}""");

        var ex = await Assert.ThrowsAsync<TrainingDataException>(() =>
            TrainingData.LoadAsync(manifest, new TrainingDataOptions(Size, Frames, MaxTokens, null), ct: TestContext.Current.CancellationToken));

        Assert.StartsWith($"{manifest}:1: query.video ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no clip window", ex.Message, StringComparison.Ordinal);
    }

    private static WindowOptions Window(double length, double hop, int frames) =>
        new() { Length = TimeSpan.FromSeconds(length), Hop = TimeSpan.FromSeconds(hop), FramesPerWindow = frames };

    /// <summary>Runs a plain inference session (ffmpeg factory, no rebasing) and returns the window starting at <paramref name="start"/>.</summary>
    private static async Task<float[]> InferenceWindowAsync(string input, StreamOptions options, double start)
    {
        var encoder = new FrameRecorder(Size);
        await using (var session = new MediaSession(encoder, new FfmpegSourceFactory(), CpuFramePreprocessor.Instance))
        {
            session.AddSource(input, options);
            session.CompleteAdding();
            var starts = new List<double>();
            await foreach (MediaEvent e in session.ReadEventsAsync(TestContext.Current.CancellationToken))
            {
                Assert.False(e is ErrorEvent, (e as ErrorEvent)?.Message);
                if (e is WindowEvent w) starts.Add(w.Start);
            }
            int i = starts.FindIndex(s => Math.Abs(s - start) < 1e-9);
            Assert.True(i >= 0, $"no window starts at {start}; starts: {string.Join(", ", starts)}");
            return encoder.Windows[i];
        }
    }

    private static void AssertPixels(SideInput side, int frames)
    {
        Assert.Equal(frames, side.Frames);
        Assert.NotNull(side.Pixels);
        Assert.Equal(frames * 3 * Size * Size, side.Pixels.Length);
        Assert.All(side.Pixels, v => Assert.InRange(v, -1f, 1f));
        Assert.True(side.Pixels.Distinct().Count() > 10, "a test pattern has many distinct values");
    }

    private static void AssertSamePixels(IReadOnlyList<TrainingExample> a, IReadOnlyList<TrainingExample> b)
    {
        static IEnumerable<SideInput> Sides(TrainingExample e) => [e.Query, e.Positive, .. e.Negatives];
        SideInput[] x = [.. a.SelectMany(Sides)], y = [.. b.SelectMany(Sides)];
        Assert.Equal(x.Length, y.Length);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(x[i].Frames, y[i].Frames);
            Assert.Equal(x[i].Pixels, y[i].Pixels); // bit-identical floats
            Assert.Equal(x[i].TextIds, y[i].TextIds);
        }
    }

    /// <summary>Records each window's encoder input; the session is the real pipeline, only encoding is left out.</summary>
    private sealed class FrameRecorder(int size) : IClipEncoder
    {
        public List<float[]> Windows { get; } = [];
        public ModelStamp Model { get; } = new("recorder", "1");
        public int Dimension => 1;
        public PreprocessOptions Preprocess { get; } = new() { Size = size };
        public int MaxFramesPerWindow => 64;

        public void EncodeFrames(ReadOnlySpan<PooledFrame> frames, Span<float> embedding)
        {
            var all = new List<float>();
            foreach (PooledFrame f in frames) all.AddRange(f.Pixels.ToArray());
            Windows.Add([.. all]);
            embedding.Clear();
        }

        public void EncodeText(string text, Span<float> embedding) => throw new NotSupportedException();
        public void Dispose() { }
    }

    /// <summary>Progress without a synchronisation context hop, so every report is recorded before LoadAsync returns.</summary>
    private sealed class SyncProgress(ConcurrentQueue<(int, int)> sink) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => sink.Enqueue(value);
    }
}
