using static MediaSdk.Model.Tests.TestModels;
using static TorchSharp.torch;

namespace MediaSdk.Model.Tests;

public sealed class OptimisedForwardTests
{
    [Theory]
    [InlineData(4, BtokPooling.Btok)]
    [InlineData(0, BtokPooling.LastToken)]
    public void EncodeFrames_DefaultConfig_EqualsReferenceForwardWithin1e5(int k, BtokPooling pooling)
    {
        BtokConfig config = BtokConfig.Default with { BottleneckTokens = k, Pooling = pooling };
        using BtokEncoder encoder = BtokEncoder.CreateRandom(config, 7, Cpu);
        var reference = new ReferenceForward(encoder.Network);
        PooledFrame[] frames = Frames(8, config.ImageSize, seed: 40);
        try
        {
            float[] fast = EncodeFrames(encoder, frames);
            float[] slow;
            using (NewDisposeScope())
            using (inference_mode())
                slow = ReferenceForward.ToArray(reference.EncodeWindow(ReferenceForward.Pixels(frames), encoder.Pooling));
            Assert.Equal(encoder.Dimension, slow.Length);
            Assert.True(MaxAbsDiff(fast, slow) <= 1e-5f, $"max abs difference {MaxAbsDiff(fast, slow)} > 1e-5");
            Assert.Equal(1.0, Norm(slow), 4); // the reference is a real embedding, not zeros
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(0)]
    public void StateDict_DefaultConfig_HasQwen2NamesAndShapes(int k)
    {
        BtokConfig c = BtokConfig.Default with { BottleneckTokens = k, Pooling = k == 0 ? BtokPooling.LastToken : BtokPooling.Btok };
        using BtokEncoder encoder = BtokEncoder.CreateRandom(c, 1, Cpu);
        long d = c.DModel, f = c.FfnDim;
        var expected = new Dictionary<string, long[]>
        {
            ["embed_tokens.weight"] = [c.VocabSize, d],
            ["patch_embed.proj.weight"] = [d, 3, c.PatchSize, c.PatchSize],
            ["patch_embed.proj.bias"] = [d],
            ["patch_embed.temporal_embed"] = [c.MaxFrames, d],
            ["norm.weight"] = [d],
        };
        if (k > 0) expected["btoks"] = [k, d];
        for (int i = 0; i < c.Layers; i++)
        {
            string p = $"layers.{i}.";
            expected[p + "input_layernorm.weight"] = [d];
            expected[p + "post_attention_layernorm.weight"] = [d];
            foreach (string proj in new[] { "q", "k", "v" })
            {
                expected[p + $"self_attn.{proj}_proj.weight"] = [d, d];
                expected[p + $"self_attn.{proj}_proj.bias"] = [d];
            }
            expected[p + "self_attn.o_proj.weight"] = [d, d];
            expected[p + "mlp.gate_proj.weight"] = [f, d];
            expected[p + "mlp.up_proj.weight"] = [f, d];
            expected[p + "mlp.down_proj.weight"] = [d, f];
        }
        Dictionary<string, Tensor> actual = encoder.Network.state_dict();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach ((string name, long[] shape) in expected) Assert.True(shape.SequenceEqual(actual[name].shape), $"{name}: [{string.Join(",", actual[name].shape)}]");
    }
}
