namespace MediaSdk;

/// <summary>Session-wide resource caps, so a host keeps control of its machine.</summary>
public sealed record MediaSessionOptions
{
    /// <summary>All defaults.</summary>
    public static MediaSessionOptions Default { get; } = new();

    /// <summary>
    /// Threads the encoder may use. Null (default): half the processors, at least 1 and at most 4, leaving the rest to
    /// ffmpeg: on 2 cores a 60 s 720p file tags faster with 1 encoder thread than with 2 (docs/benchmarks.md (c)).
    /// </summary>
    public int? EncoderThreads { get; init; }

    /// <summary>Threads each ffmpeg process may use (<c>-threads</c>). Null (default): min(processor count, 2).</summary>
    public int? FfmpegThreads { get; init; }

    /// <summary>
    /// Clip windows that may wait for the encoder, per stream. Bounds queue memory: a 112 px window of 8 frames is about
    /// 1.2 MB. File streams wait when the queue is full; live streams drop their oldest pending window. Default 4.
    /// </summary>
    public int MaxQueuedWindows { get; init; } = 4;

    /// <summary>Frames that may wait between a source and its window assembler. Default 32.</summary>
    public int MaxQueuedFrames { get; init; } = 32;

    /// <summary>Events buffered for the reader before producers wait. Default 1024.</summary>
    public int MaxQueuedEvents { get; init; } = 1024;

    /// <summary>Copy each window's embedding into its <see cref="WindowEvent"/>. Default true.</summary>
    public bool IncludeEmbeddings { get; init; } = true;

    /// <summary>
    /// Decode a short text from each window's bottleneck tokens into <see cref="WindowEvent.Explanation"/> (read-back,
    /// METHOD.md §5). Needs an encoder implementing <see cref="Contracts.IWindowExplainer"/>; the session constructor
    /// throws otherwise. Costs a few dozen small decoder passes per window. The text only means something for a
    /// GIC-trained model. Default false.
    /// </summary>
    public bool ExplainWindows { get; init; }
}
