using System.Globalization;
using MediaSdk.Media.Internal;

namespace MediaSdk.Gpu.Tests;

/// <summary>
/// Proves the CPU preprocessor (push path) agrees with the exact filter chain the ffmpeg sources run
/// (<see cref="FfmpegCommand.Filter"/>) on the same raw frame, within ARCHITECTURE.md's tolerance.
/// </summary>
public sealed class CpuFramePreprocessorFfmpegTests
{
    /// <summary>width, height, format, matrix, range, size, letterbox.</summary>
    public static TheoryData<int, int, PixelFormat, ColorMatrix, ColorRange, int, bool> Cases => new()
    {
        // I420, limited range: BT.709 (Auto above 576 lines) and BT.601, even and odd sizes.
        { 1280, 720, PixelFormat.I420, ColorMatrix.Auto, ColorRange.Limited, 112, false },
        { 854, 480, PixelFormat.I420, ColorMatrix.Bt709, ColorRange.Limited, 64, false },
        { 640, 480, PixelFormat.I420, ColorMatrix.Auto, ColorRange.Limited, 112, false },
        { 1281, 719, PixelFormat.I420, ColorMatrix.Auto, ColorRange.Limited, 112, false },
        { 1281, 719, PixelFormat.I420, ColorMatrix.Bt601, ColorRange.Limited, 224, false },
        { 333, 250, PixelFormat.I420, ColorMatrix.Bt601, ColorRange.Limited, 64, false },
        { 480, 641, PixelFormat.I420, ColorMatrix.Auto, ColorRange.Limited, 112, false },
        // NV12, limited range.
        { 1280, 720, PixelFormat.Nv12, ColorMatrix.Bt709, ColorRange.Limited, 112, false },
        { 640, 480, PixelFormat.Nv12, ColorMatrix.Auto, ColorRange.Limited, 112, false },
        { 1281, 719, PixelFormat.Nv12, ColorMatrix.Auto, ColorRange.Limited, 112, false },
        { 333, 250, PixelFormat.Nv12, ColorMatrix.Bt709, ColorRange.Limited, 64, false },
        // Full range.
        { 640, 480, PixelFormat.I420, ColorMatrix.Bt709, ColorRange.Full, 112, false },
        { 1281, 719, PixelFormat.I420, ColorMatrix.Bt601, ColorRange.Full, 96, false },
        { 333, 250, PixelFormat.Nv12, ColorMatrix.Bt601, ColorRange.Full, 64, false },
        // Letterbox.
        { 1281, 719, PixelFormat.I420, ColorMatrix.Auto, ColorRange.Limited, 112, true },
        { 333, 250, PixelFormat.Nv12, ColorMatrix.Bt601, ColorRange.Limited, 64, true },
        // RGB input (the first scale only converts to rgb24).
        { 1281, 719, PixelFormat.Rgb24, ColorMatrix.Auto, ColorRange.Limited, 112, false },
        { 640, 480, PixelFormat.Rgb24, ColorMatrix.Auto, ColorRange.Limited, 112, false },
        { 640, 480, PixelFormat.Rgba32, ColorMatrix.Auto, ColorRange.Limited, 112, false },
        { 333, 250, PixelFormat.Bgra32, ColorMatrix.Auto, ColorRange.Limited, 64, false },
        { 1281, 719, PixelFormat.Rgb24, ColorMatrix.Auto, ColorRange.Limited, 96, false },
    };

