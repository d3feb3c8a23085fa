using MediaSdk.Model;
using MediaSdk.Model.Nn;
using TorchSharp;
using static MediaSdk.Model.Tests.TestModels;

namespace MediaSdk.Model.Tests;

public sealed class BtokEncoderTests
{
    [Fact]
    public void EncodeFrames_TinyModel_ReturnsUnitNormEmbeddingOfDimension()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, seed: 1, Cpu);
        PooledFrame[] frames = Frames(4, Tiny.ImageSize, seed: 10);
        try
        {
            float[] e = EncodeFrames(encoder, frames);
            Assert.Equal(Tiny.DModel, encoder.Dimension);
            Assert.Equal(Tiny.DModel, e.Length);
            Assert.Equal(1.0, Norm(e), 5);
            Assert.All(e, x => Assert.True(float.IsFinite(x)));
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Fact]
    public void EncodeText_TinyModel_ReturnsUnitNormEmbeddingOfDimension()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, seed: 1, Cpu);
        float[] e = EncodeText(encoder, "a dog runs across the park");
        Assert.Equal(1.0, Norm(e), 5);
        float[] empty = EncodeText(encoder, "");
        Assert.Equal(1.0, Norm(empty), 5);
        Assert.NotEqual(e, empty);
    }

    [Fact]
    public void Metadata_FromConfig_StampsModelAndPreprocess()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, seed: 1, Cpu);
        Assert.Equal(new ModelStamp("tiny-test", "0.0.1"), encoder.Model);
        Assert.Equal(Tiny.ImageSize, encoder.Preprocess.Size);
        Assert.Equal("cpu", encoder.DeviceName);
        Assert.Equal("float32", encoder.DTypeName);
        Assert.Equal(Tiny, encoder.Config);
        Assert.Equal(BtokPooling.Btok, encoder.Pooling);
    }

    [Fact]
    public void PoolingOverride_BtokLastTokenMean_GiveDifferentEmbeddings()
    {
        using BtokEncoder btok = BtokEncoder.CreateRandom(Tiny, 3, Cpu with { Pooling = BtokPooling.Btok });
        using BtokEncoder last = BtokEncoder.CreateRandom(Tiny, 3, Cpu with { Pooling = BtokPooling.LastToken });
        using BtokEncoder mean = BtokEncoder.CreateRandom(Tiny, 3, Cpu with { Pooling = BtokPooling.Mean });
        PooledFrame[] frames = Frames(3, Tiny.ImageSize, seed: 11);
        try
        {
            float[][] video = [EncodeFrames(btok, frames), EncodeFrames(last, frames), EncodeFrames(mean, frames)];
            float[][] text = [EncodeText(btok, "a red car"), EncodeText(last, "a red car"), EncodeText(mean, "a red car")];
            foreach (float[][] set in new[] { video, text })
            {
                foreach (float[] e in set) Assert.Equal(1.0, Norm(e), 5);
                Assert.True(MaxAbsDiff(set[0], set[1]) > 1e-4f);
                Assert.True(MaxAbsDiff(set[0], set[2]) > 1e-4f);
                Assert.True(MaxAbsDiff(set[1], set[2]) > 1e-4f);
            }
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Fact]
    public void ZeroBottleneckTokens_BtokPooling_ReadsLastTokenLikeAModelWithBtoks()
    {
        // btoks is the last parameter initialised, so K = 0 and K = 4 share every other weight for one seed; the
        // last-token readout must not depend on BToks that come after it (causal attention).
        using BtokEncoder k0 = BtokEncoder.CreateRandom(Tiny with { BottleneckTokens = 0 }, 5, Cpu);
        using BtokEncoder k4Last = BtokEncoder.CreateRandom(Tiny, 5, Cpu with { Pooling = BtokPooling.LastToken });
        using BtokEncoder k4 = BtokEncoder.CreateRandom(Tiny, 5, Cpu);
        Assert.Equal(BtokPooling.LastToken, k0.Pooling);
        PooledFrame[] frames = Frames(2, Tiny.ImageSize, seed: 12);
        try
        {
            float[] a = EncodeFrames(k0, frames);
            Assert.Equal(1.0, Norm(a), 5);
            Assert.Equal(a, EncodeFrames(k4Last, frames));
            Assert.NotEqual(a, EncodeFrames(k4, frames));
            Assert.Equal(EncodeText(k0, "hello"), EncodeText(k4Last, "hello"));
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Fact]
    public void CreateRandom_SameSeed_BitIdenticalOutputs_DifferentSeedDiffers()
    {
        using BtokEncoder a = BtokEncoder.CreateRandom(Tiny, 42, Cpu);
        using BtokEncoder b = BtokEncoder.CreateRandom(Tiny, 42, Cpu);
        using BtokEncoder c = BtokEncoder.CreateRandom(Tiny, 43, Cpu);
        PooledFrame[] frames = Frames(4, Tiny.ImageSize, seed: 13);
        try
        {
            Assert.Equal(EncodeFrames(a, frames), EncodeFrames(b, frames));
            Assert.Equal(EncodeText(a, "query"), EncodeText(b, "query"));
            Assert.True(MaxAbsDiff(EncodeFrames(a, frames), EncodeFrames(c, frames)) > 1e-4f);
            Assert.True(MaxAbsDiff(EncodeText(a, "query"), EncodeText(c, "query")) > 1e-4f);
            AssertSameBytes(ParameterBytes(a), ParameterBytes(b));
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Fact]
    public void EncodeText_SameStringTwice_IdenticalBits()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, 7, Cpu);
        float[] first = EncodeText(encoder, "a person opens a door");
        EncodeText(encoder, "something else in between");
        Assert.Equal(first, EncodeText(encoder, "a person opens a door"));
    }

    [Fact]
    public void EncodeTexts_PaddedBatch_EachRowEqualsTextAlone()
    {
        string[] texts = ["hi", "a much longer caption about a cat sleeping on a warm windowsill", "", "two words"];
        foreach (BtokPooling pooling in Enum.GetValues<BtokPooling>())
        {
            using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, 8, Cpu with { Pooling = pooling });
            var batch = new float[texts.Length * encoder.Dimension];
            encoder.EncodeTexts(texts, batch);
            for (int i = 0; i < texts.Length; i++)
            {
                float[] alone = EncodeText(encoder, texts[i]);
                float diff = MaxAbsDiff(alone, batch.AsSpan(i * encoder.Dimension, encoder.Dimension));
                Assert.True(diff <= 1e-5f, $"{pooling}: text {i} differs by {diff} between batch and alone");
            }
        }
    }

    [Fact]
    public void Hidden_AppendedBtoks_LeaveEarlierStatesUnchanged()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, 9, Cpu);
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        torch.Tensor ids = torch.tensor(new long[] { 10, 20, 30, 40, 50 }, [1, 5]);
        torch.Tensor inputs = encoder.Network.EmbedTokens(ids);
        torch.Tensor without = encoder.Network.Hidden(inputs, [0], appendBtoks: false);
        torch.Tensor with = encoder.Network.Hidden(inputs, [0], appendBtoks: true);
        Assert.Equal([1L, 5L + Tiny.BottleneckTokens, Tiny.DModel], with.shape);
        float diff = (with.narrow(1, 0, 5) - without).abs().max().item<float>();
        Assert.True(diff <= 1e-6f, $"BToks changed earlier positions by {diff}");
    }

    [Theory]
    [InlineData(VisionStem.Patch)]
    [InlineData(VisionStem.Conv)]
    public void PatchEmbed_MatmulPath_EqualsConvolution(VisionStem stem)
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(BtokConfig.Default with { MaxFrames = 3, VisionStem = stem }, 10, Cpu);
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        torch.Tensor frames = torch.rand(3, 3, 112, 112) * 2 - 1;
        torch.Tensor fast = encoder.Network.PatchEmbed.forward(frames);
        torch.Tensor reference = encoder.Network.PatchEmbed.ForwardWithConvolution(frames);
        Assert.Equal([3L * 49, 256L], fast.shape);
        float diff = (fast - reference).abs().max().item<float>();
        Assert.True(diff <= 1e-5f, $"patchify differs from the convolution by {diff}");
    }

    [Fact]
    public void ConvStem_HeInitialisedAndSeesAcrossPatchBorders()
    {
        BtokConfig conv = Tiny with { VisionStem = VisionStem.Conv };
        using BtokEncoder encoder = BtokEncoder.CreateRandom(conv, 10, Cpu);
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        // He init on the convolutions (std sqrt(2 / fan_in)), the usual 0.02 on the projection after them.
        var parameters = encoder.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(Math.Sqrt(2.0 / 27), parameters["patch_embed.stem.0.weight"].std().item<float>(), 0.05);
        Assert.Equal(0.02, parameters["patch_embed.stem_proj.weight"].std().item<float>(), 0.005);

        // A pixel on patch 0's right edge reaches patch 1's token through the stacked 3x3 receptive fields (a plain
        // patch projection could not), while the far corner patch's token is untouched.
        torch.Tensor frame = torch.zeros(1, 3, conv.ImageSize, conv.ImageSize);
        torch.Tensor moved = frame.clone();
        moved[0, 0, 1, conv.PatchSize - 1] = 1;
        torch.Tensor delta = (encoder.Network.PatchEmbed.forward(moved) - encoder.Network.PatchEmbed.forward(frame)).abs().sum(1);
        Assert.True(delta[1].item<float>() > 0, "the conv stem must see across the patch border");
        Assert.Equal(0f, delta[conv.TokensPerFrame - 1].item<float>());
    }

    [Fact]
    public void FrameSummaryToken_FollowsEachFrameAndIgnoresWhereThePatchesAre()
    {
        BtokConfig config = Tiny with { FrameSummaryToken = true };
        Assert.Equal(5, config.TokensPerFrame);
        using BtokEncoder encoder = BtokEncoder.CreateRandom(config, 10, Cpu);
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        int p = config.PatchSize;
        torch.Tensor frames = torch.rand(2, 3, config.ImageSize, config.ImageSize) * 2 - 1;
        // The same frames with their two top patches swapped: the patch tokens swap, their channel-wise max does not.
        torch.Tensor swapped = frames.clone();
        swapped[.., .., ..p, ..p] = frames[.., .., ..p, p..];
        swapped[.., .., ..p, p..] = frames[.., .., ..p, ..p];
        torch.Tensor a = encoder.Network.PatchEmbed.forward(frames), b = encoder.Network.PatchEmbed.forward(swapped);
        Assert.Equal([2L * 5, (long)config.DModel], a.shape);
        for (int f = 0; f < 2; f++)
        {
            int first = f * 5;
            Assert.True((a[first] - b[first + 1]).abs().max().item<float>() <= 1e-5f, "patch tokens must swap");
            Assert.True((a[first + 4] - b[first + 4]).abs().max().item<float>() <= 1e-5f, "the summary token must not move");
        }
        Assert.True((a[4] - a[9]).abs().max().item<float>() > 1e-3f, "each frame has its own summary token");
    }

    [Theory]
    [InlineData(VisionStem.Patch)]
    [InlineData(VisionStem.Conv)]
    public void PatchColour_AddsEachQuadrantsMeanColourToItsOwnPatch(VisionStem stem)
    {
        BtokConfig config = Tiny with { VisionStem = stem, PatchColour = true };
        using BtokEncoder encoder = BtokEncoder.CreateRandom(config, 10, Cpu);
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        int p = config.PatchSize, g = config.ImageSize / p;
        // Black, with red in the top-right quadrant of the patch at row 1, column 1 (raster token g + 1).
        torch.Tensor frames = torch.full(1, 3, config.ImageSize, config.ImageSize, -1f);
        frames[0, 0, p..(p + (p / 2)), (p + (p / 2))..(2 * p)] = torch.tensor(1f);
        var embed = encoder.Network.PatchEmbed;
        torch.Tensor with = embed.forward(frames);
        (string name, TorchSharp.Modules.Parameter parameter)[] colour = [.. embed.named_parameters().Where(n => n.name.StartsWith("patch_colour.", StringComparison.Ordinal))];
        Assert.Equal(2, colour.Length);
        torch.Tensor weight = colour.Single(n => n.name == "patch_colour.weight").parameter.clone();
        torch.Tensor bias = colour.Single(n => n.name == "patch_colour.bias").parameter.clone();
        foreach (var (_, parameter) in colour) parameter.zero_();
        torch.Tensor added = with - embed.forward(frames); // what the colour path added, per token

        // Quadrant features are channel-major, then row and column within the patch: red's top-right is index 1.
        float[] black = [.. Enumerable.Repeat(-1f, 12)];
        float[] red = [.. black];
        red[1] = 1f;
        torch.Tensor expectBlack = torch.nn.functional.linear(torch.tensor(black), weight, bias);
        torch.Tensor expectRed = torch.nn.functional.linear(torch.tensor(red), weight, bias);
        for (int token = 0; token < g * g; token++)
        {
            torch.Tensor expect = token == g + 1 ? expectRed : expectBlack;
            double error = (added[token] - expect).abs().max().item<float>();
            Assert.True(error < 1e-5, $"token {token}: the colour path added the wrong colour (max error {error})");
        }
        using BtokEncoder plain = BtokEncoder.CreateRandom(Tiny, 10, Cpu);
        Assert.DoesNotContain(plain.Network.PatchEmbed.named_parameters(), n => n.name.StartsWith("patch_colour.", StringComparison.Ordinal));
        Assert.Contains("PatchSize", Assert.Throws<ArgumentException>(() =>
            BtokEncoder.CreateRandom(Tiny with { PatchColour = true, PatchSize = 7, ImageSize = 35 }, 1, Cpu)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FrameSummaryWhere_SummaryFollowsWhereTheObjectIs()
    {
        BtokConfig config = Tiny with { FrameSummaryToken = true, FrameSummaryWhere = true };
        Assert.Equal(5, config.TokensPerFrame);
        using BtokEncoder encoder = BtokEncoder.CreateRandom(config, 10, Cpu);
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        int p = config.PatchSize, s = config.ImageSize;
        // A bright square on black in the top-left patch, then the same square in the top-right patch.
        torch.Tensor frames = torch.full(2, 3, s, s, -1f);
        frames[0, .., ..p, ..p] = torch.tensor(1f);
        frames[1, .., ..p, (s - p)..] = torch.tensor(1f);
        torch.Tensor tokens = encoder.Network.PatchEmbed.forward(frames);
        torch.Tensor left = tokens[4], right = tokens[9];
        // The patch tokens are the same set in both frames, so a max-only summary would be equal up to the temporal row.
        torch.Tensor temporal = encoder.Network.PatchEmbed.named_parameters().Single(n => n.name == "temporal_embed").parameter;
        double moved = ((left - temporal[0]) - (right - temporal[1])).abs().max().item<float>();
        Assert.True(moved > 1e-3, $"the where-summary must change when the object moves (max difference {moved})");

        Assert.Contains("FrameSummaryToken", Assert.Throws<ArgumentException>(() =>
            BtokEncoder.CreateRandom(Tiny with { FrameSummaryWhere = true }, 1, Cpu)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MotionToken_ClipEndsWithWhatChanges_ImagesGetNone()
    {
        BtokConfig config = Tiny with { FrameSummaryToken = true, FrameSummaryWhere = true, MotionToken = true };
        using BtokEncoder encoder = BtokEncoder.CreateRandom(config, 10, Cpu);
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        int p = config.PatchSize, s = config.ImageSize;
        // A bright square crossing the top row of patches, left to right, over three frames.
        torch.Tensor frames = torch.full(3, 3, s, s, -1f);
        for (int i = 0; i < 3; i++) frames[i, .., ..p, (i * p)..((i + 1) * p)] = torch.tensor(1f);
        var embed = encoder.Network.PatchEmbed;
        torch.Tensor forward = embed.forward(frames), backward = embed.forward(frames.flip(0));
        Assert.Equal(3 * config.TokensPerFrame + 1, forward.shape[0]);
        Assert.Equal(config.TokensPerFrame, embed.forward(frames.narrow(0, 0, 1)).shape[0]);
        // Left-to-right and right-to-left hold the same frames; only the motion token tells them apart by order alone.
        double turned = (forward[-1] - backward[-1]).abs().max().item<float>();
        Assert.True(turned > 1e-3, $"the motion token must change when the motion reverses (max difference {turned})");
        // A still clip changes nothing: its motion token is the projection's bias.
        torch.Tensor still = embed.forward(frames.narrow(0, 0, 1).expand(3, -1, -1, -1).contiguous());
        torch.Tensor bias = embed.named_parameters().Single(n => n.name == "motion_token.bias").parameter;
        Assert.True((still[-1] - bias).abs().max().item<float>() < 1e-5, "a still clip's motion token must be the bias alone");

        Assert.Contains("FrameSummaryToken", Assert.Throws<ArgumentException>(() =>
            BtokEncoder.CreateRandom(Tiny with { MotionToken = true }, 1, Cpu)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MotionTrace_FollowsTheMovingSquare_NotNoiseOrLight()
    {
        using var scope = torch.NewDisposeScope();
        const int s = 48, side = 8, f = 8;
        // A bright square moving left along the middle row over a noisy, brightening plain background.
        torch.Tensor frames = torch.full(f, 3, s, s, -0.5f) + (0.05f * torch.randn(f, 3, s, s, generator: new torch.Generator(3)));
        for (int i = 0; i < f; i++)
        {
            frames[i] += 0.02f * i; // a lighting ramp touches every pixel
            int x = 36 - (4 * i);
            frames[i, .., 20..(20 + side), x..(x + side)] = torch.tensor(1f);
        }
        torch.Tensor picked = torch.tensor(new long[] { 0, f / 2, f - 1 });
        float[] trace = PatchEmbed.Trace(frames, picked).data<float>().ToArray(); // per frame: x, y, spread x, spread y, strength
        float x0 = trace[0], xMid = trace[5], xLast = trace[10];
        Assert.True(x0 > xMid && xMid > xLast, $"the centre must move left with the square (x {x0:F2}, {xMid:F2}, {xLast:F2})");
        Assert.True(x0 - xLast > 0.6, $"the square crosses more than half the frame; the trace moved {x0 - xLast:F2}");
        Assert.All(new[] { trace[1], trace[6], trace[11] }, y => Assert.InRange(y, -0.25f, 0.15f)); // rows 20-27 of 48

        // Transposed, the same motion goes up the rows.
        torch.Tensor down = frames.transpose(2, 3);
        float[] turned = PatchEmbed.Trace(down, picked).data<float>().ToArray();
        Assert.True(turned[1] > turned[6] && turned[6] > turned[11], "transposed, the square moves up the rows instead");

        // A still clip has no trace: nothing differs from its median frame.
        float[] still = PatchEmbed.Trace(frames.narrow(0, 0, 1).expand(f, -1, -1, -1).contiguous(), picked).data<float>().ToArray();
        Assert.All(still, v => Assert.InRange(v, -1e-4f, 1e-4f));

        Assert.Contains("MotionToken", Assert.Throws<ArgumentException>(() =>
            BtokEncoder.CreateRandom(Tiny with { FrameSummaryToken = true, MotionTrace = true }, 1, Cpu)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvStem_PatchSizeNotMultipleOf8_Refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => BtokEncoder.CreateRandom(Tiny with { VisionStem = VisionStem.Conv, PatchSize = 4, ImageSize = 32 }, 1, Cpu));
        Assert.Contains("multiple of 8", ex.Message);
    }

    [Fact]
    public void EncodeFrames_WrongInputs_ThrowArgumentException()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, 1, Cpu);
        PooledFrame[] wrongSize = Frames(2, 48, seed: 1);
        PooledFrame[] tooMany = Frames(Tiny.MaxFrames + 1, Tiny.ImageSize, seed: 1);
        try
        {
            var e = new float[encoder.Dimension];
            Assert.Contains("48 px", Assert.Throws<ArgumentException>(() => encoder.EncodeFrames(wrongSize, e)).Message);
            Assert.Throws<ArgumentException>(() => encoder.EncodeFrames(tooMany, e));
            Assert.Throws<ArgumentException>(() => encoder.EncodeFrames(ReadOnlySpan<PooledFrame>.Empty, e));
            Assert.Throws<ArgumentException>(() => encoder.EncodeFrames(tooMany.AsSpan(0, 2), new float[3]));
            Assert.Throws<ArgumentException>(() => encoder.EncodeText("x", new float[encoder.Dimension + 1]));
        }
        finally
        {
            DisposeAll(wrongSize);
            DisposeAll(tooMany);
        }
    }

    [Fact]
    public void CreateRandom_InvalidConfig_ThrowsNamingTheField()
    {
        var ex = Assert.Throws<ArgumentException>(() => BtokEncoder.CreateRandom(Tiny with { DModel = 30, Heads = 4 }, 1, Cpu));
        Assert.Contains("DModel", ex.Message);
        Assert.Throws<ArgumentException>(() => BtokEncoder.CreateRandom(Tiny with { ImageSize = 40 }, 1, Cpu));
        Assert.Throws<ArgumentException>(() => BtokEncoder.CreateRandom(Tiny with { Tokenizer = "bert" }, 1, Cpu));
    }

    [Fact]
    public void CreateRandom_CudaRequestedWithoutGpu_ThrowsDeviceUnavailable()
    {
        Assert.SkipWhen(torch.cuda.is_available(), "This machine has CUDA; the unavailable path cannot be exercised.");
        var ex = Assert.Throws<DeviceUnavailableException>(() => BtokEncoder.CreateRandom(Tiny, 1, Cpu with { Device = EncoderDevice.Cuda }));
        Assert.Contains("MediaSdkTorchBackend", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        using BtokEncoder auto = BtokEncoder.CreateRandom(Tiny, 1, Cpu with { Device = EncoderDevice.Auto });
        Assert.Equal("cpu", auto.DeviceName);
    }

    [Fact]
    public void EncodeFrames_BFloat16_CloseToFloat32()
    {
        using BtokEncoder f32 = BtokEncoder.CreateRandom(Tiny, 4, Cpu);
        using BtokEncoder bf16 = BtokEncoder.CreateRandom(Tiny, 4, Cpu with { DType = EncoderDType.BFloat16 });
        Assert.Equal("bfloat16", bf16.DTypeName);
        PooledFrame[] frames = Frames(4, Tiny.ImageSize, seed: 14);
        try
        {
            float[] a = EncodeFrames(f32, frames);
            float[] b = EncodeFrames(bf16, frames);
            Assert.Equal(1.0, Norm(b), 4);
            Assert.True(Cosine(a, b) >= 0.98, $"cosine {Cosine(a, b)}");
            Assert.True(Cosine(EncodeText(f32, "a cat"), EncodeText(bf16, "a cat")) >= 0.98);
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Fact]
    public void Dispose_Twice_IsIdempotentAndLaterCallsThrow()
    {
        BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, 1, Cpu);
        encoder.Dispose();
        encoder.Dispose();
        Assert.Throws<ObjectDisposedException>(() => encoder.EncodeText("x", new float[Tiny.DModel]));
    }

    /// <summary>Byte-wise equality of two parameter lists (xunit's collection diff is too slow for MBs of weights).</summary>
    internal static void AssertSameBytes(byte[][] expected, byte[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"parameter {i} differs");
    }

    internal static byte[][] ParameterBytes(BtokEncoder encoder) =>
        encoder.Network.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value.bytes.ToArray()).ToArray();
}
