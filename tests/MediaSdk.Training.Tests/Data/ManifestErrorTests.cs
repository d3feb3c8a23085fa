using MediaSdk.Training.Data;

namespace MediaSdk.Training.Tests.Data;

/// <summary>Every manifest problem is a <see cref="TrainingDataException"/> that names the manifest and the line.
/// Parsing needs no ffmpeg: media files only have to exist, and these lines never get as far as decoding.</summary>
public sealed class ManifestErrorTests : IDisposable
{
    private static readonly TrainingDataOptions Options = new(32, 4, 16, null);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "msdk-manifest-" + Guid.NewGuid().ToString("N")[..8]);

    public ManifestErrorTests()
    {
        Directory.CreateDirectory(_folder);
        // Only existence is checked before decoding, so placeholder files suffice here.
        File.WriteAllText(Path.Combine(_folder, "clip.mp4"), "placeholder");
        File.WriteAllText(Path.Combine(_folder, "still.png"), "placeholder");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const string Good = """{"query": {"video": "clip.mp4"}, "positive": {"text": "a dog"}}""";

    public static TheoryData<string, string, int, string> Cases => new()
    {
        { "malformed JSON", Good + "\n{\"query\": {\"text\": \"a\"}, \"positive\": ", 2, "not valid JSON" },
        { "trailing comma", "{\"query\": {\"text\": \"a\"}, \"positive\": {\"text\": \"b\"},}", 1, "not valid JSON" },
        { "comment line", "# a comment\n" + Good, 1, "not valid JSON" },
        { "not an object", "[1, 2]", 1, "not an object" },
        { "unknown top-level field", Good + "\n" + """{"query": {"text": "a"}, "positive": {"text": "b"}, "negative": []}""", 2, "unknown field \"negative\"" },
        { "unknown side field", """{"query": {"text": "a", "caption": "x"}, "positive": {"text": "b"}}""", 1, "unknown field \"caption\" in \"query\"" },
        { "unknown negative field", """{"query": {"text": "a"}, "positive": {"text": "b"}, "negatives": [{"txt": "c"}]}""", 1, "\"negatives[0]\"" },
        { "unknown target field", """{"query": {"video": "clip.mp4"}, "positive": {"text": "b"}, "target": {"text": "x", "side": "query"}}""", 1, "unknown field \"side\"" },
        { "duplicate field", """{"query": {"text": "a", "text": "b"}, "positive": {"text": "b"}}""", 1, "appears twice" },
        { "missing positive", """{"query": {"text": "a"}}""", 1, "missing \"positive\"" },
        { "missing query", """{"positive": {"text": "a"}}""", 1, "missing \"query\"" },
        { "missing media file", Good + "\n" + Good + "\n" + """{"query": {"video": "nope.mp4"}, "positive": {"text": "b"}}""", 3, "'nope.mp4' not found" },
        { "missing image file", """{"query": {"image": "gone.png"}, "positive": {"text": "b"}}""", 1, "'gone.png' not found" },
        { "folder as media", """{"query": {"video": "."}, "positive": {"text": "b"}}""", 1, "is a folder" },
        { "text is a number", """{"query": {"text": 5}, "positive": {"text": "b"}}""", 1, "\"query.text\" is 5 (a number)" },
        { "start is a string", """{"query": {"video": "clip.mp4", "start": "0", "end": 1}, "positive": {"text": "b"}}""", 1, "\"query.start\"" },
        { "negatives not an array", """{"query": {"text": "a"}, "positive": {"text": "b"}, "negatives": {"text": "c"}}""", 1, "must be an array" },
        { "task is a number", """{"query": {"text": "a"}, "positive": {"text": "b"}, "task": 3}""", 1, "\"task\"" },
        { "batch is empty", """{"query": {"text": "a"}, "positive": {"text": "b"}, "batch": " "}""", 1, "\"batch\" is" },
        { "target without text", """{"query": {"video": "clip.mp4"}, "positive": {"text": "b"}, "target": {"from": "query"}}""", 1, "\"target.text\" is missing" },
        { "target from bad", """{"query": {"video": "clip.mp4"}, "positive": {"text": "b"}, "target": {"text": "x", "from": "negative"}}""", 1, "\"query\" or \"positive\"" },
        { "end equals start", """{"query": {"video": "clip.mp4", "start": 2, "end": 2}, "positive": {"text": "b"}}""", 1, "must be greater than \"start\"" },
        { "end before start", """{"query": {"video": "clip.mp4", "start": 3, "end": 1}, "positive": {"text": "b"}}""", 1, "must be greater than \"start\"" },
        { "start without end", """{"query": {"video": "clip.mp4", "start": 1}, "positive": {"text": "b"}}""", 1, "no \"end\"" },
        { "start on image", """{"query": {"image": "still.png", "start": 0, "end": 1}, "positive": {"text": "b"}}""", 1, "no \"video\"" },
        { "negative seconds", """{"query": {"video": "clip.mp4", "start": -1, "end": 1}, "positive": {"text": "b"}}""", 1, "\"query.start\"" },
        { "video and image", """{"query": {"video": "clip.mp4", "image": "still.png"}, "positive": {"text": "b"}}""", 1, "both \"video\" and \"image\"" },
        { "no side content", """{"query": {"text": "a"}, "positive": {"instruction": "Describe"}}""", 1, "\"positive\" has no content" },
        { "empty side", """{"query": {}, "positive": {"text": "b"}}""", 1, "\"query\" has no content" },
        { "empty text", """{"query": {"text": ""}, "positive": {"text": "b"}}""", 1, "an empty string" },
        { "image not png/jpg", """{"query": {"image": "clip.mp4"}, "positive": {"text": "b"}}""", 1, "not a .png or .jpg" },
        { "empty manifest", "", 1, "no examples" },
        { "blank lines only", "\n   \n\n", 3, "no examples" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task LoadAsync_BadManifest_ThrowsWithPathAndLine(string name, string content, int line, string expected)
    {
        string manifest = Path.Combine(_folder, "m.jsonl");
        await File.WriteAllTextAsync(manifest, content, TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<TrainingDataException>(() => TrainingData.LoadAsync(manifest, Options, ct: TestContext.Current.CancellationToken));

        Assert.StartsWith($"{manifest}:{line}: ", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Contains(expected, StringComparison.Ordinal), $"{name}: '{ex.Message}' lacks '{expected}'");
        Assert.Equal(line, ex.Line);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.IsAssignableFrom<MediaInputException>(ex); // the CLI maps it to exit 3
    }

    [Fact]
    public async Task LoadAsync_SeveralBadLines_ReportsFirstAndCountsOthers()
    {
        string manifest = Path.Combine(_folder, "m.jsonl");
        await File.WriteAllLinesAsync(manifest, [Good, "{", Good, """{"query": {"video": "x.mp4"}, "positive": {"text": "b"}}""", "5"],
            TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<TrainingDataException>(() => TrainingData.LoadAsync(manifest, Options, ct: TestContext.Current.CancellationToken));

        Assert.StartsWith($"{manifest}:2: not valid JSON", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2 more bad line(s): 4, 5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_MissingManifest_Throws()
    {
        string manifest = Path.Combine(_folder, "absent.jsonl");
        var ex = await Assert.ThrowsAsync<TrainingDataException>(() => TrainingData.LoadAsync(manifest, Options, ct: TestContext.Current.CancellationToken));
        Assert.StartsWith($"{manifest}:0: manifest file not found", ex.Message, StringComparison.Ordinal);
    }
}