    /// <summary>testsrc2 turned upside down: its colour bars then meet the bottom edge, where swscale's vertical chroma
    /// filter has its own edge rule (see CpuFramePreprocessor.ConvertRow).</summary>
    public static TheoryData<int, int, PixelFormat, ColorMatrix, ColorRange, int, bool> FlippedCases => new()
    {
        { 1280, 720, PixelFormat.I420, ColorMatrix.Auto, ColorRange.Limited, 112, true },
        { 640, 480, PixelFormat.Nv12, ColorMatrix.Auto, ColorRange.Limited, 112, false },
        { 333, 250, PixelFormat.I420, ColorMatrix.Bt709, ColorRange.Full, 64, true },
    };

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Cases))]
    public async Task Preprocess_SameFrameAsFfmpegSourceChain_WithinTolerance(int width, int height, PixelFormat format, ColorMatrix matrix, ColorRange range, int size, bool letterbox)
    {
        (double max, double mean) = await CompareAsync(width, height, format, matrix, range, size, letterbox, flip: false, TestContext.Current.CancellationToken);
        Assert.True(max <= 0.02, string.Create(CultureInfo.InvariantCulture, $"max abs diff {max:F4} > 0.02 (mean {mean:F5})"));
        Assert.True(mean <= 0.005, string.Create(CultureInfo.InvariantCulture, $"mean abs diff {mean:F5} > 0.005 (max {max:F4})"));
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(FlippedCases))]
    public async Task Preprocess_ColourEdgesAtBottomRows_WithinTolerance(int width, int height, PixelFormat format, ColorMatrix matrix, ColorRange range, int size, bool letterbox)
    {
        (double max, double mean) = await CompareAsync(width, height, format, matrix, range, size, letterbox, flip: true, TestContext.Current.CancellationToken);
        Assert.True(max <= 0.02, string.Create(CultureInfo.InvariantCulture, $"max abs diff {max:F4} > 0.02 (mean {mean:F5})"));
        Assert.True(mean <= 0.005, string.Create(CultureInfo.InvariantCulture, $"mean abs diff {mean:F5} > 0.005 (max {max:F4})"));
    }

    private static async Task<(double Max, double Mean)> CompareAsync(int width, int height, PixelFormat format, ColorMatrix matrix, ColorRange range, int size, bool letterbox, bool flip, CancellationToken ct)
    {
        Ffmpeg.Require();
        string pixFmt = format switch
        {
            PixelFormat.I420 => "yuv420p",
            PixelFormat.Nv12 => "nv12",
            PixelFormat.Rgb24 => "rgb24",
            PixelFormat.Rgba32 => "rgba",
            _ => "bgra",
        };
        string dir = Directory.CreateTempSubdirectory("msdk-pre-").FullName;
        try
        {
            string raw = Path.Combine(dir, "in.raw");
            // testsrc2 has sharp colour edges, gradients and text: a hard case for chroma siting and area weights.
            string rangeArg = range == ColorRange.Full ? "pc" : "tv";
            string gen = $"-f lavfi -i testsrc2=size={width + 1}x{height + 1}:rate=25 -ss 0.4 -frames:v 1 -vf format=rgb24,crop={width}:{height}:0:0{(flip ? ",vflip" : "")}" +
                         (format is PixelFormat.I420 or PixelFormat.Nv12 ? $",scale=out_range={rangeArg} " : " ") +
                         $"-pix_fmt {pixFmt} -f rawvideo -y {raw}";
            await Ffmpeg.RunAsync(gen, ct);
            byte[] input = await File.ReadAllBytesAsync(raw, ct);

            bool yuv = format is PixelFormat.I420 or PixelFormat.Nv12;
            ColorMatrix effective = matrix == ColorMatrix.Auto ? (height > 576 ? ColorMatrix.Bt709 : ColorMatrix.Bt601) : matrix;
            // The exact chain a file source runs (every frame: no fps, no shift); for RGB input its colour options are inert.
            var options = new PreprocessOptions { Size = size, Letterbox = letterbox };
            string chain = FfmpegCommand.Filter(options, interval: null, shift: 0, padEnd: false,
                effective == ColorMatrix.Bt709 ? "bt709" : "bt601", yuv ? rangeArg : null);
            byte[] expected = await Ffmpeg.RunAsync(
                $"-f rawvideo -pix_fmt {pixFmt} -s {width}x{height} -i {raw} -vf \"{chain}\" -f rawvideo -pix_fmt rgb24 -", ct);
            Assert.Equal(size * size * 3, expected.Length);

            // Default strides: FrameView's defaults must describe ffmpeg's tightly packed layout (odd NV12 widths included).
            var frame = new FrameView(input, width, height, format, matrix: matrix, range: range);
            float[] actual = new float[3 * size * size];
            CpuFramePreprocessor.Instance.Preprocess(frame, options, actual);

            double max = 0, sum = 0;
            int plane = size * size;
            for (int c = 0; c < 3; c++)
            {
                for (int i = 0; i < plane; i++)
                {
                    float want = expected[3 * i + c] / 127.5f - 1f;
                    double d = Math.Abs(actual[c * plane + i] - want);
                    max = Math.Max(max, d);
                    sum += d;
                }
            }
            double mean = sum / (3 * plane);
            TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture, $"{width}x{height} {format} {effective} {range}{(letterbox ? " letterbox" : "")}{(flip ? " flipped" : "")} -> {size}: max {max:F4} mean {mean:F5}"));
            return (max, mean);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
