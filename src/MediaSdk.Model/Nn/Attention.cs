using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Model.Nn;

/// <summary>Multi-head causal self-attention with RoPE, Qwen2 layout (q/k/v with bias, o without).</summary>
internal sealed class Attention : nn.Module
{
    private readonly int _heads;
    private readonly int _headDim;
#pragma warning disable IDE1006 // field names are the checkpoint's parameter names
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear o_proj;
#pragma warning restore IDE1006
    // LoRA adapters (domain adaptation), null unless attached; registered as q_proj_lora etc. by AttachLora.
    private LoraAdapter? _qLora, _kLora, _vLora, _oLora;

    public Attention(int dModel, int heads) : base(nameof(Attention))
    {
        _heads = heads;
        _headDim = dModel / heads;
        q_proj = nn.Linear(dModel, dModel, hasBias: true);
        k_proj = nn.Linear(dModel, dModel, hasBias: true);
        v_proj = nn.Linear(dModel, dModel, hasBias: true);
        o_proj = nn.Linear(dModel, dModel, hasBias: false);
        RegisterComponents();
    }

    /// <param name="x">[B, T, D].</param>
    /// <param name="cos">RoPE cos [B, T, 1, hd].</param>
    /// <param name="sin">RoPE sin [B, T, 1, hd / 2] (<see cref="Rope.Tables"/>).</param>
    /// <param name="mask">Bool [B, 1, T, T] (true = may attend), or null for plain causal attention.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask)
    {
        long b = x.shape[0], t = x.shape[1];
        // RoPE runs on the [B, T, H, hd] projections; attention takes the transposed views as they are (no copies).
        Tensor q = Rope.Apply(LoraAdapter.Project(q_proj, _qLora, x).view(b, t, _heads, _headDim), cos, sin).transpose(1, 2);
        Tensor k = Rope.Apply(LoraAdapter.Project(k_proj, _kLora, x).view(b, t, _heads, _headDim), cos, sin).transpose(1, 2);
        Tensor v = LoraAdapter.Project(v_proj, _vLora, x).view(b, t, _heads, _headDim).transpose(1, 2);
        // TorchSharp spells the causal flag "is_casual" and it cannot be combined with a mask (PLATFORM.md).
        Tensor o = mask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        return LoraAdapter.Project(o_proj, _oLora, o.transpose(1, 2).reshape(b, t, -1));
    }

    /// <summary>
    /// The training (KV-form) variant of <see cref="Forward"/>: optionally prepends cached keys/values and returns this
    /// call's own post-RoPE keys/values so a later call can attend to them (METHOD.md §3, KV form).
    /// </summary>
    /// <param name="x">[B, T, D].</param>
    /// <param name="cos">RoPE cos for this call's positions.</param>
    /// <param name="sin">RoPE sin for this call's positions.</param>
    /// <param name="mask">Bool [B or 1, 1, T, P + T] (true = may attend) over [past; own] keys, or null for plain
    /// causal attention (only allowed without <paramref name="past"/>: SDPA's causal flag aligns top-left).</param>
    /// <param name="past">Cached keys and values [B, H, P, hd] (RoPE already applied at their own positions), or null.</param>
    /// <returns>The block output and this call's keys/values [B, H, T, hd] (without the past).</returns>
    public (Tensor Output, Tensor Keys, Tensor Values) ForwardKv(Tensor x, Tensor cos, Tensor sin, Tensor? mask, (Tensor Keys, Tensor Values)? past)
    {
        long b = x.shape[0], t = x.shape[1];
        Tensor q = Rope.Apply(LoraAdapter.Project(q_proj, _qLora, x).view(b, t, _heads, _headDim), cos, sin).transpose(1, 2);
        Tensor k = Rope.Apply(LoraAdapter.Project(k_proj, _kLora, x).view(b, t, _heads, _headDim), cos, sin).transpose(1, 2);
        Tensor v = LoraAdapter.Project(v_proj, _vLora, x).view(b, t, _heads, _headDim).transpose(1, 2);
        Tensor keys = k, values = v;
        if (past is { } cached)
        {
            if (mask is null) throw new ArgumentException("Attention with cached keys/values needs an explicit mask.", nameof(mask));
            keys = cat([cached.Keys, k], 2);
            values = cat([cached.Values, v], 2);
        }
        Tensor o = mask is null
            ? nn.functional.scaled_dot_product_attention(q, keys, values, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, keys, values, attn_mask: mask);
        return (LoraAdapter.Project(o_proj, _oLora, o.transpose(1, 2).reshape(b, t, -1)), k, v);
    }

    /// <summary>Attaches LoRA adapters to q/k/v/o (drawn from <paramref name="generator"/> in that order) and freezes those projections.</summary>
    /// <exception cref="InvalidOperationException">Adapters are already attached.</exception>
    internal void AttachLora(LoraSpec spec, Generator generator)
    {
        _qLora = LoraAdapter.Attach(this, nameof(q_proj), q_proj, _qLora, spec, generator);
        _kLora = LoraAdapter.Attach(this, nameof(k_proj), k_proj, _kLora, spec, generator);
        _vLora = LoraAdapter.Attach(this, nameof(v_proj), v_proj, _vLora, spec, generator);
        _oLora = LoraAdapter.Attach(this, nameof(o_proj), o_proj, _oLora, spec, generator);
    }

    /// <summary>Folds the adapters into q/k/v/o and removes them; a no-op without adapters.</summary>
    internal void MergeLora()
    {
        LoraAdapter.Merge(this, nameof(q_proj), q_proj, _qLora);
        LoraAdapter.Merge(this, nameof(k_proj), k_proj, _kLora);
        LoraAdapter.Merge(this, nameof(v_proj), v_proj, _vLora);
        LoraAdapter.Merge(this, nameof(o_proj), o_proj, _oLora);
        _qLora = _kLora = _vLora = _oLora = null;
    }
}
