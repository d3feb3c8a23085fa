using MediaSdk.Model.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Training;

/// <summary>LoRA settings (METHOD.md §4 reference: rank 16, alpha 32; the update is scaled by alpha / rank).</summary>
internal sealed record LoraOptions(int Rank = 16, double Alpha = 32)
{
    /// <summary>The reference settings, r = 16, alpha = 32.</summary>
    public static LoraOptions Default { get; } = new();
}

/// <summary>Which groups of base parameters <see cref="Adaptation.Freeze"/> stops training.</summary>
[Flags]
internal enum FreezeParts
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>The vision tower: patch_embed.* (patch projection and temporal rows).</summary>
    Vision = 1,

    /// <summary>The token embedding table embed_tokens (also the tied NTP output head).</summary>
    Text = 2,

    /// <summary>The decoder stack layers.* and the final norm (LoRA adapters excepted).</summary>
    Backbone = 4,

    /// <summary>Every base parameter except the BToks.</summary>
    AllButBtoks = Vision | Text | Backbone,
}

/// <summary>
/// Domain adaptation of a pretrained <see cref="BtokModel"/>: LoRA adapters on attention q/k/v/o and MLP down
/// projections, merge-on-export, and freezing of parameter groups (METHOD.md §4's adaptation recipe).
/// </summary>
/// <remarks>
/// Adapters appear in named_parameters()/state_dict() as layers.N.self_attn.{q,k,v,o}_proj_lora.lora_A / lora_B and
/// layers.N.mlp.down_proj_lora.lora_A / lora_B; base names never change. <see cref="MergeLora"/> folds and removes them,
/// after which the state dict is the plain architecture's and Checkpoint.Save / BtokEncoder.Load work as for any model.
/// </remarks>
internal static class Adaptation
{
    private static readonly string[] s_partNames = ["none", "vision", "text", "backbone", "all-but-btoks"];

    /// <summary>
    /// Attaches adapters (A kaiming-uniform from a generator seeded with <paramref name="seed"/>, B zero, so the
    /// model's outputs are unchanged) to every layer's q/k/v/o and down projections, layer by layer, and freezes the
    /// weights and biases of those projections. Adapters are created on the model's device and dtype.
    /// </summary>
    /// <exception cref="ArgumentException">Rank below 1 or alpha not positive and finite.</exception>
    /// <exception cref="InvalidOperationException">The model already has adapters.</exception>
    public static void AttachLora(BtokModel model, LoraOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var spec = new LoraSpec(options.Rank, options.Alpha);
        spec.Validate();
        if (HasLora(model))
            throw new InvalidOperationException("The model already has LoRA adapters; merge them (Adaptation.MergeLora) before attaching new ones.");
        using var generator = new Generator((ulong)(uint)seed);
        // named_modules walks layers in order (attention before MLP), so the draw order, and the adapters, are a pure
        // function of (architecture, seed).
        foreach ((string _, nn.Module module) in model.named_modules().ToList())
        {
            if (module is Attention attention) attention.AttachLora(spec, generator);
            else if (module is Mlp mlp) mlp.AttachLora(spec, generator);
        }
    }

    /// <summary>
    /// Folds every adapter into its projection (W += alpha / r * B @ A), removes the adapters and gives the projections
    /// back the trainable flags they had before <see cref="AttachLora"/>. A no-op on a model without adapters.
    /// </summary>
    public static void MergeLora(BtokModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach ((string _, nn.Module module) in model.named_modules().ToList())
        {
            if (module is Attention attention) attention.MergeLora();
            else if (module is Mlp mlp) mlp.MergeLora();
        }
    }

    /// <summary>Whether any LoRA adapter is attached.</summary>
    public static bool HasLora(BtokModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach ((string _, nn.Module module) in model.named_modules())
        {
            if (module is LoraAdapter) return true;
        }
        return false;
    }

    /// <summary>
    /// Sets requires_grad = false on the base parameters of <paramref name="parts"/>. Only ever freezes (None changes
    /// nothing); never touches the BToks or LoRA adapters, which are what adaptation trains.
    /// </summary>
    public static void Freeze(BtokModel model, FreezeParts parts)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (parts == FreezeParts.None) return;
        foreach ((string name, Parameter parameter) in model.named_parameters())
        {
            if (InParts(name, parts)) parameter.requires_grad = false;
        }
    }

    /// <summary>Whether parameter <paramref name="name"/> belongs to <paramref name="parts"/> (BToks and adapters never do).</summary>
    internal static bool InParts(string name, FreezeParts parts)
    {
        if (name == BtokModel.BtoksName || IsLoraParameter(name)) return false;
        if ((parts & FreezeParts.Vision) != 0 && name.StartsWith("patch_embed.", StringComparison.Ordinal)) return true;
        if ((parts & FreezeParts.Text) != 0 && name.StartsWith("embed_tokens.", StringComparison.Ordinal)) return true;
        return (parts & FreezeParts.Backbone) != 0
            && (name.StartsWith("layers.", StringComparison.Ordinal) || name.StartsWith("norm.", StringComparison.Ordinal));
    }

    /// <summary>Whether <paramref name="name"/> is a LoRA adapter parameter (…_lora.lora_A / lora_B).</summary>
    internal static bool IsLoraParameter(string name) =>
        name.Contains(LoraAdapter.NameSuffix + ".", StringComparison.Ordinal);

    /// <summary>
    /// Parses a freeze list: comma-separated "vision", "text", "backbone", "all-but-btoks", or "none" (case and spaces
    /// ignored). Empty text means none.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown part; the message lists the valid names.</exception>
    public static FreezeParts ParseFreeze(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        FreezeParts parts = FreezeParts.None;
        foreach (string raw in text.Split(','))
        {
            string part = raw.Trim().ToLowerInvariant();
            parts |= part switch
            {
                "" or "none" => FreezeParts.None,
                "vision" => FreezeParts.Vision,
                "text" => FreezeParts.Text,
                "backbone" => FreezeParts.Backbone,
                "all-but-btoks" => FreezeParts.AllButBtoks,
                _ => throw new ArgumentException(
                    $"Unknown freeze part '{raw.Trim()}' in '{text}'; use {string.Join(", ", s_partNames)} (comma-separated, e.g. \"vision,text\").",
                    nameof(text)),
            };
        }
        return parts;
    }

    /// <summary>The parameters with requires_grad set, in named_parameters order (what the optimiser gets).</summary>
    public static IReadOnlyList<(string Name, Parameter Parameter)> Trainable(BtokModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var trainable = new List<(string, Parameter)>();
        foreach ((string name, Parameter parameter) in model.named_parameters())
        {
            if (parameter.requires_grad) trainable.Add((name, parameter));
        }
        return trainable;
    }
}
