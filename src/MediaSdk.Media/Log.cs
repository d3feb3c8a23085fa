using Microsoft.Extensions.Logging;

namespace MediaSdk.Media;

/// <summary>Log messages of MediaSdk.Media (event ids 3000-3099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "Starting ffmpeg for {Source}: {Arguments}")]
    public static partial void FfmpegStarting(ILogger logger, string source, string arguments);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "ffmpeg for {Source} exited with code {ExitCode} after {Frames} frames")]
    public static partial void FfmpegExited(ILogger logger, string source, int exitCode, long frames);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "{Source} is live")]
    public static partial void Live(ILogger logger, string source);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "{Source} lost its connection ({Reason}); reconnecting")]
    public static partial void Reconnecting(ILogger logger, string source, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "Connection attempt to {Source} failed ({Reason}); next try in {DelayMs} ms")]
    public static partial void AttemptFailed(ILogger logger, string source, string reason, double delayMs);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "{Source}: {Message}")]
    public static partial void SourceWarning(ILogger logger, string source, string message);
}
