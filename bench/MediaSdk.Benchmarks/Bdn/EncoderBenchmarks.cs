using BenchmarkDotNet.Attributes;
using MediaSdk.Model;

namespace MediaSdk.Benchmarks.Bdn;

/// <summary>The per-window hot path: BtokEncoder.EncodeFrames on an 8-frame window, BTok (K = 4) and last-token (K = 0).</summary>
[MemoryDiagnoser]
public class EncoderBenchmarks
{
    private BtokEncoder? _encoder;
    private PooledFrame[] _window = [];
    private float[] _embedding = [];

    /// <summary>Bottleneck tokens: 4 (BTok readout, the default) or 0 (last-token readout).</summary>
    [Params(4, 0)]
    public int K { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        BtokConfig config = K == 0 ? BtokConfig.Default with { BottleneckTokens = 0, Pooling = BtokPooling.LastToken } : BtokConfig.Default;
        _encoder = BtokEncoder.CreateRandom(config, 0, EncoderOptions.Default with { Device = EncoderDevice.Cpu });
        _window = EncoderLatencyBench.RandomWindow(8, 112, 42);
        _embedding = new float[_encoder.Dimension];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _encoder?.Dispose();
        foreach (PooledFrame f in _window) f.Dispose();
    }

    [Benchmark]
    public void EncodeWindow() => _encoder!.EncodeFrames(_window, _embedding);
}
