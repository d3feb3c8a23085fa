using MediaSdk.Model.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace MediaSdk.Model.Tests;

/// <summary>
/// A straightforward re-implementation of the BTok window forward (the code as it was before the speed work: RMSNorm
/// as separate ops, RoPE by chunk/cat per call, separate q/k/v and gate/up matmuls). It reads the model's parameters by
/// their checkpoint names, so it checks both the optimised forward and the names. Tests compare against it, and the
/// profile test times it interleaved with the optimised path.
/// </summary>
internal sealed class ReferenceForward
{
    private readonly Dictionary<string, Tensor> _p;
    private readonly BtokConfig _c;
    private readonly float[] _invFreq;

    public ReferenceForward(BtokModel model)
    {
        _c = model.Config;
        _p = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach ((string name, Tensor t) in model.state_dict()) _p[name] = t;
        _invFreq = new float[_c.HeadDim / 2];
        for (int i = 0; i < _invFreq.Length; i++)
            _invFreq[i] = (float)(1.0 / Math.Pow(_c.RopeTheta, 2.0 * i / _c.HeadDim));
    }

    private Tensor P(string name) => _p[name];

    /// <summary>[F, 3, S, S] to [F * P, D] (patchify + GEMM, same math as the convolution) plus the temporal rows.</summary>
    public Tensor PatchEmbed(Tensor frames)
    {
        long f = frames.shape[0], c = frames.shape[1], side = frames.shape[2];
        Tensor w = P("patch_embed.proj.weight");
        long p = w.shape[2], g = side / p;
        Tensor patches = frames.view(f, c, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(f * g * g, c * p * p);
        Tensor tokens = nn.functional.linear(patches, w.view(w.shape[0], -1), P("patch_embed.proj.bias")).view(f, g * g, -1);
        Tensor temporal = P("patch_embed.temporal_embed").narrow(0, 0, f).unsqueeze(1);
        return (tokens + temporal).reshape(-1, tokens.shape[2]);
    }

    public Tensor RmsNorm(Tensor input, string weight)
    {
        bool isFloat32 = input.dtype == ScalarType.Float32;
        Tensor x = isFloat32 ? input : input.to_type(ScalarType.Float32);
        Tensor normed = x * rsqrt(x.pow(2).mean([-1L], keepdim: true) + _c.RmsNormEps);
        return P(weight) * (isFloat32 ? normed : normed.to_type(input.dtype));
    }

    public (Tensor Cos, Tensor Sin) Tables(long t, ScalarType dtype)
    {
        Tensor positions = arange(t, dtype: ScalarType.Int64).unsqueeze(0);
        Tensor inv = tensor(_invFreq);
        Tensor freqs = positions.to_type(ScalarType.Float32).unsqueeze(-1) * inv;
        Tensor emb = cat([freqs, freqs], -1).unsqueeze(1);
        return (emb.cos().to_type(dtype), emb.sin().to_type(dtype));
    }

    private static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        Tensor[] halves = x.chunk(2, -1);
        Tensor rotated = cat([-halves[1], halves[0]], -1);
        return x * cos + rotated * sin;
    }

    /// <summary>x + self_attn(input_layernorm(x)) of layer <paramref name="i"/>, causal, no padding.</summary>
    public Tensor AttentionBlock(Tensor x, int i, Tensor cos, Tensor sin)
    {
        string pre = $"layers.{i}.";
        Tensor n = RmsNorm(x, pre + "input_layernorm.weight");
        long b = n.shape[0], t = n.shape[1];
        int h = _c.Heads, hd = _c.HeadDim;
        Tensor q = nn.functional.linear(n, P(pre + "self_attn.q_proj.weight"), P(pre + "self_attn.q_proj.bias")).view(b, t, h, hd).transpose(1, 2);
        Tensor k = nn.functional.linear(n, P(pre + "self_attn.k_proj.weight"), P(pre + "self_attn.k_proj.bias")).view(b, t, h, hd).transpose(1, 2);
        Tensor v = nn.functional.linear(n, P(pre + "self_attn.v_proj.weight"), P(pre + "self_attn.v_proj.bias")).view(b, t, h, hd).transpose(1, 2);
        q = Rope(q, cos, sin);
        k = Rope(k, cos, sin);
        Tensor o = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        return x + nn.functional.linear(o.transpose(1, 2).reshape(b, t, -1), P(pre + "self_attn.o_proj.weight"));
    }

    /// <summary>h + mlp(post_attention_layernorm(h)) of layer <paramref name="i"/>.</summary>
    public Tensor MlpBlock(Tensor h, int i)
    {
        string pre = $"layers.{i}.";
        Tensor n = RmsNorm(h, pre + "post_attention_layernorm.weight");
        Tensor gate = nn.functional.linear(n, P(pre + "mlp.gate_proj.weight"));
        Tensor up = nn.functional.linear(n, P(pre + "mlp.up_proj.weight"));
        return h + nn.functional.linear(nn.functional.silu(gate) * up, P(pre + "mlp.down_proj.weight"));
    }

    /// <summary>Appends the BToks (Btok pooling with K > 0).</summary>
    public Tensor AppendBtoks(Tensor tokens, BtokPooling pooling) =>
        pooling == BtokPooling.Btok && _c.BottleneckTokens > 0
            ? cat([tokens, P(BtokModel.BtoksName).unsqueeze(0).to_type(tokens.dtype)], 1)
            : tokens;

    /// <summary>Final norm and readout, L2-normalised float32 [1, D].</summary>
    public Tensor Readout(Tensor x, long realEnd, BtokPooling pooling)
    {
        Tensor hidden = RmsNorm(x, "norm.weight");
        Tensor pooled = pooling switch
        {
            BtokPooling.Btok => hidden.narrow(1, realEnd, hidden.shape[1] - realEnd).to_type(ScalarType.Float32).mean([1L]),
            BtokPooling.LastToken => hidden.select(1, realEnd - 1).to_type(ScalarType.Float32),
            _ => hidden.to_type(ScalarType.Float32).mean([1L]),
        };
        return pooled / pooled.norm(1, keepdim: true).clamp_min(1e-12);
    }

    /// <summary>The whole window: pixels [F, 3, S, S] (model dtype) to the embedding [1, D].</summary>
    public Tensor EncodeWindow(Tensor pixels, BtokPooling pooling)
    {
        Tensor tokens = PatchEmbed(pixels).unsqueeze(0);
        long realEnd = tokens.shape[1];
        Tensor x = AppendBtoks(tokens, pooling);
        (Tensor cos, Tensor sin) = Tables(x.shape[1], x.dtype);
        for (int i = 0; i < _c.Layers; i++) x = MlpBlock(AttentionBlock(x, i, cos, sin), i);
        return Readout(x, realEnd, pooling);
    }

    /// <summary>Copies frames into a [F, 3, S, S] float32 tensor like the encoder does.</summary>
    public static Tensor Pixels(PooledFrame[] frames)
    {
        int size = frames[0].Size;
        Tensor pixels = empty(frames.Length, 3, size, size, dtype: ScalarType.Float32);
        using var access = pixels.data<float>();
        long offset = 0;
        foreach (PooledFrame f in frames)
        {
            access.CopyFrom(f.Pixels, 0, offset);
            offset += f.Pixels.Length;
        }
        return pixels;
    }

    public static float[] ToArray(Tensor t) => t.to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
}
