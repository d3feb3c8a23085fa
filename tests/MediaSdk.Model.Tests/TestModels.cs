using MediaSdk.Model;

namespace MediaSdk.Model.Tests;

/// <summary>Small configs and deterministic inputs shared by the encoder tests.</summary>
internal static class TestModels
{
    /// <summary>A tiny encoder (d 32, 2 layers, 32 px frames = 4 tokens each) that builds and runs in milliseconds.</summary>
    public static BtokConfig Tiny { get; } = BtokConfig.Default with
    {
        ModelId = "tiny-test",
        Version = "0.0.1",
        DModel = 32,
        Layers = 2,
        Heads = 2,
        FfnDim = 64,
        PatchSize = 16,
        ImageSize = 32,
        MaxFrames = 4,
        BottleneckTokens = 4,
    };

    public static EncoderOptions Cpu { get; } = new() { Device = EncoderDevice.Cpu, Threads = 2 };

    /// <summary>Rents <paramref name="count"/> frames filled with seeded values in [-1, 1]; dispose each.</summary>
    public static PooledFrame[] Frames(int count, int size, int seed)
    {
        var random = new Random(seed);
        var frames = new PooledFrame[count];
        for (int i = 0; i < count; i++)
        {
            frames[i] = PooledFrame.Rent(size, i * 0.25, 0);
            Span<float> pixels = frames[i].Pixels;
            for (int j = 0; j < pixels.Length; j++) pixels[j] = (float)(random.NextDouble() * 2.0 - 1.0);
        }
        return frames;
    }

    public static void DisposeAll(PooledFrame[] frames)
    {
        foreach (PooledFrame f in frames) f.Dispose();
    }

    public static float[] EncodeFrames(BtokEncoder encoder, PooledFrame[] frames)
    {
        var e = new float[encoder.Dimension];
        encoder.EncodeFrames(frames, e);
        return e;
    }

    public static float[] EncodeText(BtokEncoder encoder, string text)
    {
        var e = new float[encoder.Dimension];
        encoder.EncodeText(text, e);
        return e;
    }

    public static double Norm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float x in v) s += (double)x * x;
        return Math.Sqrt(s);
    }

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0;
        for (int i = 0; i < a.Length; i++) dot += (double)a[i] * b[i];
        return dot / (Norm(a) * Norm(b));
    }

    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    /// <summary>A fresh empty temp folder path (not created).</summary>
    public static string TempDir() => Path.Combine(Path.GetTempPath(), "msdk-model-tests", Guid.NewGuid().ToString("N"));
}
