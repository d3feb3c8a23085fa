using MediaSdk.Contracts;
using MediaSdk.Model;

namespace MediaSdk;

/// <summary>
/// An encoder whose shape (model id, dimension, input size) is known from its config at once while libtorch starts and
/// the weights load on a background thread. Sources start connecting meanwhile, so a live stream's first window is not
/// delayed by the second or so that loading takes; the first encode call waits for the load to finish.
/// </summary>
/// <remarks>
/// A load failure (bad weights, requested device missing) is rethrown by every encode call; the session turns it into
/// an <see cref="ErrorEvent"/> that ends the stream.
/// </remarks>
internal sealed class BackgroundLoadedEncoder : IClipEncoder
{
    private readonly Task<BtokEncoder> _loading;
    private int _disposed;

    public BackgroundLoadedEncoder(BtokConfig config, Func<BtokEncoder> load)
    {
        Model = new ModelStamp(config.ModelId, config.Version);
        Dimension = config.DModel;
        Preprocess = PreprocessOptions.Default with { Size = config.ImageSize };
        MaxFramesPerWindow = config.MaxFrames;
        _loading = Task.Factory.StartNew(load, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public ModelStamp Model { get; }
    public int Dimension { get; }
    public PreprocessOptions Preprocess { get; }
    public int MaxFramesPerWindow { get; }

    public void EncodeFrames(ReadOnlySpan<PooledFrame> frames, Span<float> embedding) => Encoder.EncodeFrames(frames, embedding);

    public void EncodeText(string text, Span<float> embedding) => Encoder.EncodeText(text, embedding);

    // Blocking is intended: the session calls the encoder from its one dedicated encoder thread, never from the pool.
    private BtokEncoder Encoder => _loading.GetAwaiter().GetResult();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Wait for a load in flight so its native memory is released, not leaked.
        try { _loading.GetAwaiter().GetResult().Dispose(); }
        catch (MediaSdkException) { /* the load failed; nothing to free, and the failure was reported */ }
        catch (ArgumentException) { }
    }
}
