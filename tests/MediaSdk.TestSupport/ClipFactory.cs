using System.Globalization;

namespace MediaSdk.TestSupport;

/// <summary>Generates small test clips with ffmpeg (lavfi testsrc2, color, sine) into a private temp folder; deletes it on dispose.
/// Use one per test class (class fixture) so clips are generated once.</summary>
public sealed class ClipFactory : IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<string>>> _made = new();

    /// <summary>Makes the clip named <paramref name="name"/> once (the first caller runs <paramref name="make"/>) and returns its path.</summary>
    public Task<string> GetAsync(string name, Func<ClipFactory, Task<string>> make) =>
        _made.GetOrAdd(name, _ => new Lazy<Task<string>>(() => make(this))).Value;

    /// <summary>Creates the factory and its folder.</summary>
    public ClipFactory()
    {
        Folder = Path.Combine(Path.GetTempPath(), "msdk-clips-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Folder);
    }

    /// <summary>The folder clips are written to.</summary>
    public string Folder { get; }

    /// <summary>Path of <paramref name="fileName"/> inside <see cref="Folder"/>.</summary>
    public string PathOf(string fileName) => System.IO.Path.Combine(Folder, fileName);

    /// <summary>
    /// A testsrc2 clip. <paramref name="codec"/> is an ffmpeg encoder (libx264, libx265, libvpx-vp9, mpeg4, mjpeg);
    /// <paramref name="extra"/> are output options appended before the file name (e.g. "-pix_fmt", "yuv420p10le").
    /// </summary>
    public Task<string> TestSrcAsync(string fileName, int width = 160, int height = 120, double seconds = 3, int fps = 25,
        string codec = "libx264", params string[] extra) =>
        LavfiAsync(fileName, $"testsrc2=size={width}x{height}:rate={fps}:duration={F(seconds)}", codec, extra);

    /// <summary>A solid-colour clip (lavfi color, e.g. "red" or "0x336699").</summary>
    public Task<string> ColorAsync(string fileName, string color, int width = 160, int height = 120, double seconds = 1, int fps = 25,
        string codec = "libx264", params string[] extra) =>
        LavfiAsync(fileName, $"color=c={color}:size={width}x{height}:rate={fps}:duration={F(seconds)}", codec, extra);

    /// <summary>An audio-only clip (lavfi sine, AAC).</summary>
    public Task<string> AudioOnlyAsync(string fileName, double seconds = 1) =>
        FfmpegAsync(fileName, "-f", "lavfi", "-i", $"sine=frequency=440:duration={F(seconds)}", "-c:a", "aac");

    /// <summary>Any lavfi source encoded with <paramref name="codec"/>.</summary>
    public Task<string> LavfiAsync(string fileName, string lavfi, string codec, params string[] extra)
    {
        var args = new List<string> { "-f", "lavfi", "-i", lavfi, "-c:v", codec };
        if (codec is "libx264" or "libx265") args.AddRange(["-preset", "ultrafast"]);
        if (codec == "libvpx-vp9") args.AddRange(["-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k"]);
        if (codec is "mpeg4" or "mjpeg") args.AddRange(["-q:v", "5"]);
        if (codec == "libx265") args.AddRange(["-x265-params", "log-level=error"]);
        if (!extra.Contains("-pix_fmt") && codec is "libx264" or "libx265" or "libvpx-vp9" or "mpeg4") args.AddRange(["-pix_fmt", "yuv420p"]);
        args.AddRange(extra);
        return FfmpegAsync(fileName, [.. args]);
    }

    /// <summary>Runs <c>ffmpeg -y -hide_banner -loglevel error ARGS OUT</c> and returns OUT's path; throws with stderr on failure.</summary>
    public async Task<string> FfmpegAsync(string fileName, params string[] args)
    {
        string output = PathOf(fileName);
        var all = new List<string> { "-y", "-hide_banner", "-loglevel", "error", "-nostdin" };
        all.AddRange(args);
        all.Add(output);
        var (code, _, err) = await Tools.RunAsync("ffmpeg", all);
        if (code != 0) throw new InvalidOperationException($"ffmpeg failed ({code}) making {fileName}: {err}");
        return output;
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="fileName"/> (for not-a-video inputs).</summary>
    public string WriteText(string fileName, string content)
    {
        string p = PathOf(fileName);
        File.WriteAllText(p, content);
        return p;
    }

    /// <summary>Copies the first <paramref name="fraction"/> of <paramref name="source"/>'s bytes to <paramref name="fileName"/>.</summary>
    public string Truncate(string source, string fileName, double fraction = 0.5)
    {
        byte[] bytes = File.ReadAllBytes(source);
        string p = PathOf(fileName);
        File.WriteAllBytes(p, bytes.AsSpan(0, (int)(bytes.Length * fraction)).ToArray());
        return p;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
}
