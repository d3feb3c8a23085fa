using System.Diagnostics;
using MediaSdk.Contracts;
using MediaSdk.TestSupport;

namespace MediaSdk.Media.Tests;

[Collection("Live")]
public sealed class LiveSourceTests
{
    private const double T = 0.25;
    private static readonly FrameRequest Request = new(PreprocessOptions.Default, T, 1);
    private readonly FfmpegSourceFactory _factory = new();

    /// <summary>Runs the source in the background; returns the running task and the sink.</summary>
    private (Task<SourceCompletion> Run, RecordingSink Sink, IFrameSource Source) Start(string url, SourceOptions options, CancellationToken ct)
    {
        IFrameSource source = _factory.Create(url, options, Request);
        var sink = new RecordingSink();
        return (Task.Run(() => source.RunAsync(sink, ct), ct), sink, source);
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, double seconds)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed.TotalSeconds > seconds) return false;
            await Task.Delay(50);
        }
        return true;
    }

    private static void AssertIncreasing(RecordingSink sink)
    {
        List<double> pts = sink.Pts;
        for (int i = 1; i < pts.Count; i++) Assert.True(pts[i] > pts[i - 1], $"pts {pts[i]} after {pts[i - 1]}");
    }

    private static async Task CancelAndAssertNoFfmpegAsync(CancellationTokenSource cts, Task run, int pid)
    {
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.NotEqual(0, pid);
        Assert.False(Tools.IsAlive(pid), $"ffmpeg {pid} survived cancellation");
        Assert.DoesNotContain(pid, Tools.ChildProcesses());
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_TcpStream_KeepsPaceAndCancelsCleanly()
    {
        Prereq.RequireFfmpeg();
        int port = Tools.FreeTcpPort();
        using var server = LiveStreamServer.StartTcp(port);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var (run, sink, source) = Start(server.Url, SourceOptions.Default, cts.Token);

        var sw = Stopwatch.StartNew();
        Assert.True(await WaitUntilAsync(() => sink.Count > 0, 8), "no first frame within 8 s");
        double firstFrameAt = sw.Elapsed.TotalSeconds;
        await Task.Delay(6000, TestContext.Current.CancellationToken);

        Assert.True(sink.LastPts >= 4.0, $"pts advanced only to {sink.LastPts} in 6 s (first frame after {firstFrameAt:0.00} s)");
        Assert.Equal(0.5 * T, sink.Pts[0], 9);
        AssertIncreasing(sink);
        Assert.Equal([StreamState.Connecting, StreamState.Live], sink.States);
        Assert.True(source.IsLive);
        await CancelAndAssertNoFfmpegAsync(cts, run, ((Internal.LiveFrameSource)source).CurrentProcessId);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_ServerRestarts_ReconnectsWithDiscontinuityAndIncreasingPts()
    {
        Prereq.RequireFfmpeg();
        int port = Tools.FreeTcpPort();
        var server = LiveStreamServer.StartTcp(port);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var (run, sink, source) = Start(server.Url, SourceOptions.Default, cts.Token);
        try
        {
            Assert.True(await WaitUntilAsync(() => sink.Count >= 4, 8), "not live within 8 s");
            server.Kill();
            server.Dispose();
            Assert.True(await WaitUntilAsync(() => sink.States.Contains(StreamState.Reconnecting), 8), "no Reconnecting state");
            int before = sink.Count;
            double ptsBefore = sink.LastPts;
            await Task.Delay(1000, TestContext.Current.CancellationToken);
            server = LiveStreamServer.StartTcp(port);
            Assert.True(await WaitUntilAsync(() => sink.Count >= before + 4, 15), "no frames after the server restarted");

            Assert.Equal(1, sink.Discontinuities);
            Assert.Equal([StreamState.Connecting, StreamState.Live, StreamState.Reconnecting, StreamState.Live], sink.States);
            AssertIncreasing(sink);
            // After the gap, media time follows the wall clock (>= 1 s outage), on the sample grid.
            double resumed = sink.Pts[before];
            Assert.True(resumed - ptsBefore >= 1.0, $"resumed at {resumed} after {ptsBefore}");
            Assert.Equal(0, (resumed - 0.5 * T) / T % 1, 6);
            await CancelAndAssertNoFfmpegAsync(cts, run, ((Internal.LiveFrameSource)source).CurrentProcessId);
        }
        finally
        {
            server.Dispose();
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_UdpStream_ListensAndReceives()
    {
        Prereq.RequireFfmpeg();
        int port = Tools.FreeUdpPort();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var (run, sink, source) = Start($"udp://127.0.0.1:{port}", SourceOptions.Default, cts.Token);
        await Task.Delay(300, TestContext.Current.CancellationToken); // let ffmpeg bind before the sender starts
        using var server = LiveStreamServer.StartUdp(port);

        Assert.True(await WaitUntilAsync(() => sink.Count > 0, 8), "no first frame within 8 s");
        int first = sink.Count;
        await Task.Delay(4000, TestContext.Current.CancellationToken);

        Assert.True(sink.LastPts >= 2.5, $"pts advanced only to {sink.LastPts} in 4 s");
        Assert.True(sink.Count - first >= 10);
        AssertIncreasing(sink);
        await CancelAndAssertNoFfmpegAsync(cts, run, ((Internal.LiveFrameSource)source).CurrentProcessId);
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_HlsOverLoopbackHttp_Receives()
    {
        Prereq.RequireFfmpeg();
        using var clips = new ClipFactory();
        string folder = Path.Combine(clips.Folder, "hls");
        using var server = LiveStreamServer.StartHls(folder);
        using var http = new StaticHttpServer(folder);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var options = SourceOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(20) };
        var (run, sink, source) = Start(http.UrlOf("live.m3u8"), options, cts.Token);

        Assert.True(source.IsLive);
        Assert.True(await WaitUntilAsync(() => sink.Count > 0, 20), "no first frame from HLS within 20 s: " + string.Join(" / ", sink.Log));
        await Task.Delay(4000, TestContext.Current.CancellationToken);

        Assert.True(sink.LastPts >= 2.5, $"pts advanced only to {sink.LastPts} in 4 s");
        AssertIncreasing(sink);
        await CancelAndAssertNoFfmpegAsync(cts, run, ((Internal.LiveFrameSource)source).CurrentProcessId);
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_ClosedPort_ThrowsUnreachableAfterConnectTimeout()
    {
        Prereq.RequireFfmpeg();
        int port = Tools.FreeTcpPort();
        var options = SourceOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(2) };
        IFrameSource source = _factory.Create($"tcp://127.0.0.1:{port}", options, Request);
        var sink = new RecordingSink();

        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<MediaUnreachableException>(() => source.RunAsync(sink, TestContext.Current.CancellationToken));
        sw.Stop();

        Assert.InRange(sw.Elapsed.TotalSeconds, 1.5, 8);
        Assert.Contains($"127.0.0.1:{port}", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Equal([StreamState.Connecting], sink.States);
        Assert.Equal(0, sink.Count);
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_LiveDuration_EndsNormally()
    {
        Prereq.RequireFfmpeg();
        int port = Tools.FreeTcpPort();
        using var server = LiveStreamServer.StartTcp(port);
        var options = SourceOptions.Default with { Duration = TimeSpan.FromSeconds(2) };
        IFrameSource source = _factory.Create(server.Url, options, Request);
        var sink = new RecordingSink();

        SourceCompletion done = await source.RunAsync(sink, TestContext.Current.CancellationToken);

        Assert.Equal(2.0, done.Duration);
        Assert.Equal(8, sink.Count);
        Assert.Equal(1.875, sink.LastPts, 9);
        Assert.Equal(0, PooledFrame.Outstanding); // the Live collection runs alone, so the process-wide count is ours
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_HlsPlaylistPointingAtLocalFile_CannotReadIt()
    {
        Prereq.RequireFfmpeg();
        using var clips = new ClipFactory();
        string local = await clips.TestSrcAsync("secret.ts", seconds: 2);
        string folder = Path.Combine(clips.Folder, "evil");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "evil.m3u8"),
            $"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\nfile://{local}\n#EXT-X-ENDLIST\n");
        using var http = new StaticHttpServer(folder);
        var options = SourceOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(2) };
        IFrameSource source = _factory.Create(http.UrlOf("evil.m3u8"), options, Request);
        var sink = new RecordingSink();

        var ex = await Assert.ThrowsAsync<MediaUnreachableException>(() => source.RunAsync(sink, TestContext.Current.CancellationToken));

        Assert.Equal(0, sink.Count);
        // ffmpeg refused the file: segment under the whitelist MediaSdk passed (not only its own HLS default).
        Assert.True(ex.Message.Contains("not on whitelist 'http,https,tcp,tls,crypto'", StringComparison.Ordinal), ex.Message);
    }

    [Fact(Timeout = 40_000)]
    public async Task RunAsync_SenderStallsThenStaysAway_ReconnectingThenUnreachableAfterReconnectFor()
    {
        Prereq.RequireFfmpeg();
        int port = Tools.FreeTcpPort();
        using var server = LiveStreamServer.StartTcp(port);
        var options = SourceOptions.Default with { StallTimeout = TimeSpan.FromSeconds(1.5), ReconnectFor = TimeSpan.FromSeconds(2) };
        IFrameSource source = _factory.Create(server.Url, options, Request);
        var sink = new RecordingSink();
        Task<SourceCompletion> run = Task.Run(() => source.RunAsync(sink, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);

        Assert.True(await WaitUntilAsync(() => sink.Count >= 2, 8), "not live within 8 s");
        // Freeze the sender: the connection stays open but no data flows, which only the stall timeout can detect.
        var (code, _, _) = await Tools.RunAsync("kill", ["-STOP", server.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            TestContext.Current.CancellationToken);
        Assert.Equal(0, code);
        var sw = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<MediaUnreachableException>(() => run);

        Assert.InRange(sw.Elapsed.TotalSeconds, 2.5, 12);   // ~1.5 s stall + ~2 s of reconnecting (+ a buffered tail)
        Assert.Equal([StreamState.Connecting, StreamState.Live, StreamState.Reconnecting], sink.States);
        Assert.Contains("no data for 1.5 s", sink.Log.First(l => l.StartsWith("state Reconnecting", StringComparison.Ordinal)));
        Assert.Contains(server.Url, ex.Message);
    }
}
