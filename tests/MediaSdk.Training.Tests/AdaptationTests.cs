using MediaSdk.Model;
using MediaSdk.Model.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Training.Tests;

/// <summary>LoRA attach / merge-on-export and parameter freezing on a small float32 CPU model.</summary>
public sealed class AdaptationTests : IDisposable
{
    private const double MergeTolerance = 1e-5;
    private const string Text = "a red kite over the beach";

    private static readonly BtokConfig Small = SmallModels.Gpt2Vocabulary with { ModelId = "lora-test" };

    private static readonly EncoderOptions Cpu = new() { Device = EncoderDevice.Cpu, Threads = 2 };

    // Base parameters: patch_embed (3), embed_tokens (1), 12 per layer, final norm (1), btoks (1).
    private static readonly string[] s_vision = ["patch_embed.proj.weight", "patch_embed.proj.bias", "patch_embed.temporal_embed"];
    private static readonly string[] s_text = ["embed_tokens.weight"];
    private static readonly string[] s_layerParams =
    [
        "input_layernorm.weight",
        "self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.weight", "self_attn.k_proj.bias",
        "self_attn.v_proj.weight", "self_attn.v_proj.bias", "self_attn.o_proj.weight",
        "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
    ];
    private static readonly string[] s_wrapped = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.down_proj"];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "mediasdk-lora-" + Guid.NewGuid().ToString("N"));
    private readonly PooledFrame[] _frames = Frames(Small.MaxFrames, Small.ImageSize, seed: 5);

    public void Dispose()
    {
        foreach (PooledFrame f in _frames) f.Dispose();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void AttachLora_Fresh_EmbeddingsBitIdenticalAndAdaptersNamed()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, 7, Cpu);
        BtokModel model = encoder.Network;
        float[] frames = EncodeFrames(encoder), text = EncodeText(encoder);
        HashSet<string> baseKeys = [.. model.state_dict().Keys];

        Adaptation.AttachLora(model, LoraOptions.Default, seed: 3);

