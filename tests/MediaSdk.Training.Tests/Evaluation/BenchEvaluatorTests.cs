using System.Text.Json;
using MediaSdk.Model;
using MediaSdk.TestSupport;

namespace MediaSdk.Training.Tests.Evaluation;

/// <summary>A tiny hand-written bench (two ffmpeg-made PNGs, one clip, text candidates) and a random-init model.</summary>
public sealed class BenchEvaluatorTests : IDisposable
{
    private static readonly BtokConfig Small = BtokConfig.Default with
    {
        ModelId = "eval-test", DModel = 64, Layers = 2, Heads = 2, FfnDim = 128, PatchSize = 16, ImageSize = 32, MaxFrames = 2, BottleneckTokens = 2,
    };

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "msdk-eval-" + Guid.NewGuid().ToString("N")[..8]);

    public BenchEvaluatorTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes OUT/media/{red,blue}.png, OUT/media/clip.mp4, OUT/test/* and a random model in OUT/model.</summary>
    internal static async Task<(string Model, string Bench)> MakeBenchAsync(string dir, CancellationToken ct)
    {
        string media = Path.Combine(dir, "media"), test = Path.Combine(dir, "test"), model = Path.Combine(dir, "model");
        Directory.CreateDirectory(media);
        Directory.CreateDirectory(test);
        foreach (string colour in new[] { "red", "blue" })
        {
            (int exit, _, string err) = await Tools.RunAsync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", $"color=c={colour}:s=64x48", "-frames:v", "1", Path.Combine(media, colour + ".png")], ct);
            Assert.True(exit == 0, err);
        }
        (int e2, _, string err2) = await Tools.RunAsync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=2", "-pix_fmt", "yuv420p", Path.Combine(media, "clip.mp4")], ct);
        Assert.True(e2 == 0, err2);

        const string classes = """[{"text": "a red square"}, {"text": "a blue square"}]""";
        File.WriteAllText(Path.Combine(test, "image_classification.jsonl"),
            $$"""{"query": {"image": "../media/red.png", "instruction": "What is shown?"}, "candidates": {{classes}}, "answer": 0, "tags": ["heldout"]}""" + "\n" +
            $$"""{"query": {"image": "../media/blue.png", "instruction": "What is shown?"}, "candidates": {{classes}}, "answer": 1, "tags": []}""" + "\n");
        File.WriteAllText(Path.Combine(test, "image_retrieval.jsonl"),
            """{"query": {"text": "a red picture"}, "candidates": [{"image": "../media/blue.png"}, {"image": "../media/red.png"}], "answer": 1}""" + "\n");
        File.WriteAllText(Path.Combine(test, "video_qa.jsonl"),
            """{"query": {"video": "../media/clip.mp4", "start": 0, "end": 1, "text": "what happens first?"}, "candidates": [{"text": "a"}, {"text": "b"}, {"text": "c"}], "answer": 2, "tags": ["order"]}""" + "\n" +
            """{"query": {"video": "../media/clip.mp4", "text": "what happens first?"}, "candidates": [{"text": "a"}, {"text": "b"}, {"text": "c"}], "answer": 0, "tags": ["order"]}""" + "\n");
        File.WriteAllText(Path.Combine(test, "bench.json"), """
            {"format": "mediasdk-bench", "version": 1, "split": "test", "tasks": [
              {"name": "image_classification", "file": "image_classification.jsonl", "chance": 0.5, "count": 2},
              {"name": "image_retrieval", "file": "image_retrieval.jsonl", "chance": 0.5, "count": 1},
              {"name": "video_qa", "file": "video_qa.jsonl", "chance": 0.333333, "count": 2}]}
            """);
        using (BtokEncoder encoder = BtokEncoder.CreateRandom(Small, 3, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 }))
            encoder.Save(model);
        return (model, dir);
    }

    [Fact(Timeout = 180_000)]
    public async Task RunAsync_TinyBenchRandomModel_ScoresEveryTaskDeterministically()
    {
        Prereq.RequireFfmpeg();
        CancellationToken ct = TestContext.Current.CancellationToken;
        (string model, string bench) = await MakeBenchAsync(_dir, ct);
        var options = new EvalOptions { CacheDirectory = Path.Combine(_dir, "cache"), Threads = 2, Device = EncoderDevice.Cpu };
        var stages = new List<EvalProgress>();
        EvalReport first = await BenchEvaluator.RunAsync(model, bench, options, new SyncProgress(stages.Add), ct);

        Assert.Equal("test", first.Split);
        Assert.Equal(["image_classification", "image_retrieval", "video_qa"], first.Tasks.Keys);
        Assert.Equal((2, 0.5), (first.Tasks["image_classification"].N, first.Tasks["image_classification"].Chance));
        Assert.Equal(1.0 / 3, first.Tasks["video_qa"].Chance, 6);
        Assert.Equal(2, first.Tasks["video_qa"].Tags["order"].N);
        Assert.Equal(1, first.Tasks["image_classification"].Tags["heldout"].N);
        Assert.All(first.Tasks.Values, t => Assert.InRange(t.Hit1, 0, 1));
        Assert.Equal(first.Tasks.Values.Average(t => t.Hit1), first.Overall, 12);
        Assert.Contains(stages, s => s.Stage == "decode" && s.Done == s.Total && s.Total == 4); // 2 PNGs + 2 distinct clip spans
        Assert.Contains(stages, s => s.Stage == "embed" && s.Done == s.Total && s.Total > 4);

        // Second run reads the cache: the same numbers.
        EvalReport second = await BenchEvaluator.RunAsync(model, bench, options, null, ct);
        Assert.Equal(Numbers(first), Numbers(second));

        // Blank frames: both image queries become the same input with the same candidates, so at most one can hit.
        EvalReport blank = await BenchEvaluator.RunAsync(model, bench, options with { Control = EvalControl.BlankFrames }, null, ct);
        Assert.InRange(blank.Tasks["image_classification"].Hit1, 0, 0.5);
        Assert.Equal(EvalControl.BlankFrames, blank.Control);

        EvalReport limited = await BenchEvaluator.RunAsync(model, bench, options with { MaxQueriesPerTask = 1 }, null, ct);
        Assert.All(limited.Tasks.Values, t => Assert.Equal(1, t.N));
    }

    [Fact(Timeout = 180_000)]
    public async Task RunAsync_QueryEmbeddingsFile_OneLinePerQueryWithTheEmbeddingTheScoresCameFrom()
    {
        Prereq.RequireFfmpeg();
        CancellationToken ct = TestContext.Current.CancellationToken;
        (string model, string bench) = await MakeBenchAsync(_dir, ct);
        string file = Path.Combine(_dir, "queries.jsonl");
        var options = new EvalOptions { Threads = 2, Device = EncoderDevice.Cpu, QueryEmbeddingsFile = file };

        await BenchEvaluator.RunAsync(model, bench, options, null, ct);

        JsonElement[] lines = [.. File.ReadLines(file).Select(l => JsonDocument.Parse(l).RootElement)];
        Assert.Equal(["image_classification", "image_classification", "image_retrieval", "video_qa", "video_qa"], lines.Select(l => l.GetProperty("task").GetString()));
        Assert.Equal([1, 2, 1, 1, 2], lines.Select(l => l.GetProperty("line").GetInt32()));
        Assert.Equal([0, 1, 1, 2, 0], lines.Select(l => l.GetProperty("answer").GetInt32()));
        Assert.Equal(["heldout"], lines[0].GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        // The red image's embedding is the encoder's, unit length, and differs from the blue one's.
        float[] red = [.. lines[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
        float[] blue = [.. lines[1].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
        Assert.Equal(Small.DModel, red.Length);
        Assert.Equal(1.0, Math.Sqrt(red.Sum(v => (double)v * v)), 3);
        Assert.NotEqual(red, blue);

        var missing = options with { QueryEmbeddingsFile = Path.Combine(_dir, "no-such-folder", "q.jsonl") };
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => BenchEvaluator.RunAsync(model, bench, missing, null, ct));
        Assert.Contains("no-such-folder", ex.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 180_000)]
    public async Task RunAsync_ReadBack_DecodesEachRetrievalClipAndReportsOwnAndOtherF1()
    {
        Prereq.RequireFfmpeg();
        CancellationToken ct = TestContext.Current.CancellationToken;
        (string model, string bench) = await MakeBenchAsync(_dir, ct);
        File.WriteAllText(Path.Combine(bench, "test", "video_retrieval.jsonl"),
            """{"query": {"text": "a test pattern at the start"}, "candidates": [{"video": "../media/clip.mp4", "start": 0, "end": 1}, {"video": "../media/clip.mp4", "start": 1, "end": 2}], "answer": 0}""" + "\n" +
            """{"query": {"text": "a test pattern at the end"}, "candidates": [{"video": "../media/clip.mp4", "start": 0, "end": 1}, {"video": "../media/clip.mp4", "start": 1, "end": 2}], "answer": 1}""" + "\n");
        File.WriteAllText(Path.Combine(bench, "test", "bench.json"), """
            {"format": "mediasdk-bench", "version": 1, "split": "test", "tasks": [
              {"name": "video_retrieval", "file": "video_retrieval.jsonl", "chance": 0.5, "count": 2}]}
            """);
        var options = new EvalOptions { Threads = 2, Device = EncoderDevice.Cpu, ReadBackClips = 10 };

        EvalReport report = await BenchEvaluator.RunAsync(model, bench, options, null, ct);

        ReadBackScore readBack = Assert.IsType<ReadBackScore>(report.ReadBack);
        Assert.Equal(2, readBack.N); // two distinct clips, fewer than asked for
        Assert.Equal(["a test pattern at the start", "a test pattern at the end"], readBack.Examples.Select(e => e.Caption));
        Assert.InRange(readBack.OwnF1, 0, 1);
        Assert.InRange(readBack.OtherF1, 0, 1);
        using JsonDocument json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(2, json.RootElement.GetProperty("readback").GetProperty("n").GetInt32());

        EvalReport off = await BenchEvaluator.RunAsync(model, bench, options with { ReadBackClips = 0 }, null, ct);
        Assert.Null(off.ReadBack);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_MissingModel_ModelLoadExceptionBeforeDecoding()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await Assert.ThrowsAsync<ModelLoadException>(() => BenchEvaluator.RunAsync(Path.Combine(_dir, "nope"), _dir, null, null, ct));
    }

    private static string Numbers(EvalReport r) =>
        JsonSerializer.Serialize(r.Tasks.ToDictionary(t => t.Key, t => new[] { t.Value.Hit1, t.Value.Chance, t.Value.N }));

    private sealed class SyncProgress(Action<EvalProgress> report) : IProgress<EvalProgress>
    {
        private readonly Lock _gate = new();

        public void Report(EvalProgress value)
        {
            lock (_gate) report(value);
        }
    }
}
