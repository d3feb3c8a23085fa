using SkiaSharp;

namespace MediaSdk.Training.Tests;

public sealed class ReportingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mediasdk-report-").FullName;

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("MEDIASDK_KEEP_TEST_OUTPUT") is null)
            Directory.Delete(_dir, recursive: true);
    }

    private static TrainingStepRecord Record(int step, int total = 200, bool ntp = true, double? eval = null) => new()
    {
        Step = step,
        TotalSteps = total,
        InfoNce = 3.0 * Math.Exp(-step / 60.0) + (0.05 * Math.Sin(step)),
        Ntp = ntp ? 2.0 * Math.Exp(-step / 90.0) + 0.3 : null,
        LambdaEffective = ntp ? 0.1 * 0.75 : 0,
        Loss = 3.0 * Math.Exp(-step / 60.0) + (0.05 * Math.Sin(step)) + (ntp ? 0.075 * (2.0 * Math.Exp(-step / 90.0) + 0.3) : 0),
        Accuracy = Math.Clamp(1 - Math.Exp(-step / 50.0) + (0.05 * Math.Cos(step)), 0, 1),
        LearningRate = 1e-4 * Math.Min(1, step / 20.0),
        GradNorm = 1.5 / Math.Sqrt(step),
        StepMilliseconds = 400 + step % 7,
        ElapsedSeconds = step * 0.41,
        Task = step % 2 == 0 ? "retrieval" : null,
        EvalHit1 = eval,
    };

    [Fact]
    public void Log_WriteThenRead_RoundTripsEqualRecords()
    {
        string path = Path.Combine(_dir, "run", "train.jsonl");
        TrainingStepRecord[] written = [.. Enumerable.Range(1, 25).Select(s => Record(s, ntp: s % 3 != 0, eval: s % 10 == 0 ? 0.5 + (s / 100.0) : null))];
        using (var log = new TrainingLog(path))
            foreach (TrainingStepRecord r in written.Take(10))
                log.Write(r);
        // A resumed run appends to the same file.
        using (var log = new TrainingLog(path))
            foreach (TrainingStepRecord r in written.Skip(10))
                log.Write(r);

        Assert.Equal(written, TrainingLog.Read(path));
        string first = File.ReadLines(path).First();
        Assert.StartsWith("{\"step\":1,\"totalSteps\":200,", first, StringComparison.Ordinal);
        Assert.DoesNotContain("evalHit1", first, StringComparison.Ordinal); // nulls omitted
        Assert.Equal(25, File.ReadLines(path).Count());
    }

    [Fact]
    public void Log_NaNLoss_IsWrittenAndReadBack()
    {
        string path = Path.Combine(_dir, "nan.jsonl");
        TrainingStepRecord diverged = Record(7) with { Loss = double.NaN, GradNorm = double.PositiveInfinity };
        using (var log = new TrainingLog(path))
            log.Write(diverged);
        TrainingStepRecord back = Assert.Single(TrainingLog.Read(path));
        Assert.True(double.IsNaN(back.Loss));
        Assert.Equal(double.PositiveInfinity, back.GradNorm);
    }

    [Fact]
    public void Read_TruncatedLastLine_SkipsIt()
    {
        string path = Path.Combine(_dir, "crash.jsonl");
        using (var log = new TrainingLog(path))
            for (int s = 1; s <= 3; s++)
                log.Write(Record(s));
        string full = File.ReadAllText(path);
        File.WriteAllText(path, full + full.Split('\n')[0][..30]); // a crash mid-write: no closing brace, no newline

        Assert.Equal([Record(1), Record(2), Record(3)], TrainingLog.Read(path));

        // Resuming after the crash starts on a new line, so the partial line stays the only bad one... and is now in
        // the middle, which Read reports.
        using (var log = new TrainingLog(path))
            log.Write(Record(4));
        var e = Assert.Throws<MediaSdkException>(() => TrainingLog.Read(path));
        Assert.StartsWith($"{path}:4:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_GarbageMiddleLine_ThrowsWithPathAndLine()
    {
        string path = Path.Combine(_dir, "garbage.jsonl");
        using (var log = new TrainingLog(path))
            log.Write(Record(1));
        File.AppendAllText(path, "not json at all\n");
        using (var log = new TrainingLog(path))
            log.Write(Record(3));

        var e = Assert.Throws<MediaSdkException>(() => TrainingLog.Read(path));
        Assert.StartsWith($"{path}:2: not a training log record", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingRequiredField_ThrowsWithLine()
    {
        string path = Path.Combine(_dir, "missing.jsonl");
        File.WriteAllText(path, "{\"step\":1}\n{\"step\":2}\n");
        var e = Assert.Throws<MediaSdkException>(() => TrainingLog.Read(path));
        Assert.StartsWith($"{path}:1:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WritePng_Records_WritesPngOfExpectedSizeWithCurvesAndText()
    {
        string path = Path.Combine(_dir, "curves.png");
        TrainingStepRecord[] records = [.. Enumerable.Range(1, 200).Select(s => Record(s, eval: s % 25 == 0 ? s / 250.0 : null))];
        TrainingCurves.WritePng(records, path);

        Assert.False(File.Exists(path + ".tmp"));
        using SKBitmap bitmap = SKBitmap.Decode(path) ?? throw new Xunit.Sdk.XunitException("not a decodable image");
        Assert.Equal(TrainingCurves.Width, bitmap.Width);
        Assert.Equal(TrainingCurves.Height, bitmap.Height);
        Assert.True(CountNear(bitmap, new SKColor(0x1f, 0x77, 0xb4)) > 200, "total loss line missing");
        Assert.True(CountNear(bitmap, new SKColor(0x2c, 0xa0, 0x2c)) > 200, "NTP line missing");
        Assert.True(CountNear(bitmap, new SKColor(0xd6, 0x27, 0x28)) > 50, "eval Hit@1 points missing");
        Assert.True(CountNear(bitmap, SKColors.White) < bitmap.Width * bitmap.Height, "single colour");
        if (File.Exists("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
        {
            Assert.True(TrainingCurves.HasText);
            Assert.True(CountDark(bitmap, new SKRectI(0, 0, bitmap.Width, 45)) > 100, "the title did not render");
        }
    }

    [Fact]
    public void WritePng_NoNtpSingleRecord_StillPlots()
    {
        string path = Path.Combine(_dir, "nontp.png");
        File.WriteAllText(path, "old");
        TrainingCurves.WritePng([Record(1, ntp: false), Record(2, ntp: false), Record(3, ntp: false)], path);
        using SKBitmap bitmap = SKBitmap.Decode(path) ?? throw new Xunit.Sdk.XunitException("not a decodable image");
        Assert.Equal(TrainingCurves.Width, bitmap.Width);
        Assert.True(CountNear(bitmap, new SKColor(0x1f, 0x77, 0xb4)) > 50, "total loss line missing");
        // Only the legend swatch carries the NTP colour.
        Assert.True(CountNear(bitmap, new SKColor(0x2c, 0xa0, 0x2c)) < 120);

        TrainingCurves.WritePng([Record(5, ntp: false)], path);
        using SKBitmap single = SKBitmap.Decode(path) ?? throw new Xunit.Sdk.XunitException("not a decodable image");
        Assert.Equal(TrainingCurves.Height, single.Height);
    }

    [Fact]
    public void WritePng_Empty_Throws() =>
        Assert.Throws<ArgumentException>(() => TrainingCurves.WritePng([], Path.Combine(_dir, "empty.png")));

    private static int CountNear(SKBitmap bitmap, SKColor c)
    {
        int n = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                SKColor p = bitmap.GetPixel(x, y);
                if (Math.Abs(p.Red - c.Red) + Math.Abs(p.Green - c.Green) + Math.Abs(p.Blue - c.Blue) < 24)
                    n++;
            }
        return n;
    }

    private static int CountDark(SKBitmap bitmap, SKRectI area)
    {
        int n = 0;
        for (int y = area.Top; y < area.Bottom; y++)
            for (int x = area.Left; x < area.Right; x++)
                if (bitmap.GetPixel(x, y).Red < 80)
                    n++;
        return n;
    }
}
