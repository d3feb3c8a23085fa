namespace MediaSdk.Contracts;

/// <summary>
/// Optional capability of an <see cref="IClipEncoder"/>: read-back (METHOD.md §5), decoding a short text from what a
/// window's bottleneck tokens hold. The pipeline uses it when <see cref="MediaSessionOptions.ExplainWindows"/> is on.
/// </summary>
/// <remarks>
/// The text only means something for a model trained with the generative (GIC) objective; a random-init model decodes
/// arbitrary tokens. Called from the encoder loop, like <see cref="IClipEncoder.EncodeFrames"/> (not thread-safe).
/// </remarks>
public interface IWindowExplainer
{
    /// <summary>
    /// Encodes a window exactly as <see cref="IClipEncoder.EncodeFrames"/> does and, from the same forward pass, decodes
    /// the text its bottleneck tokens hold.
    /// </summary>
    /// <param name="frames">The window's frames, each of the encoder's preprocess size.</param>
    /// <param name="embedding">Receives the embedding (the encoder's dimension).</param>
    /// <returns>The decoded text, trimmed; may be empty.</returns>
    string EncodeAndExplain(ReadOnlySpan<PooledFrame> frames, Span<float> embedding);
}
