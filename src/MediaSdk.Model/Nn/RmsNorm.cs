using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Model.Nn;

/// <summary>RMSNorm as in Qwen2 (TorchSharp 0.107 has none): normalise in float32, cast back, scale by weight.</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double _eps;
#pragma warning disable IDE1006 // field names are the checkpoint's parameter names
    private readonly Parameter weight;
#pragma warning restore IDE1006

    public RmsNorm(long dim, double eps) : base(nameof(RmsNorm))
    {
        _eps = eps;
        weight = new Parameter(ones(dim));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        // Callers own the dispose scope (one per request or training step); a nested scope per norm only costs time.
        bool isFloat32 = input.dtype == ScalarType.Float32;
        Tensor x = isFloat32 ? input : input.to_type(ScalarType.Float32);
        Tensor normed = x * rsqrt(x.pow(2).mean([-1L], keepdim: true) + _eps);
        return weight * (isFloat32 ? normed : normed.to_type(input.dtype));
    }
}
