using static TorchSharp.torch;

namespace MediaSdk.Model.Nn;

/// <summary>Rotary position embedding (Qwen2 "rotate half" layout) over 1D positions.</summary>
/// <remarks>
/// The inverse frequencies live in a managed array, not a module buffer: RegisterComponents would otherwise register
/// them as a persistent buffer (and put them in the checkpoint), and dtype moves would not convert them.
/// </remarks>
internal sealed class Rope
{
    private readonly float[] _invFreq;

    public Rope(int headDim, double theta)
    {
        _invFreq = new float[headDim / 2];
        for (int i = 0; i < _invFreq.Length; i++)
            _invFreq[i] = (float)(1.0 / Math.Pow(theta, 2.0 * i / headDim));
    }

    /// <summary>
    /// cos [B, T, 1, headDim] and sin [B, T, 1, headDim / 2] for int64 positions [B, T], in <paramref name="dtype"/>.
    /// </summary>
    /// <remarks>
    /// The T-major layout broadcasts over [B, T, H, hd] projections, so q and k need no transpose before RoPE; sin keeps
    /// one half only because both halves of the rotate-half table are equal.
    /// </remarks>
    public (Tensor Cos, Tensor SinHalf) Tables(Tensor positions, ScalarType dtype)
    {
        Tensor inv = tensor(_invFreq, device: positions.device);
        Tensor freqs = (positions.to_type(ScalarType.Float32).unsqueeze(-1) * inv).unsqueeze(2); // [B, T, 1, hd/2]
        return (cat([freqs, freqs], -1).cos_().to_type(dtype), freqs.sin().to_type(dtype));
    }

    /// <summary>x * cos + rotate_half(x) * sin for x [B, T, H, hd] (any strides), as a new tensor.</summary>
    /// <remarks>
    /// Three kernels and no concatenation: rotate_half(x) * sin is (-x2 * s, x1 * s) for the halves x1, x2, added into
    /// the halves of x * cos in place (autograd-safe: the product's backward does not read its output).
    /// </remarks>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sinHalf)
    {
        long half = x.shape[^1] / 2;
        Tensor result = x * cos;
        result.narrow(-1, 0, half).addcmul_(x.narrow(-1, half, half), sinHalf, -1);
        result.narrow(-1, half, half).addcmul_(x.narrow(-1, 0, half), sinHalf, 1);
        return result;
    }
}
