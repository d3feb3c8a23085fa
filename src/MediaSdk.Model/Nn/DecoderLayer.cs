using static TorchSharp.torch;

namespace MediaSdk.Model.Nn;

/// <summary>One pre-norm decoder block: x + attn(norm(x)), then x + mlp(norm(x)).</summary>
internal sealed class DecoderLayer : nn.Module
{
#pragma warning disable IDE1006 // field names are the checkpoint's parameter names
    private readonly RmsNorm input_layernorm;
    private readonly Attention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly Mlp mlp;
#pragma warning restore IDE1006

    public DecoderLayer(BtokConfig config) : base(nameof(DecoderLayer))
    {
        input_layernorm = new RmsNorm(config.DModel, config.RmsNormEps);
        self_attn = new Attention(config.DModel, config.Heads);
        post_attention_layernorm = new RmsNorm(config.DModel, config.RmsNormEps);
        mlp = new Mlp(config.DModel, config.FfnDim);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask) => MlpBlock(AttentionBlock(x, cos, sin, mask));

    /// <summary>x + self_attn(input_layernorm(x)).</summary>
    public Tensor AttentionBlock(Tensor x, Tensor cos, Tensor sin, Tensor? mask) =>
        x + self_attn.Forward(input_layernorm.forward(x), cos, sin, mask);

    /// <summary>
    /// The block with cached keys/values prepended to attention and this call's keys/values returned (training KV form;
    /// see <see cref="Attention.ForwardKv"/>).
    /// </summary>
    public (Tensor Output, Tensor Keys, Tensor Values) ForwardKv(Tensor x, Tensor cos, Tensor sin, Tensor? mask, (Tensor Keys, Tensor Values)? past)
    {
        (Tensor a, Tensor k, Tensor v) = self_attn.ForwardKv(input_layernorm.forward(x), cos, sin, mask, past);
        return (MlpBlock(x + a), k, v);
    }

    /// <summary>h + mlp(post_attention_layernorm(h)).</summary>
    public Tensor MlpBlock(Tensor h) => h + mlp.forward(post_attention_layernorm.forward(h));
}
