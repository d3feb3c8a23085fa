using MediaSdk.Model;

namespace MediaSdk.Tests;

/// <summary>The builder with <see cref="MediaSessionOptions.ExplainWindows"/>: an encoder that cannot explain fails at Build.</summary>
public sealed class ExplainBuilderTests
{
    private static readonly BtokConfig Tiny = BtokConfig.Default with
    {
        DModel = 32, Layers = 1, Heads = 2, FfnDim = 64, PatchSize = 16, ImageSize = 32, MaxFrames = 2, BottleneckTokens = 2,
    };

    [Fact]
    public void Build_ExplainWindowsEncoderCannotExplain_ThrowsClearErrorAndDisposesEncoder()
    {
        BtokEncoder inner = BtokEncoder.CreateRandom(Tiny, 1, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 1 });
        var encoder = new CapturingEncoder(inner); // a wrapper that does not forward IWindowExplainer
        MediaSdkBuilder builder = new MediaSdkBuilder().UseEncoder(encoder)
            .WithSessionOptions(MediaSessionOptions.Default with { ExplainWindows = true });

        var ex = Assert.Throws<ArgumentException>(builder.Build);
        Assert.Contains("ExplainWindows", ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(CapturingEncoder), ex.Message, StringComparison.Ordinal);
        // The session never started, so Build disposed the encoder it had taken over.
        Assert.Throws<ObjectDisposedException>(() => inner.EncodeText("x", new float[inner.Dimension]));
    }
}
