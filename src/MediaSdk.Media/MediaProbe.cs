using FFMpegCore;
using MediaSdk.Media.Internal;

namespace MediaSdk.Media;

/// <summary>Reads an input's video properties with ffprobe (via FFMpegCore).</summary>
public static class MediaProbe
{
    /// <summary>Probes <paramref name="input"/> (a local path or an allow-listed URL) with ffprobe from PATH.</summary>
    /// <exception cref="MediaNotFoundException">The path does not exist or is a directory.</exception>
    /// <exception cref="UnsupportedSchemeException">The URL scheme is not allowed.</exception>
    /// <exception cref="MediaFormatException">The input is empty, not media, or corrupt.</exception>
    /// <exception cref="NoVideoStreamException">The input has no video stream (e.g. audio only).</exception>
    /// <exception cref="DependencyMissingException">ffprobe is not installed.</exception>
    public static Task<MediaInfo> ProbeAsync(string input, CancellationToken ct = default) =>
        ProbeAsync(MediaInput.Parse(input), FfmpegOptions.Default, ct);

    internal static async Task<MediaInfo> ProbeAsync(MediaInput input, FfmpegOptions options, CancellationToken ct)
    {
        var file = input.IsFile ? new FileInfo(input.FfmpegInput) : null;
        if (file is not { Exists: true }) return await ProbeUncachedAsync(input, options, ct).ConfigureAwait(false);
        if (file.Length == 0)
            throw new MediaFormatException($"Input file '{input.FfmpegInput}' is empty (0 bytes); pass a complete video file.");
        // A file's probe is remembered by (path, size, modification time): cutting many windows or spans from one file,
        // as training and evaluation do, then starts ffprobe once instead of once per span.
        var key = new FileKey(file.FullName, file.Length, file.LastWriteTimeUtc.Ticks);
        if (s_files.TryGetValue(key, out MediaInfo? known)) return known;
        MediaInfo info = await ProbeUncachedAsync(input, options, ct).ConfigureAwait(false);
        if (s_files.Count >= MaxRememberedFiles) s_files.Clear();
        s_files[key] = info;
        return info;
    }

    private const int MaxRememberedFiles = 4096;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<FileKey, MediaInfo> s_files = new();

    private readonly record struct FileKey(string Path, long Length, long LastWriteTicks);

    private static async Task<MediaInfo> ProbeUncachedAsync(MediaInput input, FfmpegOptions options, CancellationToken ct)
    {
        string ffprobe = FfmpegBinaries.Resolve("ffprobe", options);
        string where = input.IsFile ? $"'{input.FfmpegInput}'" : $"'{input.Original}'";

        var ffOptions = new FFOptions
        {
            BinaryFolder = Path.GetDirectoryName(ffprobe) ?? string.Empty,
            TemporaryFilesFolder = options.TemporaryFolder ?? Path.GetTempPath(),
        };
        string custom = $"-protocol_whitelist {input.ProtocolWhitelist}";
        IMediaAnalysis analysis;
        try
        {
            analysis = input.IsFile
                ? await FFProbe.AnalyseAsync(input.FfmpegInput, ffOptions, custom, ct).ConfigureAwait(false)
                : await FFProbe.AnalyseAsync(new Uri(input.Original), ffOptions, custom, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not MediaSdkException)
        {
            throw new MediaFormatException(
                $"Input {where} could not be read as media ({Reason(ex.Message)}); check that it is a complete, uncorrupted video file or re-encode it with ffmpeg.", ex);
        }

        VideoStream? video = analysis.PrimaryVideoStream;
        if (video is null)
        {
            if (analysis.AudioStreams.Count > 0)
                throw new NoVideoStreamException($"Input {where} has audio but no video stream; pass a file with video.");
            throw new MediaFormatException($"Input {where} has no video stream that ffprobe recognises; check that it is a video file.");
        }

        int rotation = video.Rotation;
        int width = video.Width ?? 0, height = video.Height ?? 0;
        if (width <= 0 || height <= 0)
            throw new MediaFormatException($"Input {where} has a video stream without a frame size; the file is probably corrupt.");
        if (Math.Abs(rotation) % 180 == 90) (width, height) = (height, width);

        double start = video.StartTime.TotalSeconds;
        double duration = video.Duration.TotalSeconds;
        // FFMpegCore falls back to the stream's DURATION tag (Matroska) when ffprobe has no per-stream duration; ffmpeg's
        // Matroska muxer writes the end timestamp there, so a stream that starts late must subtract its start.
        bool fromTag = analysis.Raw?.Streams?.FirstOrDefault(r => r.Index == video.Index) is { } raw && string.IsNullOrEmpty(raw.Duration);
        if (fromTag && start > 0 && duration > start) duration -= start;
        if (duration <= 0 && analysis.Format.Duration > TimeSpan.Zero)
            duration = Math.Max(0, analysis.Format.Duration.TotalSeconds - Math.Max(0, start - analysis.Format.StartTime.TotalSeconds));

        double fps = video.AverageFrameRate > 0 && !double.IsNaN(video.AverageFrameRate) ? video.AverageFrameRate : video.RealFrameRate;
        if (double.IsNaN(fps) || double.IsInfinity(fps)) fps = 0;
        int? bitDepth = video.BitsPerRawSample is > 0 ? video.BitsPerRawSample : BitDepthOf(video.PixelFormat);
        return new MediaInfo(duration, fps, width, height, video.CodecName ?? "unknown", video.PixelFormat ?? "unknown", rotation, start,
            Known(video.ColorSpace), Known(video.ColorRange), bitDepth, HasVideo: true);
    }

    private static string? Known(string? value) => string.IsNullOrEmpty(value) || value == "unknown" ? null : value;

    private static int? BitDepthOf(string? pixelFormat) => pixelFormat switch
    {
        null => null,
        _ when pixelFormat.Contains("p10", StringComparison.Ordinal) => 10,
        _ when pixelFormat.Contains("p12", StringComparison.Ordinal) => 12,
        _ => 8,
    };

    /// <summary>The most telling line of ffprobe's error output, kept to one short line.</summary>
    internal static string Reason(string message)
    {
        string? best = null;
        foreach (string line in message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.Length == 0 || line.StartsWith('{') || line.StartsWith('}')) continue;
            best = line;
        }
        best = best?.TrimEnd(')', ' ') ?? "unknown error"; // FFMpegCore wraps ffprobe's text in "(code - ...)"
        return best.Length <= 160 ? best : best[..157] + "...";
    }
}
