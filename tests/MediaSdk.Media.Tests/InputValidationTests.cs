using MediaSdk.Contracts;
using MediaSdk.Media.Internal;
using MediaSdk.TestSupport;

namespace MediaSdk.Media.Tests;

public sealed class InputValidationTests(ClipsFixture clips) : IClassFixture<ClipsFixture>
{
    private static readonly FrameRequest Request = new(PreprocessOptions.Default, 0.25, 1);
    private readonly FfmpegSourceFactory _factory = new();

    [Fact(Timeout = 10_000)]
    public void Create_MissingFile_ThrowsMediaNotFound()
    {
        Prereq.RequireFfmpeg();
        var ex = Assert.Throws<MediaNotFoundException>(() => _factory.Create(clips.Factory.PathOf("nope.mp4"), SourceOptions.Default, Request));
        Assert.Contains("nope.mp4", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact(Timeout = 10_000)]
    public void Create_Directory_ThrowsMediaNotFound()
    {
        Prereq.RequireFfmpeg();
        var ex = Assert.Throws<MediaNotFoundException>(() => _factory.Create(clips.Factory.Folder, SourceOptions.Default, Request));
        Assert.Contains("directory", ex.Message);
    }

    [Theory(Timeout = 10_000)]
    [InlineData("gopher://example.com/x")]
    [InlineData("concat:a.mp4|b.mp4")]
    [InlineData("subfile:,start,0,end,100,:/etc/passwd")]
    [InlineData("data:video/mp4;base64,AAAA")]
    [InlineData("ftp://127.0.0.1/a.mp4")]
    public void Create_SchemeNotAllowed_ThrowsUnsupportedScheme(string input)
    {
        Prereq.RequireFfmpeg();
        var ex = Assert.Throws<UnsupportedSchemeException>(() => _factory.Create(input, SourceOptions.Default, Request));
        Assert.Contains("not allowed", ex.Message);
    }

    [Theory(Timeout = 10_000)]
    [InlineData("tcp://127.0.0.1:1234", true, "tcp")]
    [InlineData("udp://127.0.0.1:1234", true, "udp")]
    [InlineData("rtsp://cam.local/stream", true, "rtsp,rtp,udp,tcp")]
    [InlineData("http://127.0.0.1:8080/live.m3u8", true, "http,https,tcp,tls,crypto")]
    [InlineData("https://example.com/video.mp4", false, "https,http,tcp,tls")]
    public void Parse_AllowedUrl_LiveFlagAndWhitelistMatchScheme(string url, bool live, string whitelist)
    {
        MediaInput input = MediaInput.Parse(url);
        Assert.Equal(live, input.IsLiveByDefault);
        Assert.Equal(whitelist, input.ProtocolWhitelist);
        Assert.DoesNotContain("file", input.ProtocolWhitelist);
    }

    [Fact(Timeout = 10_000)]
    public void Create_LiveOverride_ControlsIsLive()
    {
        Prereq.RequireFfmpeg();
        Assert.True(_factory.Create("tcp://127.0.0.1:9", SourceOptions.Default, Request).IsLive);
        Assert.False(_factory.Create("https://example.com/v.mp4", SourceOptions.Default, Request).IsLive);
        Assert.True(_factory.Create("https://example.com/v.mp4", SourceOptions.Default with { Live = true }, Request).IsLive);
    }

    [Fact(Timeout = 10_000)]
    public void Create_FfmpegMissing_ThrowsDependencyMissingWithInstallHint()
    {
        var factory = new FfmpegSourceFactory(new FfmpegOptions { BinaryFolder = clips.Factory.Folder });
        string file = clips.Factory.WriteText("any.mp4", "x");
        var ex = Assert.Throws<DependencyMissingException>(() => factory.Create(file, SourceOptions.Default, Request));
        Assert.Contains("apt-get install ffmpeg", ex.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task ProbeAsync_EmptyFile_ThrowsMediaFormat()
    {
        Prereq.RequireFfmpeg();
        string path = clips.Factory.WriteText("empty.mp4", "");
        var ex = await Assert.ThrowsAsync<MediaFormatException>(() => MediaProbe.ProbeAsync(path, TestContext.Current.CancellationToken));
        Assert.Contains("empty.mp4", ex.Message);
        await Assert.ThrowsAsync<MediaFormatException>(() =>
            _factory.Create(path, SourceOptions.Default, Request).RunAsync(new RecordingSink(), TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = 30_000)]
    public async Task ProbeAsync_TextFileNamedMp4_ThrowsMediaFormat()
    {
        Prereq.RequireFfmpeg();
        string path = clips.Factory.WriteText("notes.mp4", "this is not a video\n");
        var ex = await Assert.ThrowsAsync<MediaFormatException>(() => MediaProbe.ProbeAsync(path, TestContext.Current.CancellationToken));
        Assert.IsNotType<NoVideoStreamException>(ex);
        Assert.Contains("notes.mp4", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_AudioOnly_ThrowsNoVideoStream()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.Factory.AudioOnlyAsync("sine.m4a");
        var ex = await Assert.ThrowsAsync<NoVideoStreamException>(() =>
            _factory.Create(path, SourceOptions.Default, Request).RunAsync(new RecordingSink(), TestContext.Current.CancellationToken));
        Assert.Contains("sine.m4a", ex.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task ProbeAsync_H264Clip_ReportsProperties()
    {
        Prereq.RequireFfmpeg();
        string path = await clips.GetAsync("p.mp4", f => f.TestSrcAsync("p.mp4", 320, 240, seconds: 2, fps: 30));
        MediaInfo info = await MediaProbe.ProbeAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal((320, 240, "h264", "yuv420p", 0), (info.Width, info.Height, info.Codec, info.PixelFormat, info.Rotation));
        Assert.Equal(2.0, info.Duration, 0.001);
        Assert.Equal(30, info.Fps, 0.01);
        Assert.True(info.HasVideo);
    }

    [Fact(Timeout = 10_000)]
    public void ToChw_RgbBytes_NormalisedPlanesWithoutAllocation()
    {
        byte[] rgb = [255, 0, 128, 0, 255, 64];
        var chw = new float[6];
        FrameConverter.ToChw(rgb, chw); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        FrameConverter.ToChw(rgb, chw);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal([1f, -1f, -1f, 1f, (128 / 255f - 0.5f) / 0.5f, (64 / 255f - 0.5f) / 0.5f], chw);
    }
}
