using System.Text.Json;
using MediaSdk.TestSupport;

namespace MediaSdk.Tests;

/// <summary>mediasdk tag --explain as a user runs it: read-back text on every window, in jsonl and in the table.</summary>
public sealed class CliExplainTests(ClipsFixture clips) : IClassFixture<ClipsFixture>
{
    private const int Timeout = 120_000;

    [Fact(Timeout = Timeout)]
    public async Task Tag_ExplainJsonl_EveryWindowCarriesExplainText()
    {
        Prereq.RequireFfmpeg();
        string clip = await clips.FiveSecondsAsync();

        var (exit, cli) = await CliProcess.RunAsync(TestContext.Current.CancellationToken, "tag", clip, "--explain", "--format", "jsonl", "--end", "3");
        using (cli)
        {
            Assert.True(exit == 0, cli.Stderr);
            var windows = cli.Events.Where(e => e.GetProperty("type").GetString() == "window").ToList();
            Assert.NotEmpty(windows);
            foreach (JsonElement w in windows)
            {
                Assert.True(w.TryGetProperty("explain", out JsonElement explain), $"window {w} has no explain");
                Assert.Equal(JsonValueKind.String, explain.ValueKind);
            }
            // Without a shipped default model the random-init one decodes arbitrary tokens, and the CLI says so once.
            if (!MediaSdkBuilder.HasDefaultModel)
                Assert.Single(cli.Stderr.Split('\n'), l => l.Contains("--explain with the random-init model", StringComparison.Ordinal));
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task Tag_ExplainTable_PrintsExplainLineUnderEachWindow()
    {
        Prereq.RequireFfmpeg();
        string clip = await clips.FiveSecondsAsync();

        var (exit, cli) = await CliProcess.RunAsync(TestContext.Current.CancellationToken, "tag", clip, "--explain", "--end", "3");
        using (cli)
        {
            Assert.True(exit == 0, cli.Stderr);
            string[] lines = [.. cli.StdoutLines.Select(l => l.Line)];
            int rows = 0;
            for (int i = 0; i < lines.Length; i++)
            {
                if (!lines[i].StartsWith("five.mp4", StringComparison.Ordinal)) continue;
                rows++;
                Assert.True(i + 1 < lines.Length && lines[i + 1].TrimStart().StartsWith("explain:", StringComparison.Ordinal),
                    $"no explain line after '{lines[i]}'");
            }
            Assert.True(rows > 0, string.Join('\n', lines));
        }
    }
}
