namespace MediaSdk.Contracts;

/// <summary>
/// Produces preprocessed, timestamped frames for one stream (a file, a live URL, or frames pushed by a host).
/// Implemented by adapters (MediaSdk.Media) and by third parties; driven by the pipeline engine.
/// </summary>
public interface IFrameSource
{
    /// <summary>A short name for the stream (file name, or URL host:port) and for error messages.</summary>
    string DisplayName { get; }

    /// <summary>
    /// True when frames arrive in real time and must not be delayed: the pipeline then drops whole pending windows
    /// when the encoder falls behind, instead of making the source wait.
    /// </summary>
    bool IsLive { get; }

    /// <summary>
    /// Reads the source until it ends, writing each frame to <paramref name="sink"/> in presentation order.
    /// </summary>
    /// <returns>How the media ended; its duration decides which windows at the end are emitted.</returns>
    /// <exception cref="MediaInputException">The input is missing, unreadable or unreachable.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; every child process has exited.</exception>
    Task<SourceCompletion> RunAsync(IFrameSink sink, CancellationToken ct);
}

/// <summary>How a source ended.</summary>
/// <param name="Duration">Media duration in seconds from the first frame, when known (files); null for live streams
/// and pushed frames, where the pipeline uses the last frame's time plus one frame interval.</param>
public sealed record SourceCompletion(double? Duration);

/// <summary>Receives what a source produces. Implemented by the pipeline engine.</summary>
public interface IFrameSink
{
    /// <summary>Hands over a frame; the sink takes ownership (disposes it). May wait when a file stream is ahead.</summary>
    ValueTask WriteAsync(PooledFrame frame, CancellationToken ct);

    /// <summary>Reports a state change (connecting, live, reconnecting).</summary>
    void OnStateChanged(StreamState state, string? detail = null);

    /// <summary>Reports a problem the stream survives.</summary>
    void OnWarning(string message);

    /// <summary>
    /// Frames after this call start a new segment (after a reconnect): windows waiting for frames are abandoned, and
    /// windowing resumes at the next window start at or after the next frame.
    /// </summary>
    void OnDiscontinuity();
}

/// <summary>What the pipeline needs from a source: frame size, which frames, and the thread cap.</summary>
/// <param name="Preprocess">Frame preprocessing (size, crop or letterbox).</param>
/// <param name="SampleInterval">
/// When set, the source may deliver only frames nearest to the times <c>(k + 0.5) * SampleInterval</c> (seconds of
/// media time, one per k); when null it must deliver every decoded frame.
/// </param>
/// <param name="Threads">Decoder threads the source may use.</param>
public sealed record FrameRequest(PreprocessOptions Preprocess, double? SampleInterval, int Threads);

/// <summary>Creates sources for file paths and URLs. Implemented by MediaSdk.Media (ffmpeg).</summary>
public interface IFrameSourceFactory
{
    /// <summary>Validates <paramref name="input"/> cheaply and creates a source for it; nothing is opened yet.</summary>
    /// <exception cref="MediaNotFoundException">A local path that does not exist or is a directory.</exception>
    /// <exception cref="UnsupportedSchemeException">A URL whose scheme is not allowed.</exception>
    IFrameSource Create(string input, SourceOptions options, FrameRequest request);
}
