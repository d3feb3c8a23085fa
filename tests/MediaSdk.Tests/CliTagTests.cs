using System.Text.Json;
using MediaSdk.TestSupport;

namespace MediaSdk.Tests;

/// <summary>The mediasdk CLI as a user runs it: a real process, real ffmpeg, the real encoder.</summary>
public sealed class CliTagTests(ClipsFixture clips) : IClassFixture<ClipsFixture>
{
    private const int Timeout = 120_000;

    [Fact(Timeout = Timeout)]
    public async Task Tag_FiveSecondClipJsonl_EmitsWindowsByTheRule()
    {
        Prereq.RequireFfmpeg();
        string clip = await clips.FiveSecondsAsync();

        var (exit, cli) = await CliProcess.RunAsync(TestContext.Current.CancellationToken, "tag", clip, "--format", "jsonl", "--labels", "a test pattern,a cat");
        using (cli)
        {
            Assert.True(exit == 0, cli.Stderr);
            var windows = cli.Events.Where(e => e.GetProperty("type").GetString() == "window").ToList();
            // 5 s, L=2, H=1: [0,2) [1,3) [2,4) [3,5) full, then [4,6) partial (covers 1 s = L/2).
            Assert.Equal([0.0, 1, 2, 3, 4], windows.Select(w => w.GetProperty("start").GetDouble()));
            Assert.Equal([2.0, 3, 4, 5, 6], windows.Select(w => w.GetProperty("end").GetDouble()));
            Assert.Equal([false, false, false, false, true], windows.Select(w => w.GetProperty("partial").GetBoolean()));
            foreach (JsonElement w in windows)
            {
                Assert.Equal("five.mp4", w.GetProperty("stream").GetString());
                // The shipped default model when the build has one, else the seeded random-init model.
                Assert.StartsWith(MediaSdkBuilder.HasDefaultModel ? "btok-tiny@" : "btok-random-init@", w.GetProperty("model").GetString(), StringComparison.Ordinal);
                string[] labels = [.. w.GetProperty("tags").EnumerateArray().Select(t => t.GetProperty("label").GetString()!)];
                Assert.Equal(["a cat", "a test pattern"], labels.Order());
                Assert.All(w.GetProperty("tags").EnumerateArray(), t => Assert.InRange(t.GetProperty("score").GetDouble(), -1, 1));
                Assert.True(w.GetProperty("latency_ms").GetDouble() >= 0);
            }
            Assert.Contains(cli.Events, e => e.GetProperty("type").GetString() == "state" && e.GetProperty("state").GetString() == "ended");
            if (!MediaSdkBuilder.HasDefaultModel) Assert.Contains("random-init", cli.Stderr, StringComparison.Ordinal); // says the model is untrained
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task Tag_StartEndWindowOptions_WindowsCoverTheRange()
    {
        Prereq.RequireFfmpeg();
        string clip = await clips.FiveSecondsAsync();

        var (exit, cli) = await CliProcess.RunAsync(TestContext.Current.CancellationToken, "tag", clip, "--format", "jsonl", "--start", "1", "--end", "4",
            "--window", "1", "--hop", "1", "--frames", "4");
        using (cli)
        {
            Assert.True(exit == 0, cli.Stderr);
            var starts = cli.Events.Where(e => e.GetProperty("type").GetString() == "window").Select(w => w.GetProperty("start").GetDouble());
            Assert.Equal([1.0, 2, 3], starts); // media times stay absolute after --start
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task Tag_TableFormat_PrintsOneRowPerWindow()
    {
        Prereq.RequireFfmpeg();
        string clip = await clips.FiveSecondsAsync();

        var (exit, cli) = await CliProcess.RunAsync(TestContext.Current.CancellationToken, "tag", clip, "--labels", "red,green");
        using (cli)
        {
            Assert.True(exit == 0, cli.Stderr);
            Assert.Equal(5, cli.StdoutLines.Count(l => l.Line.StartsWith("five.mp4", StringComparison.Ordinal)));
        }
    }

    public static TheoryData<string> BadInputs => ["missing", "directory", "empty", "text", "audio", "scheme", "concat"];

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(BadInputs))]
    public async Task Tag_BadInput_ExitsThreeWithOneLine(string kind)
    {
        Prereq.RequireFfmpeg();
        string input = kind switch
        {
            "missing" => clips.Factory.PathOf("does-not-exist.mp4"),
            "directory" => clips.Factory.Folder,
            "empty" => clips.Factory.WriteText("empty.mp4", ""),
            "text" => clips.Factory.WriteText("notes.mp4", "this is not a video\n"),
            "audio" => await clips.GetAsync("tone.m4a", f => f.AudioOnlyAsync("tone.m4a")),
            "scheme" => "gopher://127.0.0.1/clip",
            _ => "concat:/etc/passwd|/etc/hosts",
        };

        var (exit, cli) = await CliProcess.RunAsync(TestContext.Current.CancellationToken, "tag", input);
        using (cli)
        {
            Assert.Equal(3, exit);
            string[] lines = cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("mediasdk: error:", StringComparison.Ordinal)).ToArray();
            Assert.Single(lines);
            Assert.DoesNotContain("   at ", cli.Stderr, StringComparison.Ordinal); // no stack trace without --verbose
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task Tag_TruncatedFile_YieldsItsWindowsAndAWarning()
    {
        Prereq.RequireFfmpeg();
        // faststart puts the index first, so the cut file still claims 8 s while its data stops near 4 s.
        string full = await clips.GetAsync("long.mp4", f => f.TestSrcAsync("long.mp4", 320, 240, 8, 25, "libx264", "-movflags", "+faststart"));
        string truncated = clips.Factory.Truncate(full, "truncated.mp4", 0.5);

        var (exit, cli) = await CliProcess.RunAsync(TestContext.Current.CancellationToken, "tag", truncated, "--format", "jsonl");
        using (cli)
        {
            Assert.True(exit == 0, cli.Stderr);
            int windows = cli.Events.Count(e => e.GetProperty("type").GetString() == "window");
            Assert.InRange(windows, 2, 6); // what the first half holds, not the 8 the index promises
            JsonElement warning = Assert.Single(cli.Events, e => e.GetProperty("type").GetString() == "warning");
            Assert.Contains("truncated", warning.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task Tag_TruncatedWithoutIndex_ExitsThree()
    {
        Prereq.RequireFfmpeg();
        // Without faststart the index (moov) is at the end: the cut file is not readable media, and says so.
        string full = await clips.GetAsync("tail-index.mp4", f => f.TestSrcAsync("tail-index.mp4", 320, 240, seconds: 6));
        string truncated = clips.Factory.Truncate(full, "tail-index-cut.mp4", 0.5);
        var (exit, cli) = await CliProcess.RunAsync(TestContext.Current.CancellationToken, "tag", truncated, "--format", "jsonl");
        using (cli)
        {
            Assert.Equal(3, exit);
            Assert.Contains("mediasdk: error:", cli.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled", cli.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory(Timeout = Timeout)]
    [InlineData("--window", "-1")]
    [InlineData("--format", "xml")]
    [InlineData("--no-such-option", "1")]
    [InlineData("--threads", "0")]
    [InlineData("--frames", "16")]
    public async Task Tag_BadOption_ExitsTwo(string option, string value)
    {
        var (exit, cli) = await CliProcess.RunAsync(TestContext.Current.CancellationToken, "tag", "x.mp4", option, value);
        using (cli) Assert.Equal(2, exit);
    }

    [Fact(Timeout = Timeout)]
    public async Task Tag_MissingModelDirectory_ExitsFour()
    {
        Prereq.RequireFfmpeg();
        string clip = await clips.FiveSecondsAsync();
        var (exit, cli) = await CliProcess.RunAsync(TestContext.Current.CancellationToken, "tag", clip, "--model", clips.Factory.PathOf("no-model"));
        using (cli)
        {
            Assert.Equal(4, exit);
            Assert.Contains("mediasdk: error:", cli.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task Tag_CudaOnCpuBuild_ExitsFive()
    {
        Prereq.RequireFfmpeg();
        string clip = await clips.FiveSecondsAsync();
        var (exit, cli) = await CliProcess.RunAsync(TestContext.Current.CancellationToken, "tag", clip, "--device", "cuda");
        using (cli)
        {
            Assert.Equal(5, exit);
            Assert.Contains("cuda", cli.Stderr, StringComparison.OrdinalIgnoreCase);
        }
    }
}
