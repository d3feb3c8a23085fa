using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Model.Nn;

/// <summary>
/// Vision tokens: a patch x patch convolution with stride patch (Qwen2-VL's patch_embed.proj, 2D here), plus a learned
/// per-frame temporal embedding added to every patch token of frame i.
/// </summary>
/// <remarks>
/// Why a temporal embedding on top of 1D RoPE: with frames flattened into one sequence, RoPE only sees a raster offset,
/// so "same patch, next frame" (offset 49) and "49 patches later in the same frame" look alike across frame borders.
/// The learned row per frame index makes frame order explicit at the cost of MaxFrames x DModel parameters; within a
/// frame the raster RoPE positions carry the spatial layout.
/// </remarks>
internal sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are the checkpoint's parameter names
    private readonly Conv2d proj;
    private readonly Parameter temporal_embed;
#pragma warning restore IDE1006

    public PatchEmbed(BtokConfig config) : base(nameof(PatchEmbed))
    {
        proj = nn.Conv2d(3, config.DModel, config.PatchSize, stride: config.PatchSize, bias: true);
        temporal_embed = new Parameter(zeros(config.MaxFrames, config.DModel));
        RegisterComponents();
    }

    /// <summary>[F, 3, S, S] frames of one window to [F * P, D] tokens, frame-major then raster order.</summary>
    public override Tensor forward(Tensor frames)
    {
        long f = frames.shape[0];
        Tensor patches = proj.forward(frames).flatten(2).transpose(1, 2);      // [F, P, D]
        Tensor temporal = temporal_embed.narrow(0, 0, f).unsqueeze(1);         // [F, 1, D]
        return (patches + temporal).reshape(-1, patches.shape[2]);
    }
}
