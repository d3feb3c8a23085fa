using MediaSdk.Contracts;
using MediaSdk.Media.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaSdk.Media;

/// <summary>
/// Creates ffmpeg-backed frame sources for local files and allow-listed URLs (file, tcp, udp, rtp, rtsp, rtmp, srt,
/// http, https). ffmpeg samples and preprocesses, so only the requested, model-sized frames cross the pipe.
/// </summary>
/// <remarks>Thread-safe; one factory can create sources for many streams. Each source runs its own ffmpeg process
/// while <see cref="IFrameSource.RunAsync"/> runs and ends it (waiting for its exit) before returning.</remarks>
public sealed class FfmpegSourceFactory : IFrameSourceFactory
{
    private readonly FfmpegOptions _options;
    private readonly ILoggerFactory _loggerFactory;

    /// <summary>Creates the factory.</summary>
    /// <param name="options">Where ffmpeg lives. Null: <see cref="FfmpegOptions.Default"/> (PATH).</param>
    /// <param name="loggerFactory">Logging. Null: no logging.</param>
    public FfmpegSourceFactory(FfmpegOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? FfmpegOptions.Default;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>Validates <paramref name="input"/> cheaply (no process is started, no connection made) and creates its source.</summary>
    /// <exception cref="MediaNotFoundException">A local path that does not exist or is a directory.</exception>
    /// <exception cref="UnsupportedSchemeException">A URL (or ffmpeg protocol prefix such as <c>concat:</c>) outside the allow-list.</exception>
    /// <exception cref="DependencyMissingException">ffmpeg is not installed.</exception>
    public IFrameSource Create(string input, SourceOptions options, FrameRequest request)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Preprocess);
        if (request.SampleInterval is double t && (t <= 0 || double.IsNaN(t) || double.IsInfinity(t)))
            throw new ArgumentOutOfRangeException(nameof(request), t, "FrameRequest.SampleInterval must be a positive number of seconds, or null for every frame.");
        MediaInput parsed = MediaInput.Parse(input);
        string ffmpeg = FfmpegBinaries.Resolve("ffmpeg", _options);
        FfmpegBinaries.Resolve("ffprobe", _options);
        ILogger logger = _loggerFactory.CreateLogger("MediaSdk.Media");
        bool live = options.Live ?? parsed.IsLiveByDefault;
        if (!parsed.IsFile && live)
            return new LiveFrameSource(parsed, options, request, ffmpeg, logger);
        return new FileFrameSource(parsed, options, request, _options, ffmpeg, live, logger);
    }
}
