using MediaSdk.Contracts;
using MediaSdk.Media.Internal;

namespace MediaSdk.Media.Tests;

public sealed class FfmpegCommandTests
{
    private static int IndexAfter(List<string> args, string flag) => args.IndexOf(flag) + 1;

    [Fact]
    public void Build_FileWithOptions_MapsStartDurationHwAccelAndThreads()
    {
        string path = Path.GetTempFileName();
        try
        {
            MediaInput input = MediaInput.Parse(path);
            var options = SourceOptions.Default with { HwAccel = "vaapi", Start = TimeSpan.FromSeconds(10) };
            var request = new FrameRequest(PreprocessOptions.Default, 0.25, 3);

            List<string> args = FfmpegCommand.Build(input, options, request, "null", 10, 5, 20, live: false);

            Assert.Equal("vaapi", args[IndexAfter(args, "-hwaccel")]);
            Assert.Equal("3", args[IndexAfter(args, "-threads")]);
            Assert.Equal("3", args[IndexAfter(args, "-filter_threads")]);
            Assert.Equal("10", args[IndexAfter(args, "-ss")]);
            Assert.Equal("5", args[IndexAfter(args, "-t")]);
            Assert.Equal("20", args[IndexAfter(args, "-frames:v")]);
            Assert.Equal("file", args[IndexAfter(args, "-protocol_whitelist")]);
            Assert.True(args.IndexOf("-ss") < args.IndexOf("-i"), "input seeking: -ss before -i");
            Assert.True(args.IndexOf("-hwaccel") < args.IndexOf("-i"));
            Assert.DoesNotContain("-probesize", args);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Build_LiveUrl_ProbesMinimallyWithSchemeWhitelist()
    {
        MediaInput input = MediaInput.Parse("tcp://127.0.0.1:5000");
        List<string> args = FfmpegCommand.Build(input, SourceOptions.Default, new FrameRequest(PreprocessOptions.Default, 0.25, 1), "null",
            null, null, null, live: true);

        Assert.Equal("32", args[IndexAfter(args, "-probesize")]);
        Assert.Equal("0", args[IndexAfter(args, "-analyzeduration")]);
        Assert.Equal("tcp", args[IndexAfter(args, "-protocol_whitelist")]);
        Assert.DoesNotContain("-hwaccel", args);
        Assert.DoesNotContain("-ss", args);
    }

    [Theory]
    [InlineData(null, 720, "bt709")]
    [InlineData(null, 480, "bt601")]
    [InlineData("smpte170m", 1080, "bt601")]
    [InlineData("bt709", 480, "bt709")]
    [InlineData("bt2020nc", 2160, "bt2020")]
    public void Matrix_ProbedOrUnknown_FollowsMetadataThenHeight(string? space, int height, string expected) =>
        Assert.Equal(expected, FfmpegCommand.Matrix(space, height));

    [Fact]
    public void Filter_Sampled_ShiftsHalfFrameThenFpsThenColourThenAreaCrop()
    {
        string f = FfmpegCommand.Filter(PreprocessOptions.Default, 0.25, 0.02, padEnd: true, "bt601", "tv");
        Assert.Equal(
            "setpts=PTS-STARTPTS-0.02/TB,tpad=stop_mode=clone:stop_duration=0.25,fps=fps=4:start_time=0:round=near," +
            "scale=in_color_matrix=bt601:in_range=tv:in_h_chr_pos=0:in_v_chr_pos=0:flags=bilinear+accurate_rnd+full_chroma_int,format=rgb24," +
            "scale=w='if(gte(iw,ih),-1,112)':h='if(gte(iw,ih),112,-1)':flags=area+full_chroma_inp+full_chroma_int,crop=112:112", f);
    }
}
