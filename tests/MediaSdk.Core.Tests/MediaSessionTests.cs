using System.Collections.Immutable;

namespace MediaSdk.Core.Tests;

/// <summary>Pushed frames are preprocessed by a trivial real preprocessor: fills the tensor with the first byte.</summary>
internal sealed class FillPreprocessor : Contracts.IFramePreprocessor
{
    public void Preprocess(in FrameView frame, PreprocessOptions options, Span<float> destination) => destination.Fill(frame.Data[0]);
}

[Collection("Leaks")]
public sealed class MediaSessionTests
{
    private static async Task<List<MediaEvent>> ReadAllAsync(MediaSession s, CancellationToken ct)
    {
        var list = new List<MediaEvent>();
        await foreach (MediaEvent e in s.ReadEventsAsync(ct)) list.Add(e);
        return list;
    }

    [Fact(Timeout = 20_000)]
    public async Task ReadEvents_OneStreamThrows_OtherCompletesAllWindows()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        long before = PooledFrame.Outstanding;
        using var enc = new AveragingEncoder();
        await using (var session = new MediaSession(enc, null, new FillPreprocessor()))
        {
            StreamId good = session.AddSource(new SyntheticSource("clip", SyntheticSource.Fps(10, 5), 5.0));
            StreamId bad = session.AddSource(new SyntheticSource("clip", SyntheticSource.Fps(10, 5), 5.0, failAfter: new MediaFormatException("corrupt")));
            Assert.Equal("clip-2", bad.Value);
            session.CompleteAdding();
            List<MediaEvent> events = await ReadAllAsync(session, ct);
            Assert.Equal(5, events.OfType<WindowEvent>().Count(e => e.Stream == good)); // 4 full + 1 partial
            Assert.Contains(events, e => e is StateEvent { State: StreamState.Ended } se && se.Stream == good);
            ErrorEvent err = Assert.Single(events.OfType<ErrorEvent>());
            Assert.Equal(bad, err.Stream);
            Assert.IsType<MediaFormatException>(err.Error);
            Assert.Contains(events, e => e is StateEvent { State: StreamState.Failed } se && se.Stream == bad);
            Assert.Equal(5, session.GetStats(good).WindowsEncoded);
        }
        Assert.Equal(before, PooledFrame.Outstanding);
    }

    [Fact(Timeout = 20_000)]
    public async Task ReadEvents_TwoFileStreams_InterleaveRoundRobin()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var enc = new AveragingEncoder(delayMs: 5);
        await using var session = new MediaSession(enc, null, new FillPreprocessor(), new MediaSessionOptions { MaxQueuedWindows = 2 });
        StreamId a = session.AddSource(new SyntheticSource("a", SyntheticSource.Fps(10, 12), 12.0));
        StreamId b = session.AddSource(new SyntheticSource("b", SyntheticSource.Fps(10, 12), 12.0));
        session.CompleteAdding();
        List<WindowEvent> w = (await ReadAllAsync(session, ct)).OfType<WindowEvent>().ToList();
        Assert.Equal(24, w.Count);
        // Fair: in every prefix, neither stream is ahead of the other by more than the queue depth allows.
        int da = 0, db = 0, maxGap = 0;
        foreach (WindowEvent e in w) { if (e.Stream == a) da++; else db++; maxGap = Math.Max(maxGap, Math.Abs(da - db)); }
        Assert.True(maxGap <= 3, $"max gap {maxGap}");
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), w.Where(e => e.Stream == a).Select(e => e.Index));
    }

    [Fact(Timeout = 30_000)]
    public async Task ReadEvents_FileWithSlowEncoder_NoDropsAllWindows()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var enc = new AveragingEncoder(delayMs: 30);
        await using var session = new MediaSession(enc, null, new FillPreprocessor(), new MediaSessionOptions { MaxQueuedWindows = 1, MaxQueuedFrames = 4 });
        StreamId s = session.AddSource(new SyntheticSource("f", SyntheticSource.Fps(25, 10), 10.0));
        session.CompleteAdding();
        List<MediaEvent> events = await ReadAllAsync(session, ct);
        Assert.Equal(10, events.OfType<WindowEvent>().Count());
        Assert.Equal(0, session.GetStats(s).WindowsDropped);
        Assert.Empty(events.OfType<WarningEvent>());
    }

    [Fact(Timeout = 30_000)]
    public async Task ReadEvents_LiveWithSlowEncoder_DropsAndLatencyStaysBounded()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        // 4 windows per second of media (hop 0.25 s) vs 400 ms per window: the encoder handles 2.5 per second.
        var window = new WindowOptions { Length = TimeSpan.FromSeconds(1), Hop = TimeSpan.FromSeconds(0.25), FramesPerWindow = 4 };
        using var enc = new AveragingEncoder(delayMs: 400);
        await using var session = new MediaSession(enc, null, new FillPreprocessor(), new MediaSessionOptions { MaxQueuedWindows = 2 });
        StreamId s = session.AddSource(new SyntheticSource("cam", SyntheticSource.Fps(20, 6), null, live: true, realTime: true), new StreamOptions { Window = window });
        session.CompleteAdding();
        List<MediaEvent> events = await ReadAllAsync(session, ct);
        StreamStats stats = session.GetStats(s);
        Assert.True(stats.WindowsDropped > 0, "expected drops");
        Assert.Contains(events, e => e is WarningEvent);
        double maxLatency = events.OfType<WindowEvent>().Max(e => e.LatencyMs);
        Assert.True(maxLatency < 3000, $"latency grew to {maxLatency} ms");
        Assert.Equal(stats.WindowsEncoded + stats.WindowsDropped, events.OfType<WindowEvent>().Count() + stats.WindowsDropped);
    }

    [Theory(Timeout = 20_000)]
    [InlineData(null, "moving left")]
    [InlineData("a video of {0}", "a video of moving left")]
    public async Task Labels_EmbeddedAsTheModelWasTrained_PlainUnlessAPromptIsSet(string? prompt, string embedded)
    {
        // The default model learnt plain label texts ("moving left"); a wrapper it never saw flattened every tag.
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var encoder = new AveragingEncoder();
        await using (var session = new MediaSession(encoder, null, new FillPreprocessor()))
        {
            var options = new StreamOptions { Name = "x", Labels = ["moving left"] };
            session.AddSource(new SyntheticSource("x", [.. SyntheticSource.Fps(12, 2.5)], null),
                prompt is null ? options : options with { LabelPrompt = prompt });
            session.CompleteAdding();
            await ReadAllAsync(session, ct);
        }
        Assert.Equal([embedded], encoder.Texts);
    }

    [Fact(Timeout = 20_000)]
    public async Task PushStream_SameFrames_SameWindowsAsSource()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        double[] pts = [.. SyntheticSource.Fps(12, 4.6)];
        using var enc1 = new AveragingEncoder();
        List<WindowEvent> viaSource;
        await using (var s1 = new MediaSession(enc1, null, new FillPreprocessor()))
        {
            s1.AddSource(new SyntheticSource("x", pts, null));
            s1.CompleteAdding();
            viaSource = (await ReadAllAsync(s1, ct)).OfType<WindowEvent>().ToList();
        }
        using var enc2 = new AveragingEncoder();
        List<WindowEvent> viaPush;
        await using (var s2 = new MediaSession(enc2, null, new FillPreprocessor()))
        {
            PushStream push = s2.AddPushStream(new StreamOptions { Name = "x", Labels = ["a", "bb"] });
            s2.CompleteAdding();
            Task<List<MediaEvent>> reader = ReadAllAsync(s2, ct);
            byte[] px = new byte[4 * 4 * 3];
            foreach (double t in pts)
            {
                // SyntheticSource fills with pts; FillPreprocessor fills with the first byte: use pts*10 in both scales.
                px[0] = (byte)Math.Round(t * 10);
                await push.PushAsync(new FrameView(px, 4, 4, PixelFormat.Rgb24), TimeSpan.FromSeconds(t), ct);
            }
            push.Complete();
            viaPush = (await reader).OfType<WindowEvent>().ToList();
        }
        Assert.Equal(viaSource.Select(w => (w.Index, w.Start, w.Partial)), viaPush.Select(w => (w.Index, w.Start, w.Partial)));
        Assert.Equal(4, viaPush.Count); // 3 full + partial [3,5) covering 1.6 s (duration 4.5 + 1/12)
        Assert.All(viaPush, w => Assert.Equal(2, w.Tags.Length));
        Assert.All(viaPush, w => Assert.True(w.Tags[0].Score >= w.Tags[1].Score));
    }

    [Fact(Timeout = 20_000)]
    public async Task DisposeAsync_MidStream_CancelsSourcesAndLeaksNothing()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        long before = PooledFrame.Outstanding;
        using var enc = new AveragingEncoder(delayMs: 20);
        var session = new MediaSession(enc, null, new FillPreprocessor());
        session.AddSource(new SyntheticSource("live", SyntheticSource.Fps(25, 60), null, live: true, realTime: true));
        session.AddSource(new SyntheticSource("file", SyntheticSource.Fps(25, 600), 600));
        int windows = 0;
        await foreach (MediaEvent e in session.ReadEventsAsync(ct))
        {
            if (e is WindowEvent && ++windows == 3) break;
        }
        await session.DisposeAsync();
        Assert.Equal(before, PooledFrame.Outstanding);
    }

    [Fact(Timeout = 20_000)]
    public async Task ReadEvents_Cancelled_StopsEnumeration()
    {
        using var enc = new AveragingEncoder();
        await using var session = new MediaSession(enc, null, new FillPreprocessor());
        session.AddSource(new SyntheticSource("live", SyntheticSource.Fps(25, 60), null, live: true, realTime: true));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(500);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (MediaEvent _ in session.ReadEventsAsync(cts.Token)) { }
        });
    }

    [Fact]
    public async Task AddSource_NoFactory_ThrowsClearError()
    {
        using var enc = new AveragingEncoder();
        await using var session = new MediaSession(enc, null, new FillPreprocessor());
        var ex = Assert.Throws<InvalidOperationException>(() => session.AddSource("a.mp4"));
        Assert.Contains("IFrameSourceFactory", ex.Message, StringComparison.Ordinal);
    }
}
