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
}
