using MediaSdk.Cli;
using MediaSdk.Training;

namespace MediaSdk.Tests;

public sealed class TrainProgressTests
{
    private static TrainingStepRecord Record(int step, int total = 200, double? ntp = 0.0474, double? eval = null) => new()
    {
        Step = step,
        TotalSteps = total,
        Loss = 1.2344,
        InfoNce = 1.0,
        Ntp = ntp,
        LambdaEffective = ntp is null ? 0 : 0.1,
        Accuracy = 0.876,
        LearningRate = 1e-4,
        GradNorm = 0.9,
        StepMilliseconds = 412.3,
        ElapsedSeconds = step * 0.412,
        EvalHit1 = eval,
    };

    [Fact]
    public void FormatLine_GenerativeOn_MatchesDocumentedLine() =>
        Assert.Equal("step 50/200 loss 1.234 nce 1.000 ntp 0.047 acc 0.88 lr 1.0e-04 412 ms/step eta 1m02s",
            TrainProgress.FormatLine(Record(50), TimeSpan.FromSeconds(62)));

    [Fact]
    public void FormatLine_GenerativeOffWithEval_SaysOffAndHit1() =>
        Assert.Equal("step 7/200 loss 1.234 nce 1.000 ntp off acc 0.88 lr 1.0e-04 412 ms/step eta 2h05m hit1 0.81",
            TrainProgress.FormatLine(Record(7, ntp: null, eval: 0.81), TimeSpan.FromMinutes(125)));

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(42.4, "42s")]
    [InlineData(3599, "59m59s")]
    [InlineData(7200, "2h00m")]
    public void FormatEta_Seconds_Compact(double seconds, string expected) =>
        Assert.Equal(expected, TrainProgress.FormatEta(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Report_NonInteractive_PrintsAboutTwentyLinesAndTheLast()
    {
        using var output = new StringWriter();
        using (var progress = new TrainProgress(205, interactive: false, output))
        {
            for (int s = 1; s <= 205; s++)
                progress.Report(Record(s, total: 205, eval: s == 33 ? 0.5 : null));
            progress.Message("saved checkpoint");
        }
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // First step, every 11th (ceil(205 / 20)), the eval step 33 (also a multiple of 11), the last step, the message.
        Assert.Equal(1 + 18 + 1 + 1, lines.Length);
        Assert.StartsWith("step 1/205 ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("step 11/205 ", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("hit1 0.50", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("step 205/205 ", lines[^2], StringComparison.Ordinal);
        Assert.EndsWith("eta 0s", lines[^2], StringComparison.Ordinal);
        Assert.Equal("saved checkpoint", lines[^1]);
    }
}
