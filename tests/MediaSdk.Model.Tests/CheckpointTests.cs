using System.Text.Json.Nodes;
using MediaSdk.Model;
using static MediaSdk.Model.Tests.TestModels;

namespace MediaSdk.Model.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _root = TempDir();

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private string SaveTiny(BtokConfig? config = null, int seed = 21)
    {
        string dir = Path.Combine(_root, Guid.NewGuid().ToString("N"));
        using BtokEncoder encoder = BtokEncoder.CreateRandom(config ?? Tiny, seed, Cpu);
        encoder.Save(dir);
        return dir;
    }

    [Fact]
    public void SaveThenLoad_RoundTrip_BitExactWeightsAndEmbeddings()
    {
        string dir = Path.Combine(_root, "ckpt");
        using BtokEncoder original = BtokEncoder.CreateRandom(Tiny, 21, Cpu);
        original.Save(dir);
        Assert.True(File.Exists(Path.Combine(dir, "config.json")));
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));

        using BtokEncoder loaded = BtokEncoder.Load(dir, Cpu);
        Assert.Equal(original.Config, loaded.Config);
        Assert.Equal(original.Model, loaded.Model);
        BtokEncoderTests.AssertSameBytes(BtokEncoderTests.ParameterBytes(original), BtokEncoderTests.ParameterBytes(loaded));
        PooledFrame[] frames = Frames(4, Tiny.ImageSize, seed: 22);
        try
        {
            Assert.Equal(EncodeFrames(original, frames), EncodeFrames(loaded, frames));
            Assert.Equal(EncodeText(original, "a boat on a lake"), EncodeText(loaded, "a boat on a lake"));
        }
        finally
        {
            DisposeAll(frames);
        }

        // Saving over an existing checkpoint replaces it.
        using BtokEncoder other = BtokEncoder.CreateRandom(Tiny, 99, Cpu);
        other.Save(dir);
        using BtokEncoder reloaded = BtokEncoder.Load(dir, Cpu);
        BtokEncoderTests.AssertSameBytes(BtokEncoderTests.ParameterBytes(other), BtokEncoderTests.ParameterBytes(reloaded));
    }

    [Fact]
    public void SaveHalfPrecision_HalfTheSize_EmbeddingsClose()
    {
        string full = Path.Combine(_root, "fp32"), half = Path.Combine(_root, "fp16");
        using BtokEncoder original = BtokEncoder.CreateRandom(Tiny, 5, Cpu);
        original.Save(full);
        original.Save(half, halfPrecision: true);
        long fullBytes = new FileInfo(Path.Combine(full, "model.safetensors")).Length;
        long halfBytes = new FileInfo(Path.Combine(half, "model.safetensors")).Length;
        Assert.InRange(halfBytes, fullBytes * 0.45, fullBytes * 0.55);

        using BtokEncoder loaded = BtokEncoder.Load(half, Cpu);
        Assert.Equal("float32", loaded.DTypeName); // stored as float16, computed in float32
        PooledFrame[] frames = Frames(4, Tiny.ImageSize, seed: 6);
        try
        {
            float[] a = EncodeFrames(original, frames), b = EncodeFrames(loaded, frames);
            double dot = 0;
            for (int i = 0; i < a.Length; i++) dot += a[i] * b[i];
            Assert.True(dot > 0.999, $"cosine {dot} between float32 and float16-stored embeddings");
            Assert.NotEqual(a, b); // the rounding is real
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Fact]
    public void SaveThenLoad_ZeroBtoks_RoundTrips()
    {
        string dir = SaveTiny(Tiny with { BottleneckTokens = 0, Pooling = BtokPooling.Mean });
        using BtokEncoder loaded = BtokEncoder.Load(dir, Cpu);
        Assert.Equal(0, loaded.Config.BottleneckTokens);
        Assert.Equal(BtokPooling.Mean, loaded.Pooling);
    }

    [Fact]
    public void SaveThenLoad_ConvStemSummaryTokenPatchColourMotionTokenAndTrace_RoundTripWithTheirWeights()
    {
        string dir = SaveTiny(Tiny with { VisionStem = VisionStem.Conv, FrameSummaryToken = true, FrameSummaryWhere = true, PatchColour = true, MotionToken = true, MotionTrace = true });
        string json = File.ReadAllText(Path.Combine(dir, "config.json"));
        Assert.Contains("\"visionStem\": \"Conv\"", json);
        Assert.Contains("\"frameSummaryToken\": true", json);
        Assert.Contains("\"frameSummaryWhere\": true", json);
        Assert.Contains("\"patchColour\": true", json);
        using BtokEncoder loaded = BtokEncoder.Load(dir, Cpu);
        Assert.Equal(VisionStem.Conv, loaded.Config.VisionStem);
        Assert.True(loaded.Config.FrameSummaryToken);
        Assert.True(loaded.Config.FrameSummaryWhere);
        Assert.Equal([(long)Tiny.DModel, 4L * Tiny.DModel], loaded.Network.named_parameters().Single(p => p.name == "patch_embed.frame_summary.weight").parameter.shape);
        Assert.Contains(loaded.Network.named_parameters(), p => p.name == "patch_embed.stem.2.weight");
        Assert.Contains(loaded.Network.named_parameters(), p => p.name == "patch_embed.frame_summary.weight");
        Assert.True(loaded.Config.PatchColour);
        Assert.Equal([(long)Tiny.DModel, 12L], loaded.Network.named_parameters().Single(p => p.name == "patch_embed.patch_colour.weight").parameter.shape);
        Assert.Contains("\"motionToken\": true", json);
        Assert.True(loaded.Config.MotionToken);
        Assert.Equal([(long)Tiny.DModel, 3L * Tiny.DModel], loaded.Network.named_parameters().Single(p => p.name == "patch_embed.motion_token.weight").parameter.shape);
        Assert.Contains("\"motionTrace\": true", json);
        Assert.True(loaded.Config.MotionTrace);
        Assert.Equal([(long)Tiny.DModel, 15L], loaded.Network.named_parameters().Single(p => p.name == "patch_embed.motion_trace.weight").parameter.shape);
    }

    [Fact]
    public void SaveThenLoad_BFloat16Encoder_StoresFloat32AndLoads()
    {
        string dir = Path.Combine(_root, "bf16");
        using (BtokEncoder bf16 = BtokEncoder.CreateRandom(Tiny, 23, Cpu with { DType = EncoderDType.BFloat16 }))
            bf16.Save(dir);
        using BtokEncoder loaded = BtokEncoder.Load(dir, Cpu);
        Assert.Equal(1.0, Norm(EncodeText(loaded, "ok")), 5);
    }

    [Fact]
    public void Load_MissingDirectory_ThrowsModelLoadException()
    {
        var ex = Assert.Throws<ModelLoadException>(() => BtokEncoder.Load(Path.Combine(_root, "nope"), Cpu));
        Assert.Contains("does not exist", ex.Message);
        AssertOneLine(ex);
    }

    [Fact]
    public void Load_MissingConfig_ThrowsModelLoadException()
    {
        string dir = SaveTiny();
        File.Delete(Path.Combine(dir, "config.json"));
        var ex = Assert.Throws<ModelLoadException>(() => BtokEncoder.Load(dir, Cpu));
        Assert.Contains("config.json", ex.Message);
        AssertOneLine(ex);
    }

    [Theory]
    [InlineData("{ this is not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"format\":\"mediasdk-btok\",\"formatVersion\":1}")]
    [InlineData("{\"format\":\"mediasdk-btok\",\"formatVersion\":7,\"config\":{}}")]
    [InlineData("{\"format\":\"mediasdk-btok\",\"formatVersion\":1,\"config\":{\"dModel\":\"big\"}}")]
    [InlineData("{\"format\":\"mediasdk-btok\",\"formatVersion\":1,\"config\":{\"dModl\":256}}")]
    [InlineData("{\"format\":\"mediasdk-btok\",\"formatVersion\":1,\"config\":{\"heads\":3}}")]
    [InlineData("{\"format\":\"mediasdk-btok\",\"formatVersion\":1,\"config\":{\"pooling\":\"Max\"}}")]
    public void Load_GarbledConfig_ThrowsModelLoadException(string json)
    {
        string dir = SaveTiny();
        File.WriteAllText(Path.Combine(dir, "config.json"), json);
        var ex = Assert.Throws<ModelLoadException>(() => BtokEncoder.Load(dir, Cpu));
        AssertOneLine(ex);
    }

    [Fact]
    public void Load_MissingWeights_ThrowsModelLoadException()
    {
        string dir = SaveTiny();
        File.Delete(Path.Combine(dir, "model.safetensors"));
        var ex = Assert.Throws<ModelLoadException>(() => BtokEncoder.Load(dir, Cpu));
        Assert.Contains("model.safetensors", ex.Message);
        AssertOneLine(ex);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(1000)]
    public void Load_TruncatedWeights_ThrowsModelLoadException(int keepBytes)
    {
        string dir = SaveTiny();
        string path = Path.Combine(dir, "model.safetensors");
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, keepBytes).ToArray());
        var ex = Assert.Throws<ModelLoadException>(() => BtokEncoder.Load(dir, Cpu));
        AssertOneLine(ex);
    }

    [Fact]
    public void Load_GarbageWeights_ThrowsModelLoadException()
    {
        string dir = SaveTiny();
        string path = Path.Combine(dir, "model.safetensors");
        byte[] garbage = new byte[4096];
        new Random(3).NextBytes(garbage);
        File.WriteAllBytes(path, garbage);
        var ex = Assert.Throws<ModelLoadException>(() => BtokEncoder.Load(dir, Cpu));
        AssertOneLine(ex);
    }

    [Fact]
    public void Load_ConfigShapeMismatch_ThrowsModelLoadExceptionNamingTheTensor()
    {
        string dir = SaveTiny();
        string configPath = Path.Combine(dir, "config.json");
        JsonNode root = JsonNode.Parse(File.ReadAllText(configPath))!;
        root["config"]!["ffnDim"] = 96;
        File.WriteAllText(configPath, root.ToJsonString());
        var ex = Assert.Throws<ModelLoadException>(() => BtokEncoder.Load(dir, Cpu));
        Assert.Contains("shape", ex.Message);
        Assert.Contains("mlp", ex.Message);
        AssertOneLine(ex);
    }

    [Fact]
    public void Load_ConfigWithExtraLayer_ThrowsModelLoadExceptionNamingMissingTensor()
    {
        string dir = SaveTiny();
        string configPath = Path.Combine(dir, "config.json");
        JsonNode root = JsonNode.Parse(File.ReadAllText(configPath))!;
        root["config"]!["layers"] = 3;
        File.WriteAllText(configPath, root.ToJsonString());
        var ex = Assert.Throws<ModelLoadException>(() => BtokEncoder.Load(dir, Cpu));
        Assert.Contains("layers.2.", ex.Message);
        AssertOneLine(ex);
    }

    [Fact]
    public void Save_ConfigJson_RecordsFormatVersionAndTokenizer()
    {
        string dir = SaveTiny();
        JsonNode root = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal("mediasdk-btok", (string?)root["format"]);
        Assert.Equal(1, (int?)root["formatVersion"]);
        Assert.Equal("gpt2", (string?)root["config"]!["tokenizer"]);
        Assert.Equal("Btok", (string?)root["config"]!["pooling"]);
        Assert.Equal(32, (int?)root["config"]!["dModel"]);
    }

    private static void AssertOneLine(Exception ex)
    {
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        Assert.DoesNotContain('\n', ex.Message);
    }
}
