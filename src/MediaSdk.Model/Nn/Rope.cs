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

    /// <summary>cos and sin tables [B, 1, T, headDim] for int64 positions [B, T], in <paramref name="dtype"/>.</summary>
    public (Tensor Cos, Tensor Sin) Tables(Tensor positions, ScalarType dtype)
    {
        Tensor inv = tensor(_invFreq, device: positions.device);
        Tensor freqs = positions.to_type(ScalarType.Float32).unsqueeze(-1) * inv; // [B, T, hd/2]
        Tensor emb = cat([freqs, freqs], -1).unsqueeze(1);                        // [B, 1, T, hd]
        return (emb.cos().to_type(dtype), emb.sin().to_type(dtype));
    }

    /// <summary>x * cos + rotate_half(x) * sin for x [B, H, T, hd].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        Tensor[] halves = x.chunk(2, -1);
        Tensor rotated = cat([-halves[1], halves[0]], -1);
        return x * cos + rotated * sin;
    }
}
