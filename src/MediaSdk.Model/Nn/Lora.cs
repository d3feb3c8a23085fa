using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Model.Nn;

/// <summary>LoRA rank and alpha (Hu et al.): the adapter adds (alpha / rank) * B(A(x)) to the wrapped projection.</summary>
internal sealed record LoraSpec(int Rank, double Alpha)
{
    /// <summary>The update's scale alpha / rank.</summary>
    public double Scale => Alpha / Rank;

    /// <summary>Throws when rank or alpha cannot describe an adapter.</summary>
    public void Validate()
    {
        if (Rank < 1) throw new ArgumentException($"LoRA rank is {Rank}; use a rank of at least 1 (reference: 16).", nameof(Rank));
        if (!(Alpha > 0) || double.IsInfinity(Alpha))
            throw new ArgumentException($"LoRA alpha is {Alpha}; use a positive finite alpha (reference: 32).", nameof(Alpha));
    }
}

/// <summary>
/// A low-rank update beside one frozen <see cref="Linear"/>: y = W x + b + scale * B(A(x)), with A [r, in] drawn
/// kaiming-uniform from a caller's generator and B [out, r] zero, so a fresh adapter leaves the output unchanged.
/// </summary>
/// <remarks>
/// The adapter is registered on the module that owns the projection as "{projection}_lora" (parameters
/// "{projection}_lora.lora_A" and ".lora_B"), so the projection's own names, and with them the checkpoint names, stay
/// as they are. <see cref="MergeInto"/> folds the update into the projection's weight; the owner then unregisters it.
/// </remarks>
internal sealed class LoraAdapter : nn.Module<Tensor, Tensor>
{
    /// <summary>Suffix of the adapter's module name after the wrapped projection's name.</summary>
    public const string NameSuffix = "_lora";

#pragma warning disable IDE1006 // field names are the state-dict names (PEFT's lora_A / lora_B)
    // Not readonly: Module.to() replaces parameter fields with converted copies.
    private Parameter lora_A;
    private Parameter lora_B;
#pragma warning restore IDE1006
    private readonly double _scale;
    private readonly bool _weightWasTrainable;
    private readonly bool _biasWasTrainable;

    /// <summary>Creates the adapter for <paramref name="target"/> and freezes the target's weight and bias.</summary>
    public LoraAdapter(Linear target, LoraSpec spec, Generator generator) : base(nameof(LoraAdapter))
    {
        spec.Validate();
        Parameter weight = target.weight!;
        long outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        _scale = spec.Scale;
        using (no_grad())
        {
            // kaiming_uniform(a = sqrt(5)) as in the reference implementation: U(-1/sqrt(in), 1/sqrt(in)). Drawn in
            // float32 on the CPU so the values depend on the seed only, not on the model's device or dtype.
            double bound = 1.0 / Math.Sqrt(inFeatures);
            Tensor a = empty(spec.Rank, inFeatures, dtype: ScalarType.Float32).uniform_(-bound, bound, generator);
            lora_A = new Parameter(a.to(weight.dtype, weight.device), requires_grad: true);
            lora_B = new Parameter(zeros(outFeatures, spec.Rank, dtype: weight.dtype, device: weight.device), requires_grad: true);
        }
        // LoRA trains the update only; the owner's weights are restored to these flags on merge.
        _weightWasTrainable = weight.requires_grad;
        weight.requires_grad = false;
        if (target.bias is { } bias)
        {
            _biasWasTrainable = bias.requires_grad;
            bias.requires_grad = false;
        }
        RegisterComponents();
    }

    /// <summary>A [r, in].</summary>
    public Parameter A => lora_A;

    /// <summary>B [out, r].</summary>
    public Parameter B => lora_B;

    /// <summary>alpha / r.</summary>
    public double Scale => _scale;

    /// <summary>scale * B(A(x)) for x [..., in].</summary>
    public override Tensor forward(Tensor input) =>
        nn.functional.linear(nn.functional.linear(input, lora_A), lora_B) * _scale;

    /// <summary>The projection, plus the adapter's update when one is attached (the owners' forward hook).</summary>
    public static Tensor Project(Linear projection, LoraAdapter? adapter, Tensor x) =>
        adapter is null ? projection.forward(x) : projection.forward(x) + adapter.forward(x);

    /// <summary>W &lt;- W + scale * B @ A (computed in float32), and the weight and bias get back their pre-attach flags.</summary>
    public void MergeInto(Linear target)
    {
        Parameter weight = target.weight!;
        using (no_grad())
        {
            Tensor delta = lora_B.to(ScalarType.Float32).matmul(lora_A.to(ScalarType.Float32)).mul_(_scale);
            weight.copy_(weight.to(ScalarType.Float32).add_(delta).to(weight.dtype));
        }
        weight.requires_grad = _weightWasTrainable;
        if (target.bias is { } bias) bias.requires_grad = _biasWasTrainable;
    }

    /// <summary>
    /// Attaches a new adapter to <paramref name="projection"/> under "{name}_lora" on <paramref name="owner"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">An adapter is already attached there.</exception>
    public static LoraAdapter Attach(nn.Module owner, string name, Linear projection, LoraAdapter? current, LoraSpec spec, Generator generator)
    {
        if (current is not null)
            throw new InvalidOperationException($"A LoRA adapter is already attached to {name}; merge it (Adaptation.MergeLora) before attaching another.");
        var adapter = new LoraAdapter(projection, spec, generator);
        owner.register_module(name + NameSuffix, adapter);
        return adapter;
    }

    /// <summary>Folds <paramref name="adapter"/> into <paramref name="projection"/>, unregisters and disposes it; null is a no-op.</summary>
    public static void Merge(nn.Module owner, string name, Linear projection, LoraAdapter? adapter)
    {
        if (adapter is null) return;
        adapter.MergeInto(projection);
        // register_module with null removes the entry, so the state dict is the plain architecture's again.
        owner.register_module(name + NameSuffix, null!);
        adapter.Dispose();
    }
}
