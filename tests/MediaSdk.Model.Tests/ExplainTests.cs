using MediaSdk.Contracts;
using MediaSdk.Model.Nn;
using static MediaSdk.Model.Tests.TestModels;
using static TorchSharp.torch;

namespace MediaSdk.Model.Tests;

/// <summary>Read-back on the encoder: same forward as EncodeFrames, deterministic, K = 0 through the last token, checked inputs.</summary>
public sealed class ExplainTests
{
    [Theory]
    [InlineData(BtokPooling.Btok)]
    [InlineData(BtokPooling.LastToken)]
    [InlineData(BtokPooling.Mean)]
    public void EncodeAndExplainFrames_AnyPooling_EmbeddingEqualsEncodeFramesAndTextEqualsExplainFrames(BtokPooling pooling)
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, 3, Cpu with { Pooling = pooling });
        PooledFrame[] frames = Frames(3, Tiny.ImageSize, seed: 4);
        try
        {
            var embedding = new float[encoder.Dimension];
            string text = encoder.EncodeAndExplainFrames(frames, embedding, maxTokens: 8);
            float[] reference = EncodeFrames(encoder, frames);
            Assert.True(MaxAbsDiff(reference, embedding) < 1e-5f, $"{pooling}: embedding differs from EncodeFrames by {MaxAbsDiff(reference, embedding)}");
            Assert.Equal(text, encoder.ExplainFrames(frames, maxTokens: 8));
            // Through the pipeline's interface too, with the default length.
            var again = new float[encoder.Dimension];
            Assert.Equal(encoder.ExplainFrames(frames), ((IWindowExplainer)encoder).EncodeAndExplain(frames, again));
            Assert.Equal(embedding, again);
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Fact]
    public void ExplainFrames_SameFramesTwice_SameTextAndBoundedLength()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, 3, Cpu);
        PooledFrame[] frames = Frames(2, Tiny.ImageSize, seed: 5);
        try
        {
            string a = encoder.ExplainFrames(frames, maxTokens: 6);
            Assert.Equal(a, encoder.ExplainFrames(frames, maxTokens: 6));
            Assert.Equal(a.Trim(), a);
            // Greedy decoding is a prefix process: fewer tokens give a prefix of the longer text's tokens.
            string shorter = encoder.ExplainFrames(frames, maxTokens: 2);
            Assert.StartsWith(shorter, a, StringComparison.Ordinal);
            Assert.Equal(encoder.ExplainText("a dog runs"), encoder.ExplainText("a dog runs"));
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Fact]
    public void ExplainFrames_ZeroBottleneckTokens_DecodesFromTheLastFrameToken()
    {
        // K = 0 and K = 4 share every weight but the BToks for one seed, and the BToks come after the input (causal), so
        // the K = 4 model's last-token keys/values are the K = 0 model's: K = 0 read-back must decode from exactly those.
        using BtokEncoder k0 = BtokEncoder.CreateRandom(Tiny with { BottleneckTokens = 0 }, 5, Cpu);
        using BtokEncoder k4 = BtokEncoder.CreateRandom(Tiny, 5, Cpu);
        PooledFrame[] frames = Frames(2, Tiny.ImageSize, seed: 12);
        try
        {
            string text = k0.ExplainFrames(frames, maxTokens: 8);
            var embedding = new float[k0.Dimension];
            Assert.Equal(text, k0.EncodeAndExplainFrames(frames, embedding, maxTokens: 8));
            Assert.Equal(EncodeFrames(k0, frames), embedding);

            using var scope = NewDisposeScope();
            using IDisposable mode = inference_mode();
            BtokModel model = k4.Network;
            var pixels = new float[frames.Length * 3 * Tiny.ImageSize * Tiny.ImageSize];
            for (int i = 0; i < frames.Length; i++) frames[i].Pixels.CopyTo(pixels.AsSpan(i * frames[i].Pixels.Length));
            Tensor tokens = model.EmbedFrames(tensor(pixels, [frames.Length, 3, Tiny.ImageSize, Tiny.ImageSize])).unsqueeze(0);
            (_, KvCache lastToken) = model.EncodeWithCache(tokens, [0], CacheSlots.LastToken);
            int[] ids = model.GreedyDecode(lastToken, Gpt2Text.EndOfText, Gpt2Text.EndOfText, 8);
            Assert.Equal(Gpt2Text.Decode(ids).Trim(), text);
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Fact]
    public void ExplainFrames_WrongInputs_ThrowLikeEncodeFrames()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, 1, Cpu);
        PooledFrame[] wrongSize = Frames(2, 48, seed: 1);
        PooledFrame[] tooMany = Frames(Tiny.MaxFrames + 1, Tiny.ImageSize, seed: 1);
        try
        {
            var e = new float[encoder.Dimension];
            foreach (PooledFrame[] bad in new[] { wrongSize, tooMany, [] })
            {
                string expected = Assert.Throws<ArgumentException>(() => encoder.EncodeFrames(bad, e)).Message;
                Assert.Equal(expected, Assert.Throws<ArgumentException>(() => encoder.ExplainFrames(bad)).Message);
                Assert.Equal(expected, Assert.Throws<ArgumentException>(() => encoder.EncodeAndExplainFrames(bad, e)).Message);
            }
            Assert.Throws<ArgumentException>(() => encoder.EncodeAndExplainFrames(tooMany.AsSpan(0, 2), new float[3]));
            Assert.Throws<ArgumentOutOfRangeException>(() => encoder.ExplainFrames(tooMany.AsSpan(0, 2), maxTokens: 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => encoder.ExplainText("x", maxTokens: BtokEncoder.MaxExplainTokens + 1));
            Assert.Throws<ArgumentNullException>(() => encoder.ExplainText(null!));
            encoder.Dispose();
            Assert.Throws<ObjectDisposedException>(() => encoder.ExplainFrames(tooMany.AsSpan(0, 2)));
        }
        finally
        {
            DisposeAll(wrongSize);
            DisposeAll(tooMany);
        }
    }

    [Fact]
    public void Gpt2TextDecode_EncodedText_RoundTrips()
    {
        int[] ids = Gpt2Text.Encode("a red square moves left", 32);
        Assert.Equal(Gpt2Text.EndOfText, ids[^1]);
        Assert.Equal("a red square moves left", Gpt2Text.Decode(ids.AsSpan(0, ids.Length - 1)));
        Assert.Equal("", Gpt2Text.Decode([]));
    }
}
