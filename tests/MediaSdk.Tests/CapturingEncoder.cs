using System.Collections.Concurrent;
using MediaSdk.Contracts;

namespace MediaSdk.Tests;

/// <summary>
/// Wraps a real encoder: records a copy of every window's input tensors and its embedding, and can slow each call
/// down (to put a live stream behind on purpose). Not a mock: every embedding comes from the wrapped encoder.
/// </summary>
internal sealed class CapturingEncoder(IClipEncoder inner, TimeSpan delay = default) : IClipEncoder
{
    public ConcurrentQueue<(float[][] Frames, float[] Embedding)> Windows { get; } = new();

    public ModelStamp Model => inner.Model;
    public int Dimension => inner.Dimension;
    public PreprocessOptions Preprocess => inner.Preprocess;
    public int MaxFramesPerWindow => inner.MaxFramesPerWindow;

    public void EncodeFrames(ReadOnlySpan<PooledFrame> frames, Span<float> embedding)
    {
        if (delay > TimeSpan.Zero) Thread.Sleep(delay);
        inner.EncodeFrames(frames, embedding);
        var copies = new float[frames.Length][];
        for (int i = 0; i < frames.Length; i++) copies[i] = frames[i].Pixels.ToArray();
        Windows.Enqueue((copies, embedding.ToArray()));
    }

    public void EncodeText(string text, Span<float> embedding) => inner.EncodeText(text, embedding);

    public void Dispose() => inner.Dispose();
}
