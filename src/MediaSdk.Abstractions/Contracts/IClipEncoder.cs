namespace MediaSdk.Contracts;

/// <summary>Turns clip windows and text into embeddings in one shared space. Implemented by MediaSdk.Model.</summary>
/// <remarks>Not thread-safe: the pipeline calls it from one encoder loop, one window at a time.</remarks>
public interface IClipEncoder : IDisposable
{
    /// <summary>Model id and version stamped on every event.</summary>
    ModelStamp Model { get; }

    /// <summary>Embedding length.</summary>
    int Dimension { get; }

    /// <summary>The frame preprocessing the model was trained with (its input size).</summary>
    PreprocessOptions Preprocess { get; }

    /// <summary>The most frames one window may hold (<see cref="WindowOptions.FramesPerWindow"/> is checked against it).</summary>
    int MaxFramesPerWindow { get; }

    /// <summary>Encodes the frames of one window (time order) into an L2-normalised embedding.</summary>
    /// <param name="frames">The window's frames, each of <see cref="Preprocess"/> size.</param>
    /// <param name="embedding">Receives <see cref="Dimension"/> floats.</param>
    void EncodeFrames(ReadOnlySpan<PooledFrame> frames, Span<float> embedding);

    /// <summary>Encodes text (a label prompt or a query) into an L2-normalised embedding.</summary>
    void EncodeText(string text, Span<float> embedding);
}

/// <summary>Converts a host's decoded frame into the encoder's input tensor. Implemented by MediaSdk.Gpu.</summary>
public interface IFramePreprocessor
{
    /// <summary>
    /// Writes the 3 x size x size CHW float tensor of <paramref name="frame"/> (RGB, area-resized, cropped or letterboxed,
    /// normalised to [-1, 1]) into <paramref name="destination"/>.
    /// </summary>
    void Preprocess(in FrameView frame, PreprocessOptions options, Span<float> destination);
}
