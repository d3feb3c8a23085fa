using Microsoft.Extensions.Logging;

namespace MediaSdk.Core;

/// <summary>Log messages of MediaSdk.Core (event ids 1000-1099). Nothing here is per frame.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Stream {Stream} added (live: {Live})")]
    public static partial void StreamAdded(ILogger logger, StreamId stream, bool live);

    [LoggerMessage(1001, LogLevel.Information, "Stream {Stream} ended: {Windows} windows encoded, {Dropped} dropped")]
    public static partial void StreamEnded(ILogger logger, StreamId stream, long windows, long dropped);

    [LoggerMessage(1002, LogLevel.Information, "Stream {Stream} failed: {Message}")] // also an ErrorEvent: not a second warning
    public static partial void StreamFailed(ILogger logger, StreamId stream, string message, Exception? exception);

    [LoggerMessage(1003, LogLevel.Debug, "Stream {Stream} dropped {Count} windows (encoder behind)")]
    public static partial void WindowsDropped(ILogger logger, StreamId stream, long count);

    [LoggerMessage(1004, LogLevel.Error, "Encoder failed on stream {Stream}")]
    public static partial void EncoderFailed(ILogger logger, StreamId stream, Exception exception);
}
