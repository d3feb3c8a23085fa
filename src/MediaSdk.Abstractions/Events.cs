using System.Collections.Immutable;

namespace MediaSdk;

/// <summary>Something a session reports: a window result, a stream state change, a warning or an error.</summary>
/// <param name="Stream">The stream it concerns.</param>
public abstract record MediaEvent(StreamId Stream);

/// <summary>A label and its cosine score against a window embedding.</summary>
public readonly record struct TagScore(string Label, float Score);

/// <summary>Which model produced an event: id and version from the checkpoint, stamped on every window event.</summary>
public sealed record ModelStamp(string Id, string Version)
{
    /// <inheritdoc />
    public override string ToString() => $"{Id}@{Version}";
}

/// <summary>One encoded clip window.</summary>
public sealed record WindowEvent(
    StreamId Stream,
    long Index,
    double Start,
    double End,
    bool Partial,
    ImmutableArray<TagScore> Tags,
    double LatencyMs,
    ModelStamp Model,
    ReadOnlyMemory<float> Embedding) : MediaEvent(Stream)
{
    /// <summary>Text decoded from the window's bottleneck tokens (only with explain enabled).</summary>
    public string? Explanation { get; init; }
}

/// <summary>Lifecycle of a stream.</summary>
public enum StreamState
{
    /// <summary>Opening the source (first connection to a live URL).</summary>
    Connecting,
    /// <summary>Frames are flowing.</summary>
    Live,
    /// <summary>A live stream lost its connection or stalled and is reconnecting.</summary>
    Reconnecting,
    /// <summary>The stream ended normally (end of file, duration reached, cancelled).</summary>
    Ended,
    /// <summary>The stream failed; an <see cref="ErrorEvent"/> says why.</summary>
    Failed,
}

/// <summary>A stream changed state.</summary>
public sealed record StateEvent(StreamId Stream, StreamState State, string? Detail = null) : MediaEvent(Stream);

/// <summary>Something went wrong but the stream goes on (a truncated file, dropped windows).</summary>
public sealed record WarningEvent(StreamId Stream, string Message) : MediaEvent(Stream);

/// <summary>The stream failed with <paramref name="Error"/>; the session and other streams go on.</summary>
public sealed record ErrorEvent(StreamId Stream, MediaSdkException Error) : MediaEvent(Stream)
{
    /// <summary>The one-line message.</summary>
    public string Message => Error.Message;
}

/// <summary>Counters for one stream.</summary>
public sealed record StreamStats(long FramesReceived, long WindowsEncoded, long WindowsDropped);
