using TorchSharp;
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
        using var scope = NewDisposeScope();
        Tensor x = input.to_type(ScalarType.Float32);
        Tensor variance = x.pow(2).mean([-1L], keepdim: true);
        Tensor normed = (x * rsqrt(variance + _eps)).to_type(input.dtype);
        return (weight * normed).MoveToOuterDisposeScope();
    }
}
