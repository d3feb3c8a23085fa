using System.Text.Json;
using MediaSdk.Model;
using MediaSdk.TestSupport;

namespace MediaSdk.Tests;

/// <summary><c>mediasdk eval</c> as a user runs it: a tiny hand-written bench (ffmpeg-made PNGs, text candidates) and a
/// random-init model saved to a folder.</summary>
public sealed class CliEvalTests : IDisposable
{
    private static readonly BtokConfig Small = BtokConfig.Default with
    {
        ModelId = "cli-eval-test", DModel = 64, Layers = 2, Heads = 2, FfnDim = 128, PatchSize = 16, ImageSize = 32, MaxFrames = 2, BottleneckTokens = 2,
    };

    private const string Classes = """[{"text": "a red square"}, {"text": "a blue square"}, {"text": "a green square"}]""";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "msdk-clieval-" + Guid.NewGuid().ToString("N")[..8]);

    public CliEvalTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(string Model, string Bench)> MakeAsync(CancellationToken ct, string? badLine = null)
    {
        string media = Path.Combine(_dir, "media"), test = Path.Combine(_dir, "test"), model = Path.Combine(_dir, "model");
        Directory.CreateDirectory(media);
        Directory.CreateDirectory(test);
        foreach (string colour in new[] { "red", "blue" })
        {
            (int exit, _, string err) = await Tools.RunAsync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", $"color=c={colour}:s=64x48", "-frames:v", "1", Path.Combine(media, colour + ".png")], ct);
            Assert.True(exit == 0, err);
        }
        File.WriteAllText(Path.Combine(test, "image_classification.jsonl"),
            $$"""{"query": {"image": "../media/red.png"}, "candidates": {{Classes}}, "answer": 0, "tags": ["heldout"]}""" + "\n" +
            (badLine ?? $$"""{"query": {"image": "../media/blue.png"}, "candidates": {{Classes}}, "answer": 1, "tags": []}""") + "\n");
        File.WriteAllText(Path.Combine(test, "image_retrieval.jsonl"),
            """{"query": {"text": "a red picture"}, "candidates": [{"image": "../media/blue.png"}, {"image": "../media/red.png"}], "answer": 1}""" + "\n");
        File.WriteAllText(Path.Combine(test, "bench.json"),
            """{"format": "mediasdk-bench", "version": 1, "split": "test", "tasks": [{"name": "image_classification", "file": "image_classification.jsonl", "chance": 0.333333, "count": 2}, {"name": "image_retrieval", "file": "image_retrieval.jsonl", "chance": 0.5, "count": 1}]}""");
        using (BtokEncoder encoder = BtokEncoder.CreateRandom(Small, 5, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 1 }))
            encoder.Save(model);
        return (model, _dir);
    }

    [Fact(Timeout = 180_000)]
    public async Task Eval_JsonFormat_ContractShapeWithChanceAndCounts()
    {
        Prereq.RequireFfmpeg();
        CancellationToken ct = TestContext.Current.CancellationToken;
        (string model, string bench) = await MakeAsync(ct);
        (int exit, CliProcess cli) = await CliProcess.RunAsync(ct, "eval", "--model", model, "--bench", bench, "--format", "json", "--by-answer", "--threads", "2");
        using (cli)
        {
            Assert.True(exit == 0, $"exit {exit}: {cli.Stderr}");
            string json = Assert.Single(cli.StdoutLines).Line;
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            double overall = root.GetProperty("overall").GetDouble();
            JsonElement tasks = root.GetProperty("tasks");
            Assert.Equal(["image_classification", "image_retrieval"], tasks.EnumerateObject().Select(p => p.Name));
            JsonElement cls = tasks.GetProperty("image_classification");
            Assert.Equal(0.333333, cls.GetProperty("chance").GetDouble(), 5);
            Assert.Equal(2, cls.GetProperty("n").GetInt32());
            Assert.Equal(1, cls.GetProperty("tags").GetProperty("heldout").GetProperty("n").GetInt32());
            // --by-answer: every label of the classification task, none for retrieval (image candidates).
            JsonElement answers = cls.GetProperty("answers");
            Assert.Equal(3, answers.EnumerateObject().Count());
            Assert.Equal(2, answers.EnumerateObject().Sum(a => a.Value.GetProperty("n").GetInt32()));
            Assert.False(tasks.GetProperty("image_retrieval").TryGetProperty("answers", out _));
            double mean = tasks.EnumerateObject().Average(p => p.Value.GetProperty("hit1").GetDouble());
            Assert.Equal(mean, overall, 5);
            Assert.All(tasks.EnumerateObject(), p => Assert.InRange(p.Value.GetProperty("hit1").GetDouble(), 0, 1));
            Assert.True(Directory.Exists(Path.Combine(bench, "test", "cache")), "the default cache is next to bench.json");
        }

        string embeddings = Path.Combine(_dir, "queries.jsonl");
        (exit, cli) = await CliProcess.RunAsync(ct, "eval", "--model", model, "--bench", Path.Combine(bench, "test"), "--control", "blank", "--by-answer", "--threads", "2",
            "--embeddings", embeddings);
        using (cli)
        {
            Assert.True(exit == 0, $"exit {exit}: {cli.Stderr}");
            string[] lines = [.. cli.StdoutLines.Select(l => l.Line)];
            Assert.Contains(lines, l => l.StartsWith("image_classification", StringComparison.Ordinal) && l.EndsWith(" 2", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("overall", StringComparison.Ordinal));
            Assert.Contains("control blank", lines[0], StringComparison.Ordinal);
            Assert.Contains(lines, l => l.StartsWith("  = a red square", StringComparison.Ordinal) && l.Contains(" picked ", StringComparison.Ordinal));
            // --embeddings: one line per scored query (2 classification, 1 retrieval), each with the model's width.
            string[] queries = File.ReadAllLines(embeddings);
            Assert.Equal(3, queries.Length);
            Assert.All(queries, q => Assert.Equal(Small.DModel, JsonDocument.Parse(q).RootElement.GetProperty("embedding").GetArrayLength()));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Eval_EmbeddingsInMissingFolder_Exit2BeforeLoading()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        (int exit, CliProcess cli) = await CliProcess.RunAsync(ct, "eval", "--model", Path.Combine(_dir, "no-model"), "--bench", _dir,
            "--embeddings", Path.Combine(_dir, "no-such-folder", "q.jsonl"));
        using (cli)
        {
            Assert.Equal(2, exit);
            string error = Assert.Single(cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("--embeddings", error, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Eval_BadBenchLine_Exit3WithFileAndLine()
    {
        Prereq.RequireFfmpeg();
        CancellationToken ct = TestContext.Current.CancellationToken;
        (string model, string bench) = await MakeAsync(ct, badLine: """{"query": {"image": "../media/blue.png"}, "candidates": [{"text": "x"}, {"text": "x"}], "answer": 1}""");
        (int exit, CliProcess cli) = await CliProcess.RunAsync(ct, "eval", "--model", model, "--bench", bench);
        using (cli)
        {
            Assert.Equal(3, exit);
            string error = Assert.Single(cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(Path.Combine(bench, "test", "image_classification.jsonl") + ":2: ", error, StringComparison.Ordinal);
            Assert.Contains("duplicates the positive", error, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Eval_MissingModel_Exit4()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        (int exit, CliProcess cli) = await CliProcess.RunAsync(ct, "eval", "--model", Path.Combine(_dir, "no-model"), "--bench", _dir);
        using (cli)
        {
            Assert.Equal(4, exit);
            Assert.Single(cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }
}
