using MediaSdk.Contracts;
using MediaSdk.TestSupport;

namespace MediaSdk.Media.Tests;

public sealed class FileSourceTests(ClipsFixture clips) : IClassFixture<ClipsFixture>
{
    private const double T = 0.25;
    private static readonly FrameRequest Sampled = new(PreprocessOptions.Default, T, 1);
    private readonly FfmpegSourceFactory _factory = new();

    private async Task<(RecordingSink Sink, SourceCompletion Done)> RunAsync(string path, FrameRequest? request = null,
        SourceOptions? options = null, bool keepPixels = false)
    {
        var sink = new RecordingSink(keepPixels);
        IFrameSource source = _factory.Create(path, options ?? SourceOptions.Default, request ?? Sampled);
        SourceCompletion done = await source.RunAsync(sink, TestContext.Current.CancellationToken);
        return (sink, done);
    }

    private static void AssertSampleGrid(RecordingSink sink, int expectedCount, double start = 0)
    {
        Assert.Equal(expectedCount, sink.Count);
        for (int k = 0; k < sink.Count; k++) Assert.Equal(start + (k + 0.5) * T, sink.Pts[k], 9);
    }

    public static TheoryData<string, string, string[]> CodecContainerPairs => new()
    {
        { "libx264", "mp4", [] }, { "libx264", "mkv", [] }, { "libx264", "ts", [] }, { "libx264", "avi", [] },
        { "libx265", "mp4", ["-tag:v", "hvc1"] }, { "libx265", "mkv", [] },
        { "libvpx-vp9", "webm", [] }, { "libvpx-vp9", "mkv", [] },
        { "mpeg4", "avi", [] }, { "mpeg4", "mp4", [] },
        { "mjpeg", "avi", ["-pix_fmt", "yuvj420p"] }, { "mjpeg", "mkv", ["-pix_fmt", "yuvj420p"] },
    };

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(CodecContainerPairs))]
    public async Task RunAsync_CodecContainerPair_DeliversSampleGrid(string codec, string container, string[] extra)
    {
        Prereq.RequireFfmpeg();
        string name = $"pair-{codec}.{container}";
        string path = await clips.GetAsync(name, f => f.TestSrcAsync(name, seconds: 2, codec: codec, extra: extra));

        var (sink, done) = await RunAsync(path);

        AssertSampleGrid(sink, 8);                       // 2 s / 0.25 s
        Assert.Equal(112, sink.FrameSize);
        Assert.NotNull(done.Duration);
        Assert.Equal(2.0, done.Duration!.Value, 0.05);
        Assert.Empty(sink.Warnings);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_CfrClip_PicksNearestFrameAndExactDuration()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.IndexedAsync("indexed.mp4", seconds: 4, fps: 25);

        var (sink, done) = await RunAsync(path, keepPixels: true);

        AssertSampleGrid(sink, 16);                      // all k with (k + 0.5) * 0.25 < 4
        Assert.Equal(4.0, done.Duration!.Value, 0.001);
        for (int k = 0; k < sink.Count; k++)
        {
            int expected = (int)Math.Round((k + 0.5) * T * 25);   // nearest source frame (no ties at 25 fps)
            Assert.Equal(expected, ClipsFixture.FrameIndexOf(sink.Sample(k, 1, 56, 56)));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_DurationNotMultipleOfInterval_DeliversEverySampleBeforeEnd()
    {
        Prereq.RequireFfmpeg();
        // 3.9 s at 30 fps: samples at 0.125 ... 3.875 (k = 0..15) lie inside the media: ceil(3.9 / 0.25 - 0.5) = 16.
        string path = await clips.IndexedAsync("indexed-3.9.mp4", seconds: 3.9, fps: 30);

        var (sink, done) = await RunAsync(path, keepPixels: true);

        AssertSampleGrid(sink, 16);
        Assert.Equal(3.9, done.Duration!.Value, 0.001);
        Assert.Equal(116, ClipsFixture.FrameIndexOf(sink.Sample(15, 1, 56, 56))); // 3.875 s * 30 = 116.25
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_NoSampleInterval_DeliversEveryFrameWithItsPts()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.IndexedAsync("indexed.mp4", seconds: 4, fps: 25);

        var (sink, done) = await RunAsync(path, new FrameRequest(PreprocessOptions.Default with { Size = 32 }, null, 1), keepPixels: true);

        Assert.Equal(100, sink.Count);
        for (int k = 0; k < sink.Count; k++)
        {
            Assert.Equal(k * 0.04, sink.Pts[k], 9);
            Assert.Equal(k, ClipsFixture.FrameIndexOf(sink.Sample(k, 1, 16, 16)));
        }
        Assert.Equal(4.0, done.Duration!.Value, 0.001);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_StartAndDuration_KeepsAbsoluteMediaTime()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.IndexedAsync("indexed.mp4", seconds: 4, fps: 25);
        var options = SourceOptions.Default with { Start = TimeSpan.FromSeconds(1), Duration = TimeSpan.FromSeconds(2) };

        var (sink, done) = await RunAsync(path, options: options, keepPixels: true);

        AssertSampleGrid(sink, 8, start: 1);
        Assert.Equal(3.0, done.Duration!.Value, 0.001);
        Assert.Equal(28, ClipsFixture.FrameIndexOf(sink.Sample(0, 1, 56, 56))); // 1.125 s * 25 = 28.1
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_EndOption_ClipsDuration()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.IndexedAsync("indexed.mp4", seconds: 4, fps: 25);

        var (sink, done) = await RunAsync(path, options: SourceOptions.Default with { End = TimeSpan.FromSeconds(2.5) });

        AssertSampleGrid(sink, 10);
        Assert.Equal(2.5, done.Duration!.Value, 0.001);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_NonZeroStartTime_FirstFrameIsMediaTimeZero()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.IndexedAsync("indexed-offset.mkv", seconds: 2, fps: 25, "-output_ts_offset", "5");
        MediaInfo info = await MediaProbe.ProbeAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(5.0, info.StartTime, 0.05);

        var (sink, done) = await RunAsync(path, keepPixels: true);

        AssertSampleGrid(sink, 8);
        Assert.Equal(3, ClipsFixture.FrameIndexOf(sink.Sample(0, 1, 56, 56))); // 0.125 s -> frame 3
        Assert.Equal(2.0, done.Duration!.Value, 0.01);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_VariableFrameRate_DeliversMonotonicFrames()
    {
        Prereq.RequireFfmpeg();
        // 25 frames at 25 fps then 20 frames at 10 fps: 3 s of VFR video.
        string path = await clips.GetAsync("vfr.mkv", f => f.FfmpegAsync("vfr.mkv",
            "-f", "lavfi", "-i", "color=c=black:size=64x48:rate=25:duration=1.8",
            "-vf", "format=yuv420p,geq=lum='16+N':cb=128:cr=128,setpts='if(lt(N,25),N*0.04,1+(N-25)*0.1)/TB'",
            "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0"));
        MediaInfo info = await MediaProbe.ProbeAsync(path, TestContext.Current.CancellationToken);

        var (sink, done) = await RunAsync(path, keepPixels: true);

        Assert.Equal(3.0, info.Duration, 0.15);
        Assert.InRange(sink.Count, 11, 12);
        int previous = -1;
        for (int k = 0; k < sink.Count; k++)
        {
            int index = ClipsFixture.FrameIndexOf(sink.Sample(k, 1, 56, 56));
            Assert.True(index >= previous, $"frame {k} shows source frame {index} after {previous}");
            previous = index;
        }
        Assert.Equal(info.Duration, done.Duration!.Value, 0.001);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_SolidRed_TensorIsNormalisedRed()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.GetAsync("red.mp4", f => f.ColorAsync("red.mp4", "red"));

        var (sink, _) = await RunAsync(path, keepPixels: true);

        Assert.True(sink.Count >= 3);
        float[] p = sink.Pixels[1];
        int plane = 112 * 112;
        for (int i = 0; i < plane; i += 97)
        {
            Assert.InRange(p[i], 1 - 0.03f, 1.0f);
            Assert.InRange(p[plane + i], -1.0f, -1 + 0.03f);
            Assert.InRange(p[2 * plane + i], -1.0f, -1 + 0.03f);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_OddSize_Decodes()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.GetAsync("odd.mkv", f => f.TestSrcAsync("odd.mkv", 320, 240, seconds: 1, extra: ["-vf", "scale=1281:719", "-pix_fmt", "yuv444p"]));
        MediaInfo info = await MediaProbe.ProbeAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal((1281, 719), (info.Width, info.Height));

        var (sink, done) = await RunAsync(path);

        AssertSampleGrid(sink, 4);
        Assert.Equal(1.0, done.Duration!.Value, 0.01);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_TenBitHevc_Decodes()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.GetAsync("10bit.mkv", f => f.TestSrcAsync("10bit.mkv", seconds: 1, codec: "libx265", extra: ["-pix_fmt", "yuv420p10le"]));
        MediaInfo info = await MediaProbe.ProbeAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal("yuv420p10le", info.PixelFormat);
        Assert.Equal(10, info.BitDepth);

        var (sink, _) = await RunAsync(path);

        AssertSampleGrid(sink, 4);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_RotatedMp4_IsAutorotated()
    {
        Prereq.RequireFfmpeg();
        // Red left half, blue right half; a 90 degree display rotation turns that into top/bottom halves.
        string plain = await clips.GetAsync("halves.mp4", f => f.LavfiAsync("halves.mp4",
            "color=c=red:size=160x120:rate=25:duration=1,drawbox=x=80:y=0:w=80:h=120:color=blue:t=fill", "libx264"));
        string rotated = await clips.GetAsync("halves-rot.mp4", f => f.FfmpegAsync("halves-rot.mp4",
            "-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90"));
        MediaInfo info = await MediaProbe.ProbeAsync(rotated, TestContext.Current.CancellationToken);
        Assert.Equal(90, Math.Abs(info.Rotation));
        Assert.Equal((120, 160), (info.Width, info.Height));

        var (flat, _) = await RunAsync(plain, keepPixels: true);
        var (turned, _) = await RunAsync(rotated, keepPixels: true);

        // Plain: left red (R high), right blue. Rotated: top and bottom differ, left and right agree.
        Assert.True(flat.Sample(0, 0, 10, 56) > 0.8f && flat.Sample(0, 0, 100, 56) < -0.8f);
        float top = turned.Sample(0, 0, 56, 10), bottom = turned.Sample(0, 0, 56, 100);
        Assert.True(Math.Abs(top - bottom) > 1.6f, $"top {top} bottom {bottom}");
        Assert.True(Math.Abs(turned.Sample(0, 0, 10, 10) - turned.Sample(0, 0, 100, 10)) < 0.1f);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_Letterbox_PadsBlack()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.GetAsync("red.mp4", f => f.ColorAsync("red.mp4", "red"));
        var request = new FrameRequest(PreprocessOptions.Default with { Letterbox = true }, T, 1);

        var (sink, _) = await RunAsync(path, request, keepPixels: true);

        // 160x120 fitted into 112x112 is 112x84: 14 black rows above and below.
        Assert.Equal(-1f, sink.Sample(0, 0, 56, 4, 1), 0.02f);
        Assert.InRange(sink.Sample(0, 0, 56, 56), 0.97f, 1f);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_TruncatedFile_DeliversWhatItHoldsAndWarns()
    {
        Prereq.RequireFfmpeg();
        string full = await clips.GetAsync("long.mkv", f => f.TestSrcAsync("long.mkv", seconds: 6));
        string cut = clips.Factory.Truncate(full, "cut.mkv", 0.5);

        var (sink, done) = await RunAsync(cut);

        Assert.InRange(sink.Count, 4, 20);
        string warning = Assert.Single(sink.Warnings);
        Assert.Contains("truncated", warning);
        Assert.Matches(@"decoded [0-9.]+ s of 6 s", warning);
        Assert.Equal(sink.Count * T, done.Duration!.Value, 0.001);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_Cancelled_KillsFfmpeg()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.GetAsync("long.mkv", f => f.TestSrcAsync("long.mkv", seconds: 6));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var source = (Internal.FileFrameSource)_factory.Create(path, SourceOptions.Default, new FrameRequest(PreprocessOptions.Default, 0.04, 1));
        int pid = 0;
        var sink = new RecordingSink
        {
            OnFrame = async n =>
            {
                if (n != 2) return;
                pid = source.CurrentProcessId;
                await cts.CancelAsync();
            },
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => source.RunAsync(sink, cts.Token));

        Assert.NotEqual(0, pid);
        Assert.False(Tools.IsAlive(pid), $"ffmpeg {pid} survived cancellation");
        Assert.DoesNotContain(pid, Tools.ChildProcesses());
    }
}
