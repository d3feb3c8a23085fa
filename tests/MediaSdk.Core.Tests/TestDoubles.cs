using System.Diagnostics;
using MediaSdk.Contracts;

namespace MediaSdk.Core.Tests;

/// <summary>A deterministic real encoder: each output dimension is the mean of a strided set of pixels; optional delay.</summary>
internal sealed class AveragingEncoder(int size = 16, int delayMs = 0) : IClipEncoder
{
    public int Calls;
    /// <summary>Every text embedded, in order (label prompts).</summary>
    public List<string> Texts { get; } = [];
    public ModelStamp Model { get; } = new("avg", "1");
    public int Dimension => 8;
    public PreprocessOptions Preprocess { get; } = new() { Size = size };
    public int MaxFramesPerWindow => 16;
    public void EncodeFrames(ReadOnlySpan<PooledFrame> frames, Span<float> embedding)
    {
        Calls++;
        if (delayMs > 0) Thread.Sleep(delayMs);
        embedding.Clear();
        foreach (PooledFrame f in frames)
        {
            Span<float> p = f.Pixels;
            for (int i = 0; i < p.Length; i++) embedding[i % 8] += p[i];
        }
        Normalise(embedding);
    }
    public void EncodeText(string text, Span<float> embedding)
    {
        lock (Texts) Texts.Add(text);
        embedding.Clear();
        for (int i = 0; i < text.Length; i++) embedding[i % 8] += text[i];
        Normalise(embedding);
    }
    private static void Normalise(Span<float> v)
    {
        double n = 0;
        foreach (float x in v) n += x * x;
        if (n == 0) { v[0] = 1; return; }
        for (int i = 0; i < v.Length; i++) v[i] = (float)(v[i] / Math.Sqrt(n));
    }
    public void Dispose() { }
}

/// <summary>Produces frames with chosen pts; the pixel value encodes the pts. Optionally real time, optionally throws.</summary>
internal sealed class SyntheticSource(string name, double[] pts, double? duration, bool live = false, bool realTime = false, Exception? failAfter = null, int size = 16) : IFrameSource
{
    public string DisplayName => name;
    public bool IsLive => live;
    public async Task<SourceCompletion> RunAsync(IFrameSink sink, CancellationToken ct)
    {
        sink.OnStateChanged(StreamState.Live);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < pts.Length; i++)
        {
            if (realTime)
            {
                TimeSpan due = TimeSpan.FromSeconds(pts[i]) - clock.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due, ct);
            }
            if (failAfter is not null && i == pts.Length / 2) throw failAfter;
            PooledFrame f = PooledFrame.Rent(size, pts[i], Stopwatch.GetTimestamp());
            f.Pixels.Fill((float)pts[i]);
            await sink.WriteAsync(f, ct);
        }
        return new SourceCompletion(duration);
    }

    public static double[] Fps(double fps, double seconds) => [.. Enumerable.Range(0, (int)Math.Round(fps * seconds)).Select(i => i / fps)];
}