        Assert.True(Adaptation.HasLora(model));
        Assert.Equal(frames, EncodeFrames(encoder));
        Assert.Equal(text, EncodeText(encoder));
        // Base names unchanged, plus lora_A / lora_B beside each wrapped projection.
        HashSet<string> keys = [.. model.state_dict().Keys];
        Assert.True(baseKeys.IsSubsetOf(keys));
        Assert.Equal(LoraNames(), keys.Except(baseKeys).Order(StringComparer.Ordinal));
        Parameter a = model.get_parameter("layers.1.self_attn.v_proj_lora.lora_A")!;
        Parameter b = model.get_parameter("layers.1.mlp.down_proj_lora.lora_B")!;
        Assert.Equal(new long[] { 16, Small.DModel }, a.shape);
        Assert.Equal(new long[] { Small.DModel, 16 }, b.shape);
        Assert.Equal(new long[] { 16, Small.FfnDim }, model.get_parameter("layers.1.mlp.down_proj_lora.lora_A")!.shape);
        Assert.True(a.abs().max().item<float>() > 0);
        Assert.Equal(0f, b.abs().max().item<float>());
    }

    [Fact]
    public void AttachLora_SameSeed_SameAdaptersAndOtherSeedDiffers()
    {
        using BtokEncoder first = BtokEncoder.CreateRandom(Small, 7, Cpu);
        using BtokEncoder second = BtokEncoder.CreateRandom(Small, 7, Cpu);
        using BtokEncoder third = BtokEncoder.CreateRandom(Small, 7, Cpu);
        Adaptation.AttachLora(first.Network, LoraOptions.Default, seed: 11);
        Adaptation.AttachLora(second.Network, LoraOptions.Default, seed: 11);
        Adaptation.AttachLora(third.Network, LoraOptions.Default, seed: 12);
        foreach (string name in LoraNames().Where(n => n.EndsWith("lora_A", StringComparison.Ordinal)))
        {
            Tensor a = first.Network.get_parameter(name)!;
            Assert.True(a.eq(second.Network.get_parameter(name)!).all().item<bool>(), name);
            Assert.False(a.eq(third.Network.get_parameter(name)!).all().item<bool>(), name);
        }
    }

    [Fact]
    public void MergeLora_TrainedAdapters_SameEmbeddingsAsAdapterFormAndPlainCheckpoint()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, 7, Cpu);
        BtokModel model = encoder.Network;
        float[] baseFrames = EncodeFrames(encoder), baseText = EncodeText(encoder);
        HashSet<string> plainKeys = [.. model.state_dict().Keys];

        Adaptation.AttachLora(model, new LoraOptions(Rank: 4, Alpha: 8), seed: 3);
        Adaptation.Freeze(model, FreezeParts.AllButBtoks);
        Train(model, encoder.Pooling, steps: 5);

        float[] adaptedFrames = EncodeFrames(encoder), adaptedText = EncodeText(encoder);
        // The adapters learned something, so the merge comparison below is not trivially true.
        Assert.True(MaxDifference(baseFrames, adaptedFrames) > 1e-4, "training did not change the frame embedding");
        Assert.True(MaxDifference(baseText, adaptedText) > 1e-4, "training did not change the text embedding");

        Adaptation.MergeLora(model);

        Assert.False(Adaptation.HasLora(model));
        AssertClose(adaptedFrames, EncodeFrames(encoder), "frame window");
        AssertClose(adaptedText, EncodeText(encoder), "text");
        Assert.Equal(plainKeys.Order(StringComparer.Ordinal), model.state_dict().Keys.Order(StringComparer.Ordinal));

        // The merged model saves as a normal checkpoint that loads back to the same embeddings.
        string dir = Path.Combine(_root, "merged");
        encoder.Save(dir);
        using BtokEncoder loaded = BtokEncoder.Load(dir, Cpu);
        Assert.Equal(EncodeFrames(encoder), EncodeFrames(loaded));
        Assert.Equal(EncodeText(encoder), EncodeText(loaded));

        // Merging again is a no-op.
        Adaptation.MergeLora(model);
        Assert.Equal(EncodeText(encoder), EncodeText(loaded));
    }

    [Fact]
    public void AttachLora_WithFreezeAllButBtoks_OnlyAdaptersAndBtoksTrainAndGradientsReachB()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, 7, Cpu);
        BtokModel model = encoder.Network;
        Adaptation.AttachLora(model, LoraOptions.Default, seed: 3);

        // Attaching alone freezes exactly the wrapped projections' weights and biases.
        string[] frozen = [.. model.named_parameters().Where(p => !p.parameter.requires_grad).Select(p => p.name).Order(StringComparer.Ordinal)];
        string[] expectedFrozen =
        [
            .. Layered(s_layerParams.Where(p => s_wrapped.Any(w => p.StartsWith(w + ".", StringComparison.Ordinal)))),
        ];
        Assert.Equal(expectedFrozen.Order(StringComparer.Ordinal), frozen);

        Adaptation.Freeze(model, FreezeParts.AllButBtoks);
        string[] trainable = [.. Adaptation.Trainable(model).Select(p => p.Name).Order(StringComparer.Ordinal)];
        Assert.Equal(LoraNames().Append(BtokModel.BtoksName).Order(StringComparer.Ordinal), trainable);
        // In named_parameters order.
        Assert.Equal(model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name), Adaptation.Trainable(model).Select(p => p.Name));

        using (NewDisposeScope())
        {
            Loss(model, encoder.Pooling).backward();
        }
        foreach (string name in LoraNames())
        {
            Tensor? grad = model.get_parameter(name)!.grad;
            Assert.NotNull(grad);
            double norm = grad!.abs().max().item<float>();
            // B starts at zero, so A's first gradient is exactly zero and B's is not.
            if (name.EndsWith("lora_B", StringComparison.Ordinal)) Assert.True(norm > 0, $"{name} got no gradient");
            else Assert.Equal(0.0, norm);
        }
        Assert.NotNull(model.get_parameter(BtokModel.BtoksName)!.grad);
        Assert.Null(model.get_parameter("layers.0.self_attn.q_proj.weight")!.grad);
        Assert.Null(model.get_parameter("patch_embed.proj.weight")!.grad);
    }

    [Fact]
    public void MergeLora_AfterAttachOnly_RestoresTrainableFlags()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, 7, Cpu);
        BtokModel model = encoder.Network;
        Adaptation.Freeze(model, FreezeParts.Vision);
        string[] before = [.. Adaptation.Trainable(model).Select(p => p.Name)];
        Adaptation.AttachLora(model, LoraOptions.Default, seed: 3);
        Adaptation.MergeLora(model);
        Assert.Equal(before, Adaptation.Trainable(model).Select(p => p.Name));
    }

    [Fact]
    public void AttachLora_TwiceOrBadOptions_Throws()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, 7, Cpu);
        Assert.Throws<ArgumentException>(() => Adaptation.AttachLora(encoder.Network, new LoraOptions(0, 32), 1));
        Assert.Throws<ArgumentException>(() => Adaptation.AttachLora(encoder.Network, new LoraOptions(4, 0), 1));
        Assert.False(Adaptation.HasLora(encoder.Network));
        Adaptation.AttachLora(encoder.Network, LoraOptions.Default, 1);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => Adaptation.AttachLora(encoder.Network, LoraOptions.Default, 1));
        Assert.Contains("MergeLora", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData((int)FreezeParts.None)]
    [InlineData((int)FreezeParts.Vision)]
    [InlineData((int)FreezeParts.Text)]
    [InlineData((int)FreezeParts.Backbone)]
    [InlineData((int)(FreezeParts.Vision | FreezeParts.Text))]
    [InlineData((int)FreezeParts.AllButBtoks)]
    public void Freeze_EachPart_FreezesExactlyItsParameters(int partBits) // int: the enum is internal, the test public
    {
        var parts = (FreezeParts)partBits;
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, 7, Cpu);
        BtokModel model = encoder.Network;
        var expected = new List<string>();
        if (parts.HasFlag(FreezeParts.Vision)) expected.AddRange(s_vision);
        if (parts.HasFlag(FreezeParts.Text)) expected.AddRange(s_text);
        if (parts.HasFlag(FreezeParts.Backbone)) expected.AddRange([.. Layered(s_layerParams), "norm.weight"]);

        Adaptation.Freeze(model, parts);

        string[] all = [.. model.named_parameters().Select(p => p.name)];
        Assert.Equal(s_vision.Length + s_text.Length + Small.Layers * s_layerParams.Length + 2, all.Length);
        string[] frozen = [.. model.named_parameters().Where(p => !p.parameter.requires_grad).Select(p => p.name)];
        Assert.Equal(expected.Order(StringComparer.Ordinal), frozen.Order(StringComparer.Ordinal));
        Assert.True(model.get_parameter(BtokModel.BtoksName)!.requires_grad);
        Assert.Equal(all.Length - frozen.Length, Adaptation.Trainable(model).Count);
    }

    [Fact]
    public void Freeze_WithLora_AdaptersStayTrainable()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, 7, Cpu);
        BtokModel model = encoder.Network;
        Adaptation.AttachLora(model, LoraOptions.Default, seed: 3);
        Adaptation.Freeze(model, FreezeParts.Backbone);
        foreach (string name in LoraNames()) Assert.True(model.get_parameter(name)!.requires_grad, name);
        Assert.True(model.get_parameter("embed_tokens.weight")!.requires_grad);
        Assert.False(model.get_parameter("layers.0.mlp.gate_proj.weight")!.requires_grad);
    }

    [Theory]
    [InlineData("none", (int)FreezeParts.None)]
    [InlineData("", (int)FreezeParts.None)]
    [InlineData("vision", (int)FreezeParts.Vision)]
    [InlineData(" Vision , TEXT ", (int)(FreezeParts.Vision | FreezeParts.Text))]
    [InlineData("backbone,none", (int)FreezeParts.Backbone)]
    [InlineData("all-but-btoks", (int)FreezeParts.AllButBtoks)]
    [InlineData("vision,text,backbone", (int)FreezeParts.AllButBtoks)]
    public void ParseFreeze_ValidText_Parses(string text, int expected) =>
        Assert.Equal((FreezeParts)expected, Adaptation.ParseFreeze(text));

    [Theory]
    [InlineData("visoin")]
    [InlineData("vision,btoks")]
    [InlineData("all")]
    public void ParseFreeze_UnknownPart_ThrowsOneLineListingValidNames(string text)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Adaptation.ParseFreeze(text));
        string message = error.Message;
        Assert.DoesNotContain('\n', message);
        foreach (string valid in new[] { "none", "vision", "text", "backbone", "all-but-btoks" }) Assert.Contains(valid, message, StringComparison.Ordinal);
    }

    /// <summary>A few AdamW steps on the adapters (and BToks) pulling the frame and text embeddings together.</summary>
    private void Train(BtokModel model, BtokPooling pooling, int steps)
    {
        var parameters = Adaptation.Trainable(model).Select(p => p.Parameter).ToList();
        using var optimizer = optim.AdamW(parameters, lr: 1e-2);
        for (int i = 0; i < steps; i++)
        {
            using DisposeScope scope = NewDisposeScope();
            optimizer.zero_grad();
            Loss(model, pooling).backward();
            optimizer.step();
        }
    }

    /// <summary>1 - cos(frame window, text), through the same internal forward as the encoder, with gradients.</summary>
    private Tensor Loss(BtokModel model, BtokPooling pooling)
    {
        Tensor pixels = empty(_frames.Length, 3, Small.ImageSize, Small.ImageSize, dtype: ScalarType.Float32);
        using (var access = pixels.data<float>())
        {
            long offset = 0;
            foreach (PooledFrame frame in _frames)
            {
                access.CopyFrom(frame.Pixels, 0, offset);
                offset += frame.Length;
            }
        }
        Tensor video = model.Embed(model.EmbedFrames(pixels).unsqueeze(0), [0], pooling);
        Tensor ids = tensor(new long[] { 64, 3290, 318, 1175, 262 }, [1, 5], dtype: ScalarType.Int64);
        Tensor text = model.Embed(model.EmbedTokens(ids), [0], pooling);
        return 1 - (video * text).sum();
    }

    private float[] EncodeFrames(BtokEncoder encoder)
    {
        var e = new float[encoder.Dimension];
        encoder.EncodeFrames(_frames, e);
        return e;
    }

    private static float[] EncodeText(BtokEncoder encoder)
    {
        var e = new float[encoder.Dimension];
        encoder.EncodeText(Text, e);
        return e;
    }

    private static PooledFrame[] Frames(int count, int size, int seed)
    {
        var random = new Random(seed);
        var frames = new PooledFrame[count];
        for (int i = 0; i < count; i++)
        {
            frames[i] = PooledFrame.Rent(size, i * 0.5, 0);
            Span<float> pixels = frames[i].Pixels;
            for (int j = 0; j < pixels.Length; j++) pixels[j] = (float)(random.NextDouble() * 2.0 - 1.0);
        }
        return frames;
    }

    private static IEnumerable<string> Layered(IEnumerable<string> names)
    {
        var list = names.ToList();
        for (int layer = 0; layer < Small.Layers; layer++)
            foreach (string name in list) yield return $"layers.{layer}.{name}";
    }

    private static IEnumerable<string> LoraNames() =>
        Layered(s_wrapped.SelectMany(w => new[] { w + "_lora.lora_A", w + "_lora.lora_B" })).Order(StringComparer.Ordinal);

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        double scale = expected.Max(x => Math.Abs((double)x));
        double error = MaxDifference(expected, actual);
        Assert.True(error <= MergeTolerance * scale, $"{what}: merged differs from the adapter form by {error:G3} (scale {scale:G3})");
    }
}
