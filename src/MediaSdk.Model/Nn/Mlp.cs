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
    // LoRA adapter on the down projection (domain adaptation), null unless attached (registered as down_proj_lora).
    private LoraAdapter? _downLora;

    public Mlp(int dModel, int ffnDim) : base(nameof(Mlp))
    {
        gate_proj = nn.Linear(dModel, ffnDim, hasBias: false);
        up_proj = nn.Linear(dModel, ffnDim, hasBias: false);
        down_proj = nn.Linear(ffnDim, dModel, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) =>
        LoraAdapter.Project(down_proj, _downLora, nn.functional.silu(gate_proj.forward(input)) * up_proj.forward(input));

    /// <summary>Attaches a LoRA adapter to down_proj and freezes it.</summary>
    /// <exception cref="InvalidOperationException">An adapter is already attached.</exception>
    internal void AttachLora(LoraSpec spec, Generator generator) =>
        _downLora = LoraAdapter.Attach(this, nameof(down_proj), down_proj, _downLora, spec, generator);

    /// <summary>Folds the adapter into down_proj and removes it; a no-op without one.</summary>
    internal void MergeLora()
    {
        LoraAdapter.Merge(this, nameof(down_proj), down_proj, _downLora);
        _downLora = null;
    }
}
