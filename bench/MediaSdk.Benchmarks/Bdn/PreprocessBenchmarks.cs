using BenchmarkDotNet.Attributes;
using MediaSdk.Gpu;

namespace MediaSdk.Benchmarks.Bdn;

/// <summary>The per-frame hot path of pushed frames: CpuFramePreprocessor from a 1280x720 frame to 3x112x112 floats.</summary>
[MemoryDiagnoser]
public class PreprocessBenchmarks
{
    private byte[] _data = [];
    private PooledFrame? _destination;

    /// <summary>Source pixel format.</summary>
    [Params(PixelFormat.I420, PixelFormat.Nv12, PixelFormat.Rgba32)]
    public PixelFormat Format { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int bytes = FrameView.RequiredBytes(Format, 1280, 720, FrameView.MinimumStride(Format, 1280), DefaultChromaStride(Format));
        _data = new byte[bytes];
        new Random(1).NextBytes(_data);
        _destination = PooledFrame.Rent(112, 0, 0);
    }

    private static int DefaultChromaStride(PixelFormat f) => f switch
    {
        PixelFormat.Nv12 => 1280,
        PixelFormat.I420 => 640,
        _ => 0,
    };

    [GlobalCleanup]
    public void Cleanup() => _destination?.Dispose();

    [Benchmark]
    public void Preprocess720pTo112()
    {
        var view = new FrameView(_data, 1280, 720, Format, matrix: ColorMatrix.Bt709);
        CpuFramePreprocessor.Instance.Preprocess(view, PreprocessOptions.Default, _destination!.Pixels);
    }
}
