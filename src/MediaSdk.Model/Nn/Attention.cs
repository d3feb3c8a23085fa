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
        Tensor q = Rope.Apply(q_proj.forward(x).view(b, t, _heads, _headDim), cos, sin).transpose(1, 2);
        Tensor k = Rope.Apply(k_proj.forward(x).view(b, t, _heads, _headDim), cos, sin).transpose(1, 2);
        Tensor v = v_proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        // TorchSharp spells the causal flag "is_casual" and it cannot be combined with a mask (PLATFORM.md).
        Tensor o = mask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        return o_proj.forward(o.transpose(1, 2).reshape(b, t, -1));
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
        Tensor q = Rope.Apply(q_proj.forward(x).view(b, t, _heads, _headDim), cos, sin).transpose(1, 2);
        Tensor k = Rope.Apply(k_proj.forward(x).view(b, t, _heads, _headDim), cos, sin).transpose(1, 2);
        Tensor v = v_proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
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
        return (o_proj.forward(o.transpose(1, 2).reshape(b, t, -1)), k, v);
    }
}
