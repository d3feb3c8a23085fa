using System.Diagnostics;
using MediaSdk.Model;
using MediaSdk.TestSupport;

namespace MediaSdk.Tests;

/// <summary>The public API end to end: builder, real ffmpeg sources, push streams and the real encoder.</summary>
public sealed class SessionTests(ClipsFixture clips) : IClassFixture<ClipsFixture>
{
    private const int Timeout = 180_000;

    [Fact(Timeout = Timeout)]
    public async Task Session_TwoStreamsOneFailing_OtherCompletes()
    {
        Prereq.RequireFfmpeg();
        string good = await clips.FiveSecondsAsync();
        string bad = clips.Factory.WriteText("bad.mp4", "not a video");

        await using MediaSession session = new MediaSdkBuilder().UseRandomModel(1).Build();
        StreamId ok = session.AddSource(good, StreamOptions.Default with { Labels = ["a", "b"] });
        StreamId failing = session.AddSource(bad);
        session.CompleteAdding();

        var events = new List<MediaEvent>();
        await foreach (MediaEvent e in session.ReadEventsAsync(TestContext.Current.CancellationToken)) events.Add(e);

        Assert.Equal(5, events.OfType<WindowEvent>().Count(w => w.Stream == ok));
        Assert.DoesNotContain(events.OfType<WindowEvent>(), w => w.Stream == failing);
        ErrorEvent error = Assert.Single(events.OfType<ErrorEvent>());
        Assert.Equal(failing, error.Stream);
        Assert.IsAssignableFrom<MediaFormatException>(error.Error);
        Assert.Contains(events, e => e is StateEvent { State: StreamState.Failed } s && s.Stream == failing);
        Assert.Contains(events, e => e is StateEvent { State: StreamState.Ended } s && s.Stream == ok);
        Assert.All(events.OfType<WindowEvent>(), w => Assert.Equal(session.Model, w.Model));
    }

    [Fact(Timeout = Timeout)]
    public async Task Session_MissingFileAndBadScheme_ThrowSpecificExceptions()
    {
        Prereq.RequireFfmpeg();
        await using MediaSession session = new MediaSdkBuilder().UseRandomModel(1).Build();
        TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
        Assert.Throws<MediaNotFoundException>(() => session.AddSource(clips.Factory.PathOf("nope.mp4")));
        Assert.Throws<MediaNotFoundException>(() => session.AddSource(clips.Factory.Folder));
        Assert.Throws<UnsupportedSchemeException>(() => session.AddSource("gopher://127.0.0.1/x"));
    }

