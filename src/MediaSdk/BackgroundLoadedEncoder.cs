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
/// an <see cref="ErrorEvent"/> that ends the stream. It always wraps a <see cref="BtokEncoder"/>, so it forwards read-back
/// (<see cref="IWindowExplainer"/>) too, and a session with explain on accepts it before the weights have loaded.
/// </remarks>
internal sealed class BackgroundLoadedEncoder : IClipEncoder, IWindowExplainer
{
    private readonly Task<BtokEncoder> _loading;
    private int _disposed;

    public BackgroundLoadedEncoder(BtokConfig config, Func<BtokEncoder> load)
    {
        Model = new ModelStamp(config.ModelId, config.Version);
        Dimension = config.DModel;
        Preprocess = PreprocessOptions.Default with { Size = config.ImageSize };
        MaxFramesPerWindow = config.MaxFrames;
        _loading = Task.Factory.StartNew(() => WarmUp(load(), config), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Runs one blank window through the fresh encoder: libtorch's first forward pass is several times slower than the
    /// next (kernel selection, allocator growth), and it should not land on a live stream's first window.
    /// </summary>
    private static BtokEncoder WarmUp(BtokEncoder encoder, BtokConfig config)
    {
        var frames = new PooledFrame[config.MaxFrames];
        try
        {
            for (int i = 0; i < frames.Length; i++)
            {
                frames[i] = PooledFrame.Rent(config.ImageSize, i, 0);
                frames[i].Pixels.Clear();
            }
            encoder.EncodeFrames(frames, new float[config.DModel]);
            return encoder;
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        finally
        {
            foreach (PooledFrame? f in frames) f?.Dispose();
        }
    }

    public ModelStamp Model { get; }
    public int Dimension { get; }
    public PreprocessOptions Preprocess { get; }
    public int MaxFramesPerWindow { get; }

    public void EncodeFrames(ReadOnlySpan<PooledFrame> frames, Span<float> embedding) => Encoder.EncodeFrames(frames, embedding);

    public void EncodeText(string text, Span<float> embedding) => Encoder.EncodeText(text, embedding);

    public string EncodeAndExplain(ReadOnlySpan<PooledFrame> frames, Span<float> embedding) => Encoder.EncodeAndExplainFrames(frames, embedding);

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
