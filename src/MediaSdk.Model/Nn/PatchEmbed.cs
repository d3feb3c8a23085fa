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
    /// <remarks>
    /// Computed as patchify + one matrix product with the convolution's weight viewed as [D, 3 * p * p]: the same math
    /// as the stride-p convolution (tested against it) but a plain GEMM, which libtorch runs several times faster on
    /// the CPU than its convolution path for this kernel shape. Gradients reach proj.weight and proj.bias as usual.
    /// </remarks>
    public override Tensor forward(Tensor frames)
    {
        long f = frames.shape[0], c = frames.shape[1], side = frames.shape[2];
        long p = proj.weight!.shape[2], g = side / p;
        Tensor patches = frames.view(f, c, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(f * g * g, c * p * p);
        Tensor tokens = nn.functional.linear(patches, proj.weight.view(proj.weight.shape[0], -1), proj.bias);
        return AddTemporal(tokens.view(f, g * g, -1));
    }

    /// <summary>The reference path through the convolution module; tests check <see cref="forward"/> against it.</summary>
    internal Tensor ForwardWithConvolution(Tensor frames) =>
        AddTemporal(proj.forward(frames).flatten(2).transpose(1, 2));

    private Tensor AddTemporal(Tensor patches) // [F, P, D] -> [F * P, D]
    {
        Tensor temporal = temporal_embed.narrow(0, 0, patches.shape[0]).unsqueeze(1);
        return (patches + temporal).reshape(-1, patches.shape[2]);
    }
}
