using MediaSdk.Model;
using MediaSdk.Model.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace MediaSdk.Training.Tests;

/// <summary>The two Condensation Mask forms agree, and the target reaches the input only through the BToks.</summary>
public sealed class GenerativeForwardTests : IDisposable
{
    private const int Batch = 2, Inputs = 5, Targets = 6;
    private const double Tolerance = 1e-5;

    private static readonly BtokConfig Small = SmallModels.SmallVocabulary;

    private readonly BtokEncoder _encoder;
    private readonly BtokModel _model;

    public GenerativeForwardTests()
    {
        _encoder = BtokEncoder.CreateRandom(Small, seed: 7, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 });
        _model = _encoder.Network;
        _model.to(ScalarType.Float64);
    }

    public void Dispose() => _encoder.Dispose();

    [Fact]
    public void KvForm_SameInputs_MatchesMaskFormLogitsLossAndGradients()
    {
        using var scope = NewDisposeScope();
        Tensor inputs = RandomInputs(1);
        Tensor targetIds = RandomIds(2);

        Tensor maskLogits = GenerativeForward.MaskFormLogits(_model, inputs, targetIds);
        Tensor maskLoss = GenerativeForward.NtpLoss(maskLogits, targetIds);
        Dictionary<string, Tensor?> maskGrads = Gradients(maskLoss);

        Tensor kvLogits = GenerativeForward.KvFormLogits(_model, GenerativeForward.EncodeBtoks(_model, inputs), targetIds);
        Tensor kvLoss = GenerativeForward.NtpLoss(kvLogits, targetIds);
        Dictionary<string, Tensor?> kvGrads = Gradients(kvLoss);

        Assert.Equal([Batch, Targets, Small.VocabSize], kvLogits.shape);
        AssertClose(maskLogits, kvLogits, "logits");
        AssertClose(maskLoss, kvLoss, "loss");
        int compared = 0;
        foreach ((string name, Tensor? g) in maskGrads)
        {
            Tensor? other = kvGrads[name];
            Assert.True((g is null) == (other is null), $"{name}: gradient present in one form only");
            if (g is null) continue;
            AssertClose(g, other!, name);
            compared++;
        }
        // Every decoder, norm, embedding and BTok parameter is in the path; only the patch embedder is not.
        Assert.True(compared >= Small.Layers * 9 + 3, $"only {compared} parameters had gradients");
        Assert.NotNull(maskGrads[BtokModel.BtoksName]);
    }

    [Fact]
    public void NtpLoss_PrefixNeverSupervised_EqualsMeanOverLaterTokens()
    {
        using var scope = NewDisposeScope();
        Tensor targetIds = RandomIds(3);
        Tensor logits = randn(Batch, Targets, Small.VocabSize, dtype: ScalarType.Float64, generator: new TorchSharp.torch.Generator(4));
        Tensor logp = nn.functional.log_softmax(logits, -1);
        double sum = 0;
        for (int b = 0; b < Batch; b++)
            for (int j = 1; j < Targets; j++) sum -= logp[b, j - 1, targetIds[b, j].item<long>()].item<double>();
        double expected = sum / (Batch * (Targets - 1));
        Assert.Equal(expected, GenerativeForward.NtpLoss(logits, targetIds).item<double>(), 1e-12);
        Assert.Throws<ArgumentException>(() => GenerativeForward.NtpLoss(logits, targetIds, Targets));
    }

    [Fact]
    public void KvForm_DetachedBtokCache_InputGradientIsExactlyZero()
    {
        using var scope = NewDisposeScope();
        Tensor inputs = RandomInputs(5).requires_grad_(true);
        Tensor targetIds = RandomIds(6);
        KvCache cache = GenerativeForward.EncodeBtoks(_model, inputs).Detach();
        Tensor loss = GenerativeForward.NtpLoss(GenerativeForward.KvFormLogits(_model, cache, targetIds), targetIds);
        Assert.True(loss.requires_grad); // The loss still trains the target path's parameters.
        _model.zero_grad();
        loss.backward();
        // No path from the loss to the input: autograd leaves its gradient unset, which is exactly zero.
        Tensor? grad = inputs.grad;
        Assert.True(grad is null || grad.abs().max().item<double>() == 0.0, "gradient reached the input through a detached cache");
        Assert.NotNull(_model.get_parameter("layers.0.self_attn.q_proj.weight")!.grad);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AttachedBtokPath_InputGradientIsNonZero(bool kvForm)
    {
        using var scope = NewDisposeScope();
        Tensor inputs = RandomInputs(5).requires_grad_(true);
        Tensor targetIds = RandomIds(6);
        Tensor logits = kvForm
            ? GenerativeForward.KvFormLogits(_model, GenerativeForward.EncodeBtoks(_model, inputs), targetIds)
            : GenerativeForward.MaskFormLogits(_model, inputs, targetIds);
        GenerativeForward.NtpLoss(logits, targetIds).backward();
        Assert.NotNull(inputs.grad);
        // Every input position feeds the BToks, so every row of the input gradient is non-zero.
        Assert.True((inputs.grad!.abs().sum(-1) > 0).all().item<bool>());
    }

    [Fact]
    public void TargetRows_InputKeysValuesReplacedBtokSlotsFixed_EveryTargetLogitUnchanged()
    {
        using var scope = NewDisposeScope();
        using IDisposable noGrad = no_grad();
        Tensor targetIds = RandomIds(8);
        KvCache a = GenerativeForward.EncodeAll(_model, RandomInputs(9));
        KvCache b = GenerativeForward.EncodeAll(_model, RandomInputs(10));
        // Input slots from b, BTok slots from a: what the target may read is unchanged.
        var spliced = new (Tensor, Tensor)[a.Layers.Count];
        for (int i = 0; i < spliced.Length; i++)
            spliced[i] = (cat([b.Layers[i].Keys.narrow(2, 0, Inputs), a.Layers[i].Keys.narrow(2, Inputs, Small.BottleneckTokens)], 2),
                cat([b.Layers[i].Values.narrow(2, 0, Inputs), a.Layers[i].Values.narrow(2, Inputs, Small.BottleneckTokens)], 2));
        KvCache mixed = a with { Layers = spliced };
        int length = Inputs + Small.BottleneckTokens;

        Tensor rows = CondensationMask.Build(Inputs, Small.BottleneckTokens, Targets).narrow(0, length, Targets);
        Tensor original = GenerativeForward.TargetLogits(_model, a, targetIds, rows);
        Assert.True(original.eq(GenerativeForward.TargetLogits(_model, mixed, targetIds, rows)).all().item<bool>());
        // Against the BTok-only cache (the KV form) the logits agree too.
        AssertClose(original, GenerativeForward.KvFormLogits(_model, GenerativeForward.EncodeBtoks(_model, RandomInputs(9)), targetIds), "kv form");

        // Control: with the full mask the same swap changes the logits, so the check above can fail.
        Tensor fullRows = CondensationMask.Build(Inputs, Small.BottleneckTokens, Targets, TargetAttention.Full).narrow(0, length, Targets);
        Tensor fullA = GenerativeForward.TargetLogits(_model, a, targetIds, fullRows);
        Tensor fullMixed = GenerativeForward.TargetLogits(_model, mixed, targetIds, fullRows);
        Assert.True((fullA - fullMixed).abs().max().item<double>() > 1e-6);
    }

    [Fact]
    public void MaskForm_Full_DiffersFromCondensation()
    {
        using var scope = NewDisposeScope();
        using IDisposable noGrad = no_grad();
        Tensor inputs = RandomInputs(11);
        Tensor targetIds = RandomIds(12);
        Tensor condensed = GenerativeForward.MaskFormLogits(_model, inputs, targetIds);
        Tensor full = GenerativeForward.MaskFormLogits(_model, inputs, targetIds, TargetAttention.Full);
        Assert.True((condensed - full).abs().max().item<double>() > 1e-6);
    }

    private Dictionary<string, Tensor?> Gradients(Tensor loss)
    {
        _model.zero_grad();
        loss.backward();
        var grads = new Dictionary<string, Tensor?>();
        foreach ((string name, TorchSharp.Modules.Parameter p) in _model.named_parameters())
            grads[name] = p.grad?.clone();
        return grads;
    }

    private static Tensor RandomInputs(int seed) =>
        randn(Batch, Inputs, Small.DModel, dtype: ScalarType.Float64, generator: new TorchSharp.torch.Generator((ulong)seed)) * 0.5;

    private static Tensor RandomIds(int seed) =>
        randint(Small.VocabSize, [Batch, Targets], dtype: ScalarType.Int64, generator: new TorchSharp.torch.Generator((ulong)seed));

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double scale = Math.Max(expected.abs().max().item<double>(), 1e-300);
        double error = (expected - actual).abs().max().item<double>();
        Assert.True(error <= Tolerance * scale, $"{what}: max difference {error:G3} against scale {scale:G3}");
    }
}
