using MediaSdk.TestSupport;

namespace MediaSdk.Media.Tests;

/// <summary>Generates each named clip once per test class, on first use.</summary>
public sealed class ClipsFixture : IDisposable
{
    public ClipFactory Factory { get; } = new();

    public Task<string> GetAsync(string name, Func<ClipFactory, Task<string>> make) => Factory.GetAsync(name, make);

    /// <summary>A clip whose luma encodes the frame index: Y = 16 + N (lossless, up to 219 frames), so a decoded grey value tells which
    /// source frame it came from.</summary>
    public Task<string> IndexedAsync(string name, double seconds = 4, int fps = 25, params string[] extra) =>
        GetAsync(name, f => f.FfmpegAsync(name, [
            "-f", "lavfi", "-i", $"color=c=black:size=64x48:rate={fps}:duration={seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            "-vf", "format=yuv420p,geq=lum='16+N':cb=128:cr=128", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p",
            "-color_range", "tv", "-colorspace", "bt470bg", .. extra]));

    /// <summary>Source frame index from a normalised grey value of an <see cref="IndexedAsync"/> clip.</summary>
    public static int FrameIndexOf(float normalised)
    {
        double rgb = (normalised * 0.5 + 0.5) * 255;   // back to 0..255
        double y = rgb * 219 / 255 + 16;              // limited-range luma
        return (int)Math.Round(y - 16);
    }

    public void Dispose() => Factory.Dispose();
}
