namespace MediaSdk.Training.Tests.Evaluation;

/// <summary>The bench reader is strict and names file:line; no ffmpeg needed (media only has to exist).</summary>
public sealed class BenchReaderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "msdk-benchread-" + Guid.NewGuid().ToString("N")[..8]);

    public BenchReaderTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "test"));
        File.WriteAllText(Path.Combine(_dir, "a.png"), "placeholder");
        File.WriteAllText(Path.Combine(_dir, "b.png"), "placeholder");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Good = """{"query": {"image": "../a.png", "text": "what colour is the circle?"}, "candidates": [{"text": "red"}, {"text": "blue"}], "answer": 1, "tags": ["heldout"]}""";

    private string Write(string lines, int count, double chance = 0.5)
    {
        File.WriteAllText(Path.Combine(_dir, "test", "image_qa.jsonl"), lines);
        File.WriteAllText(Path.Combine(_dir, "test", "bench.json"),
            $$"""{"format":"mediasdk-bench","version":1,"split":"test","tasks":[{"name":"image_qa","file":"image_qa.jsonl","chance":{{chance.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"count":{{count}}}]}""");
        return Path.Combine(_dir, "test", "image_qa.jsonl");
    }

    [Fact(Timeout = 30_000)]
    public async Task ReadAsync_GoodBench_ResolvesTestSplitAndMediaPaths()
    {
        Write(Good + "\n\n" + Good.Replace("\"answer\": 1", "\"answer\": 0", StringComparison.Ordinal) + "\n", 2);
        BenchDefinition bench = await BenchReader.ReadAsync(_dir, TestContext.Current.CancellationToken);
        Assert.Equal("test", bench.Split);
        BenchTaskFile task = Assert.Single(bench.Tasks);
        Assert.Equal(2, task.Queries.Count);
        Assert.Equal(3, task.Queries[1].Line);
        Assert.Equal(Path.Combine(_dir, "a.png"), task.Queries[0].Query.Image);
        Assert.Equal(["heldout"], task.Queries[0].Tags);
        Assert.Equal(0.5, task.Chance);
    }

    public static TheoryData<string, int, string> BadLines => new()
    {
        { Good + "\n" + Good + "\n" + """{"query": {"text": "x"}, "candidates": [{"text": "red"}, {"text": "red"}], "answer": 0}""", 3, "duplicates the positive" },
        { Good + "\n" + """{"query": {"text": "x"}, "candidates": [{"text": "red"}], "answer": 0}""", 2, "at least 2 sides" },
        { Good + "\n" + """{"query": {"text": "x"}, "candidates": [{"text": "red"}, {"text": "b"}], "answer": 2}""", 2, "\"answer\" must be" },
        { Good + "\n" + """{"query": {"text": "x"}, "candidates": [{"text": "red"}, {"text": "b"}], "answer": 0, "tag": []}""", 2, "unknown field \"tag\"" },
        { Good + "\n" + """{"query": {"image": "../missing.png"}, "candidates": [{"text": "red"}, {"text": "b"}], "answer": 0}""", 2, "not found" },
        { Good + "\n" + """{"query": {"text": "x"}, "candidates": [{"text": "red"}, {"text": "b"}], "answer": 0""", 2, "not valid JSON" },
        { Good + "\n" + """{"query": {"text": "x"}, "candidates": [{"text": "red"}, {"text": "b"}], "answer": 0, "tags": [3]}""", 2, "tags are non-empty strings" },
    };

    [Theory(Timeout = 30_000)]
    [MemberData(nameof(BadLines))]
    public async Task ReadAsync_BadLine_ErrorNamesFileAndLine(string lines, int line, string problem)
    {
        string file = Write(lines, 3);
        TrainingDataException e = await Assert.ThrowsAsync<TrainingDataException>(() => BenchReader.ReadAsync(Path.Combine(_dir, "test"), TestContext.Current.CancellationToken));
        Assert.StartsWith($"{file}:{line}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<MediaInputException>(e); // CLI exit 3
    }

    [Fact(Timeout = 30_000)]
    public async Task ReadAsync_CountOrChanceDisagree_ErrorNamesBenchJson()
    {
        Write(Good + "\n", 2);
        TrainingDataException e = await Assert.ThrowsAsync<TrainingDataException>(() => BenchReader.ReadAsync(_dir, TestContext.Current.CancellationToken));
        Assert.StartsWith(Path.Combine(_dir, "test", "bench.json") + ":1: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("count 2", e.Message, StringComparison.Ordinal);
        Write(Good + "\n", 1, chance: 0.25);
        e = await Assert.ThrowsAsync<TrainingDataException>(() => BenchReader.ReadAsync(_dir, TestContext.Current.CancellationToken));
        Assert.Contains("chance", e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task ReadAsync_NoBenchJson_SaysWhatToPass()
    {
        string empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);
        TrainingDataException e = await Assert.ThrowsAsync<TrainingDataException>(() => BenchReader.ReadAsync(empty, TestContext.Current.CancellationToken));
        Assert.Contains("no bench.json", e.Message, StringComparison.Ordinal);
    }
}
