using MediaSdk.Contracts;

namespace MediaSdk.Core.Tests;

/// <summary>
/// A deterministic real explainer: the averaging encoder's embedding, and as text the window's first and last pixel
/// values (the synthetic sources fill each frame with its pts), so every window's text differs and can be checked.
/// </summary>
internal sealed class DescribingEncoder : IClipEncoder, IWindowExplainer
{
    private readonly AveragingEncoder _inner = new();
    public int ExplainCalls;
    public ModelStamp Model => _inner.Model;
    public int Dimension => _inner.Dimension;
    public PreprocessOptions Preprocess => _inner.Preprocess;
    public int MaxFramesPerWindow => _inner.MaxFramesPerWindow;
    public void EncodeFrames(ReadOnlySpan<PooledFrame> frames, Span<float> embedding) => _inner.EncodeFrames(frames, embedding);
    public void EncodeText(string text, Span<float> embedding) => _inner.EncodeText(text, embedding);
    public string EncodeAndExplain(ReadOnlySpan<PooledFrame> frames, Span<float> embedding)
    {
        ExplainCalls++;
        _inner.EncodeFrames(frames, embedding);
        return FormattableString.Invariant($"frames {frames[0].Pixels[0]:0.0}..{frames[^1].Pixels[0]:0.0}");
    }
    public void Dispose() => _inner.Dispose();
}

[Collection("Leaks")]
public sealed class ExplainTests
{
    private static async Task<List<WindowEvent>> WindowsAsync(MediaSession s, CancellationToken ct)
    {
        var list = new List<WindowEvent>();
        await foreach (MediaEvent e in s.ReadEventsAsync(ct)) if (e is WindowEvent w) list.Add(w);
        return list;
    }

    [Fact(Timeout = 20_000)]
    public async Task ReadEvents_ExplainOnWithExplainer_EveryWindowCarriesItsText()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var enc = new DescribingEncoder();
        await using var session = new MediaSession(enc, null, new FillPreprocessor(), new MediaSessionOptions { ExplainWindows = true });
        session.AddSource(new SyntheticSource("clip", SyntheticSource.Fps(10, 5), 5.0));
        session.CompleteAdding();
        List<WindowEvent> windows = await WindowsAsync(session, ct);

        Assert.Equal(5, windows.Count);
        Assert.Equal(windows.Count, enc.ExplainCalls);
        foreach (WindowEvent w in windows)
        {
            Assert.NotNull(w.Explanation);
            Assert.StartsWith("frames ", w.Explanation, StringComparison.Ordinal);
            Assert.Equal(8, w.Embedding.Length); // the embedding still comes back
        }
        Assert.Equal(windows.Count, windows.Select(w => w.Explanation).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact(Timeout = 20_000)]
    public async Task ReadEvents_ExplainOff_ExplanationNullAndExplainerUnused()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var enc = new DescribingEncoder();
        await using var session = new MediaSession(enc, null, new FillPreprocessor());
        session.AddSource(new SyntheticSource("clip", SyntheticSource.Fps(10, 5), 5.0));
        session.CompleteAdding();
        List<WindowEvent> windows = await WindowsAsync(session, ct);

        Assert.Equal(5, windows.Count);
        Assert.All(windows, w => Assert.Null(w.Explanation));
        Assert.Equal(0, enc.ExplainCalls);
    }

    [Fact]
    public void Constructor_ExplainOnEncoderCannotExplain_ThrowsClearError()
    {
        using var enc = new AveragingEncoder();
        var ex = Assert.Throws<ArgumentException>(() =>
            new MediaSession(enc, null, new FillPreprocessor(), new MediaSessionOptions { ExplainWindows = true }));
        Assert.Contains("ExplainWindows", ex.Message, StringComparison.Ordinal);
        Assert.Contains("IWindowExplainer", ex.Message, StringComparison.Ordinal);
        Assert.Equal("options", ex.ParamName);
    }
}