    private static string Closest(float[] a, (float[][] Frames, float[] Embedding)[] windows)
    {
        var best = (W: -1, F: -1, Mean: double.MaxValue);
        for (int w = 0; w < windows.Length; w++)
            for (int f = 0; f < windows[w].Frames.Length; f++)
            {
                double sum = 0;
                for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - windows[w].Frames[f][i]);
                if (sum / a.Length < best.Mean) best = (w, f, sum / a.Length);
            }
        return $"closest push frame: window {best.W} frame {best.F} mean {best.Mean:0.00000}";
    }

    public static TheoryData<string> PushFormats => ["rgb24", "yuv420p"];

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(PushFormats))]
    public async Task PushStream_SameFramesAsFile_TensorsWithinToleranceAndEmbeddingsAgree(string hostFormat)
    {
        Prereq.RequireFfmpeg();
        const int w = 1280, h = 720, fps = 25;
        string clip = await clips.GetAsync("hd.mp4", f => f.TestSrcAsync("hd.mp4", w, h, seconds: 3, fps: fps, "libx264",
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"));
        // The host decodes the file itself (here with ffmpeg) and pushes raw frames with their pts.
        string raw = clips.Factory.PathOf($"hd.{hostFormat}");
        // An RGB host converts with the stream's own matrix (BT.709 here), as a colour-correct decoder does, and
        // upsamples chroma the way the file path does (bilinear, chroma co-sited with the top-left luma sample; see FfmpegCommand.Filter): how a
        // host's own decoder interpolates chroma is outside the SDK, and other choices differ by up to ~0.3 at edges.
        string[] convert = hostFormat == "rgb24" ? ["-vf", "scale=in_color_matrix=bt709:in_range=tv:in_h_chr_pos=0:in_v_chr_pos=0:flags=bilinear+accurate_rnd+full_chroma_int"] : [];
        var (code, _, err) = await Tools.RunAsync("ffmpeg", ["-y", "-hide_banner", "-loglevel", "error", "-i", clip, .. convert, "-f", "rawvideo", "-pix_fmt", hostFormat, raw], TestContext.Current.CancellationToken);
        Assert.True(code == 0, err);

        var encoder = new CapturingEncoder(BtokEncoder.CreateRandom(MediaSdkBuilder.RandomModelConfig(2), 2));
        await using MediaSession session = new MediaSdkBuilder().UseEncoder(encoder).Build();
        session.AddSource(clip);
        // Collect the file's windows first, so the capture order says which stream each window came from.
        var fileEvents = new List<WindowEvent>();
        var reader = session.ReadEventsAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        while (await reader.MoveNextAsync() && reader.Current is not StateEvent { State: StreamState.Ended })
            if (reader.Current is WindowEvent we) fileEvents.Add(we);
        var fileWindows = encoder.Windows.ToArray();
        encoder.Windows.Clear();

        PushStream push = session.AddPushStream();
        session.CompleteAdding();
        int frameBytes = hostFormat == "rgb24" ? w * h * 3 : w * h * 3 / 2;
        byte[] all = await File.ReadAllBytesAsync(raw, TestContext.Current.CancellationToken);
        for (int i = 0; i * frameBytes < all.Length; i++)
        {
            var view = hostFormat == "rgb24"
                ? new FrameView(all.AsSpan(i * frameBytes, frameBytes), w, h, PixelFormat.Rgb24)
                : new FrameView(all.AsSpan(i * frameBytes, frameBytes), w, h, PixelFormat.I420, matrix: ColorMatrix.Bt709);
            await push.PushAsync(view, TimeSpan.FromSeconds(i / (double)fps), TestContext.Current.CancellationToken);
        }
        push.Complete();
        var pushEvents = new List<WindowEvent>();
        while (await reader.MoveNextAsync())
            if (reader.Current is WindowEvent we && we.Stream == push.Id) pushEvents.Add(we);
        await reader.DisposeAsync();
        var pushWindows = encoder.Windows.ToArray();

        Assert.True(pushWindows.Length >= 2, $"push produced {pushWindows.Length} windows");
        double worstMax = 0, worstMean = 0;
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(fileEvents[k].Start, pushEvents[k].Start);
            for (int f = 0; f < 8; f++)
            {
                float[] a = fileWindows[k].Frames[f], b = pushWindows[k].Frames[f];
                double max = 0, sum = 0;
                for (int i = 0; i < a.Length; i++)
                {
                    double d = Math.Abs(a[i] - b[i]);
                    max = Math.Max(max, d);
                    sum += d;
                }
                Assert.True(max <= 0.02 && sum / a.Length <= 0.005, $"window {k} frame {f}: max {max:0.0000}, mean {sum / a.Length:0.00000}; {Closest(a, pushWindows)}");
                worstMax = Math.Max(worstMax, max);
                worstMean = Math.Max(worstMean, sum / a.Length);
            }
            double cos = 0;
            for (int i = 0; i < fileWindows[k].Embedding.Length; i++) cos += fileWindows[k].Embedding[i] * pushWindows[k].Embedding[i];
            Assert.True(cos >= 0.99, $"window {k}: cosine {cos:0.0000}");
        }
        TestContext.Current.SendDiagnosticMessage($"{hostFormat}: worst frame max {worstMax:0.0000}, worst frame mean {worstMean:0.00000}");
    }
}
