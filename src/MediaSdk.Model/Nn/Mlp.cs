using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Model.Nn;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)), no biases (Qwen2).</summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are the checkpoint's parameter names
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;
#pragma warning restore IDE1006

    public Mlp(int dModel, int ffnDim) : base(nameof(Mlp))
    {
        gate_proj = nn.Linear(dModel, ffnDim, hasBias: false);
        up_proj = nn.Linear(dModel, ffnDim, hasBias: false);
        down_proj = nn.Linear(ffnDim, dModel, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) =>
        down_proj.forward(nn.functional.silu(gate_proj.forward(input)) * up_proj.forward(input));
}
