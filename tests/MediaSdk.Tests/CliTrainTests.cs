using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MediaSdk.TestSupport;

namespace MediaSdk.Tests;

/// <summary>
/// <c>mediasdk train</c> as a user runs it: generated clips through the real decode path, a tiny model, the real
/// trainer, then the exported model loaded by <c>tag</c>.
/// </summary>
[Collection("Live")] // CPU-heavy: keep it off the timing-sensitive tests' cores
public sealed partial class CliTrainTests : IDisposable
{
    private static readonly string[] s_colours =
        ["red", "green", "blue", "yellow", "cyan", "magenta", "orange", "purple", "brown", "pink", "gray", "navy", "olive", "teal", "maroon", "black"];
    private static readonly string[] s_directions = ["right", "left", "down", "up"];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "msdk-train-" + Guid.NewGuid().ToString("N"));

    public CliTrainTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact(Timeout = 300_000)]
    public async Task Train_SixteenGeneratedClips_LossFallsAndPairsAreRetrieved()
    {
        Prereq.RequireFfmpeg();
        CancellationToken ct = TestContext.Current.CancellationToken;
        string manifest = await WriteClipManifestAsync(ct);
        string output = Path.Combine(_dir, "out");

        var (exit, cli) = await RunAsync(240_000, ["train", "--data", manifest, "--out", output, "--arch", "tiny", "--steps", "50",
            "--batch", "16", "--frames", "4", "--lr", "2e-3", "--seed", "1", "--threads", "2"], ct);
        using (cli)
        {
            Assert.True(exit == 0, $"exit {exit}: {cli.Stderr}");
            List<JsonElement> log = [.. File.ReadLines(Path.Combine(output, "log.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
            Assert.Equal(50, log.Count);
            Assert.Equal(Enumerable.Range(1, 50), log.Select(r => r.GetProperty("step").GetInt32()));
            double first = log.Take(5).Average(r => r.GetProperty("loss").GetDouble());
            double last = log.TakeLast(5).Average(r => r.GetProperty("loss").GetDouble());
            Assert.True(last <= 0.7 * first, $"loss fell from {first:F3} to {last:F3}, less than 30%");
            // GIC is on for the first 40% of steps (lambda scaled by the fraction with a target: all of them here).
            Assert.True(log[0].TryGetProperty("ntp", out _), "step 1 has no NTP term");
            Assert.False(log[^1].TryGetProperty("ntp", out _), "the last step still has an NTP term");

            string done = cli.StdoutLines.Select(l => l.Line).Last(l => l.StartsWith("done:", StringComparison.Ordinal));
            Match hit = HitPattern().Match(done);
            Assert.True(hit.Success, done);
            double before = double.Parse(hit.Groups[1].Value, CultureInfo.InvariantCulture);
            double after = double.Parse(hit.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.True(before <= 0.4, $"Hit@1 before training is {before}, far above chance (1/16): {done}");
            Assert.True(after >= 0.9, $"training-pair Hit@1 among 16 is {after} after 50 steps: {done}");
            Assert.Equal(after, log[^1].GetProperty("evalHit1").GetDouble(), 6);
            Assert.True(new FileInfo(Path.Combine(output, "curves.png")).Length > 1000);
        }

        // The exported model is an ordinary checkpoint: tag loads it.
        var (tagExit, tag) = await RunAsync(120_000, ["tag", Path.Combine(_dir, "clip00.mp4"), "--model", output, "--format", "jsonl",
            "--labels", "a white square moving right on a red background,a white square moving left on a blue background"], ct);
        using (tag)
        {
            Assert.True(tagExit == 0, tag.Stderr);
            Assert.Contains(tag.Events, e => e.GetProperty("type").GetString() == "window");
        }

        // Running again into the same folder is refused unless resuming.
        var (again, cli2) = await RunAsync(60_000, ["train", "--data", manifest, "--out", output, "--arch", "tiny", "--steps", "50"], ct);
        using (cli2)
        {
            Assert.Equal(2, again);
            Assert.Contains("--resume", cli2.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Train_ManifestWithBadLine_ExitsThreeNamingFileAndLine()
    {
        string manifest = Path.Combine(_dir, "bad.jsonl");
        await File.WriteAllLinesAsync(manifest,
        [
            """{"query": {"text": "a red square"}, "positive": {"text": "red"}}""",
            """{"query": {"text": "a blue square"}, "positive": {"text": "blue"}, "colour": "blue"}""",
        ], TestContext.Current.CancellationToken);
        var (exit, cli) = await RunAsync(60_000, ["train", "--data", manifest, "--out", Path.Combine(_dir, "o"), "--arch", "tiny", "--steps", "2"], TestContext.Current.CancellationToken);
        using (cli)
        {
            Assert.Equal(3, exit);
            string[] lines = cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            string error = Assert.Single(lines, l => l.Contains("error", StringComparison.Ordinal));
            Assert.Contains("bad.jsonl:2", error, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(_dir, "o", "model.safetensors")));
        }
    }

    [Theory(Timeout = 60_000)]
    [InlineData("--steps", "0")]
    [InlineData("--batch", "1")]
    [InlineData("--arch", "huge")]
    [InlineData("--freeze", "wings")]
    [InlineData("--task-weight", "image-label")]
    [InlineData("--task-weight", "image-label=101")]
    [InlineData("--stem-warmup-tasks", "image-label=x")]
    [InlineData("--stem-warmup-tasks", "image-label=0")]
    [InlineData("--stem-warmup-first", "image-label")]
    [InlineData("--stem-warmup-first", "image-label:0")]
    [InlineData("--uniformity", "-1")]
    [InlineData("--stem-keep", "-1")]
    [InlineData("--motion-keep", "1")]
    [InlineData("--motion-keep-videos", "0")]
    [InlineData("--frame-summary-where", "true")]
    [InlineData("--motion-token", "true")]
    [InlineData("--motion-trace", "true")]
    public async Task Train_BadOption_ExitsTwoWithOneLine(string option, string value)
    {
        string manifest = Path.Combine(_dir, "ok.jsonl");
        await File.WriteAllTextAsync(manifest, """{"query": {"text": "a"}, "positive": {"text": "b"}}""" + "\n", TestContext.Current.CancellationToken);
        var (exit, cli) = await RunAsync(60_000, ["train", "--data", manifest, "--out", Path.Combine(_dir, "o"), option, value], TestContext.Current.CancellationToken);
        using (cli)
        {
            Assert.Equal(2, exit);
            Assert.Contains(option, cli.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory(Timeout = 60_000)]
    [InlineData("--task-weight", "nosuch=2")]
    [InlineData("--stem-warmup-tasks", "nosuch")]
    [InlineData("--motion-keep-tasks", "nosuch")]
    public async Task Train_UnknownTaskName_NamedBeforeAnyMediaIsDecoded(string option, string value)
    {
        // The image is not a picture: decoding it would fail, so the task-name error proves it came first.
        string image = Path.Combine(_dir, "broken.png");
        await File.WriteAllTextAsync(image, "not a png", TestContext.Current.CancellationToken);
        string manifest = Path.Combine(_dir, "tasks.jsonl");
        await File.WriteAllTextAsync(manifest, """{"query": {"image": "broken.png"}, "positive": {"text": "b"}, "task": "t"}""" + "\n",
            TestContext.Current.CancellationToken);
        string[] warmup = option == "--stem-warmup-tasks" ? ["--stem-warmup", "2"] : [];
        var (exit, cli) = await RunAsync(60_000, ["train", "--data", manifest, "--out", Path.Combine(_dir, "o"), .. warmup, option, value],
            TestContext.Current.CancellationToken);
        using (cli)
        {
            Assert.Equal(2, exit);
            Assert.Contains($"{option} names task 'nosuch', which no pair of the manifest has; its tasks are t.", cli.Stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>16 clips, each a white square moving one way over its own colour; the caption is the positive and the target.</summary>
    private async Task<string> WriteClipManifestAsync(CancellationToken ct)
    {
        var lines = new string[s_colours.Length];
        await Parallel.ForAsync(0, s_colours.Length, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = ct }, async (i, token) =>
        {
            string colour = s_colours[i], direction = s_directions[i % 4];
            string motion = direction switch
            {
                "right" => "x=10+t*50:y=48",
                "left" => "x=126-t*50:y=48",
                "down" => "x=68:y=5+t*40",
                _ => "x=68:y=91-t*40",
            };
            string file = Path.Combine(_dir, $"clip{i:00}.mp4");
            var (code, _, err) = await Tools.RunAsync("ffmpeg",
            [
                "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", $"color=c={colour}:s=160x120:d=2:r=15",
                "-f", "lavfi", "-i", "color=c=white:s=24x24:d=2:r=15", "-filter_complex", $"[0][1]overlay={motion}:shortest=1",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", file,
            ], token);
            Assert.True(code == 0, err);
            string caption = $"a white square moving {direction} on a {colour} background";
            lines[i] = JsonSerializer.Serialize(new
            {
                query = new { video = Path.GetFileName(file) },
                positive = new { text = caption },
                target = new { text = caption },
            });
        });
        string manifest = Path.Combine(_dir, "train.jsonl");
        await File.WriteAllLinesAsync(manifest, lines, ct);
        return manifest;
    }

    private static async Task<(int Exit, CliProcess Cli)> RunAsync(int timeoutMs, string[] args, CancellationToken ct)
    {
        var cli = CliProcess.Start(args);
        int exit = await cli.WaitForExitAsync(timeoutMs, ct);
        return (exit, cli);
    }

    [GeneratedRegex(@"Hit@1 ([0-9.]+) -> ([0-9.]+)")]
    private static partial Regex HitPattern();
}
