using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Model.Nn;

/// <summary>
/// Vision tokens: a patch x patch convolution with stride patch (Qwen2-VL's patch_embed.proj, 2D here) or the
/// <see cref="VisionStem.Conv"/> stem, optionally one max-pooled summary token after each frame's patches
/// (<see cref="BtokConfig.FrameSummaryToken"/>), plus a learned per-frame temporal embedding added to every token of
/// frame i. With <see cref="BtokConfig.FrameSummaryWhere"/> the summary also carries where each channel fires.
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
    private readonly Conv2d? proj;
    private readonly ModuleList<Linear>? stem;
    private readonly Linear? stem_proj;
    private readonly Parameter temporal_embed;
    private readonly Linear? frame_summary;
    private readonly Linear? patch_colour;
    private readonly Linear? motion_token;
    private readonly Linear? motion_trace;
#pragma warning restore IDE1006

    private readonly int _patch;
    private readonly bool _where;

    public PatchEmbed(BtokConfig config) : base(nameof(PatchEmbed))
    {
        _patch = config.PatchSize;
        if (config.VisionStem == VisionStem.Conv)
        {
            // Channels D/8, D/4, D/2 at strides 2, 4, 8; each 3x3 convolution is a Linear over its 9 x Cin im2col columns.
            int[] channels = [3, config.DModel / 8, config.DModel / 4, config.DModel / 2];
            var layers = new Linear[3];
            for (int i = 0; i < 3; i++) layers[i] = nn.Linear(9 * channels[i], channels[i + 1], hasBias: true);
            stem = nn.ModuleList(layers);
            int cells = config.PatchSize / 8;
            stem_proj = nn.Linear(cells * cells * channels[3], config.DModel, hasBias: true);
        }
        else
        {
            proj = nn.Conv2d(3, config.DModel, config.PatchSize, stride: config.PatchSize, bias: true);
        }
        temporal_embed = new Parameter(zeros(config.MaxFrames, config.DModel));
        _where = config.FrameSummaryWhere;
        // The where-summary's input: max, mean column, mean row and spread, each [D].
        if (config.FrameSummaryToken) frame_summary = nn.Linear((_where ? 4 : 1) * config.DModel, config.DModel, hasBias: true);
        if (config.PatchColour) patch_colour = nn.Linear(3 * 2 * 2, config.DModel, hasBias: true);
        if (config.MotionToken) motion_token = nn.Linear(MotionFrames * config.DModel, config.DModel, hasBias: true);
        if (config.MotionTrace) motion_trace = nn.Linear(MotionFrames * TraceFeatures, config.DModel, hasBias: true);
        RegisterComponents();
    }

    /// <summary>Frames the motion token compares: the first, the middle and the last.</summary>
    public const int MotionFrames = 3;

    /// <summary>Numbers the motion trace gives per frame: centre column and row, spread along each, relative strength.</summary>
    public const int TraceFeatures = 5;

    /// <summary>Parameter-name prefix of the convolution stem's layers (they need a fan-in init, not the 0.02 one).</summary>
    public const string StemPrefix = "patch_embed.stem.";

    /// <summary>[F, 3, S, S] frames of one window to [F * TokensPerFrame, D] tokens, frame-major then raster order (the
    /// summary token, when on, last in its frame), plus with <see cref="BtokConfig.MotionToken"/> and F >= 2 one motion
    /// token at the end.</summary>
    /// <remarks>
    /// Patch stem: computed as patchify + one matrix product with the convolution's weight viewed as [D, 3 * p * p]: the same math
    /// as the stride-p convolution (tested against it) but a plain GEMM, which libtorch runs several times faster on
    /// the CPU than its convolution path for this kernel shape. Gradients reach proj.weight and proj.bias as usual.
    /// </remarks>
    public override Tensor forward(Tensor frames)
    {
        if (stem is not null) return AddTemporal(AddColour(ConvTokens(frames, Im2ColConvolution), frames), frames);
        long f = frames.shape[0], c = frames.shape[1], side = frames.shape[2];
        long p = proj!.weight!.shape[2], g = side / p;
        Tensor patches = frames.view(f, c, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(f * g * g, c * p * p);
        Tensor tokens = nn.functional.linear(patches, proj.weight.view(proj.weight.shape[0], -1), proj.bias);
        return AddTemporal(AddColour(tokens.view(f, g * g, -1), frames), frames);
    }

    /// <summary>The reference path through the convolution module; tests check <see cref="forward"/> against it.</summary>
    internal Tensor ForwardWithConvolution(Tensor frames) => AddTemporal(AddColour(stem is not null
        ? ConvTokens(frames, ReferenceConvolution)
        : proj!.forward(frames).flatten(2).transpose(1, 2), frames), frames);

    /// <summary>With <see cref="BtokConfig.PatchColour"/>: [F, P, D] tokens plus a projection of each patch's mean
    /// colour per quadrant, [F, 3, S, S] -> [F, P, 12], in the tokens' raster order.</summary>
    private Tensor AddColour(Tensor patches, Tensor frames)
    {
        if (patch_colour is null) return patches;
        long f = frames.shape[0], g = frames.shape[2] / _patch;
        Tensor means = nn.functional.avg_pool2d(frames, _patch / 2); // [F, 3, 2g, 2g]
        Tensor quadrants = means.view(f, 3, g, 2, g, 2).permute(0, 2, 4, 1, 3, 5).reshape(f, g * g, 12);
        return patches + patch_colour.forward(quadrants);
    }

    /// <summary>
    /// The conv stem in channels-last layout: [F, 3, S, S] -> three GELU(conv 3x3, stride 2, pad 1) -> [F, S/8, S/8, C]
    /// -> each patch's (p/8)^2 cells flattened and projected -> [F, P, D].
    /// </summary>
    private Tensor ConvTokens(Tensor frames, Func<Tensor, Linear, Tensor> convolution)
    {
        Tensor x = frames.permute(0, 2, 3, 1);
        foreach (Linear layer in stem!) x = nn.functional.gelu(convolution(x, layer));
        long f = x.shape[0], cells = _patch / 8, g = x.shape[1] / cells, c = x.shape[3];
        Tensor patches = x.reshape(f, g, cells, g, cells, c).permute(0, 1, 3, 2, 4, 5).reshape(f, g * g, cells * cells * c);
        return stem_proj!.forward(patches);
    }

    /// <summary>
    /// 3x3 stride-2 convolution (padding 1) of channels-last [N, H, W, C] as im2col + one GEMM: the nine strided views
    /// of the padded input, concatenated along channels, times the layer's [Cout, 9 * C] weight. libtorch's CPU
    /// convolution is several times slower for these small channel counts (measured on btok-tiny steps).
    /// </summary>
    private static Tensor Im2ColConvolution(Tensor x, Linear layer)
    {
        long h = x.shape[1], w = x.shape[2];
        Tensor padded = nn.functional.pad(x, [0, 0, 1, 1, 1, 1]);
        var taps = new Tensor[9];
        for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++)
                taps[(dy * 3) + dx] = padded.slice(1, dy, dy + h, 2).slice(2, dx, dx + w, 2);
        return layer.forward(cat(taps, 3));
    }

    /// <summary>The same convolution through libtorch's conv2d, for the test that checks the im2col path.</summary>
    private static Tensor ReferenceConvolution(Tensor x, Linear layer)
    {
        long cout = layer.weight!.shape[0], cin = layer.weight.shape[1] / 9;
        Tensor kernel = layer.weight.view(cout, 3, 3, cin).permute(0, 3, 1, 2);
        return nn.functional.conv2d(x.permute(0, 3, 1, 2), kernel, layer.bias, strides: [2, 2], padding: [1, 1]).permute(0, 2, 3, 1);
    }

    /// <summary>
    /// [F, P, D] -> [F, 1, D] channel-wise max, or with <see cref="BtokConfig.FrameSummaryWhere"/> [F, 1, 4D]: the max and,
    /// per channel, a softmax over the frame's patches as weights for the mean column, the mean row (both -1..1) and the
    /// mean squared distance from that point.
    /// </summary>
    private Tensor SummaryInput(Tensor patches)
    {
        Tensor max = patches.amax([1L], keepdim: true);
        if (!_where) return max;
        long side = (long)Math.Round(Math.Sqrt(patches.shape[1]));
        Tensor axis = linspace(-1, 1, side, dtype: patches.dtype, device: patches.device);
        Tensor column = axis.repeat(side).view(1, -1, 1), row = axis.repeat_interleave(side).view(1, -1, 1); // raster order
        Tensor weights = patches.softmax(1);
        Tensor x = (weights * column).sum(1, keepdim: true), y = (weights * row).sum(1, keepdim: true);
        Tensor spread = (weights * (column.square() + row.square())).sum(1, keepdim: true) - x.square() - y.square();
        return cat([max, x, y, spread], 2);
    }

    private Tensor AddTemporal(Tensor patches, Tensor frames) // [F, P, D] -> [F * (P (+1)) (+1), D]
    {
        if (frame_summary is not null) patches = cat([patches, frame_summary.forward(SummaryInput(patches))], 1);
        Tensor temporal = temporal_embed.narrow(0, 0, patches.shape[0]).unsqueeze(1);
        Tensor tokens = (patches + temporal).reshape(-1, patches.shape[2]);
        return motion_token is null || patches.shape[0] < 2 ? tokens : cat([tokens, Motion(patches, frames)], 0);
    }

    /// <summary>[F, P + 1, D] tokens (summary last, before the temporal embedding) -> [1, D]: the first, middle and last
    /// summary tokens less their mean, projected (<see cref="BtokConfig.MotionToken"/>), plus with
    /// <see cref="BtokConfig.MotionTrace"/> the projected <see cref="Trace"/> of <paramref name="frames"/>.</summary>
    private Tensor Motion(Tensor patches, Tensor frames)
    {
        long f = patches.shape[0];
        Tensor picked = tensor(new long[] { 0, f / 2, f - 1 }, device: patches.device);
        Tensor summary = patches.select(1, -1).index_select(0, picked);
        Tensor motion = motion_token!.forward((summary - summary.mean([0L], keepdim: true)).reshape(1, -1));
        return motion_trace is null ? motion : motion + motion_trace.forward(Trace(frames, picked));
    }

    /// <summary>
    /// [F, 3, S, S] -> [1, 3 * <see cref="TraceFeatures"/>]: for each <paramref name="picked"/> frame, where it differs from
    /// the clip's per-pixel median frame, as the centre column and row (-1..1), the variance along each and how far the amount
    /// is from the picked frames' mean amount, relative to it. A frame's mean difference is taken off first, so pixel noise and a
    /// lighting ramp, which touch the whole frame, weigh little against the object.
    /// </summary>
    internal static Tensor Trace(Tensor frames, Tensor picked)
    {
        long side = frames.shape[2];
        Tensor still = frames.kthvalue((frames.shape[0] + 1) / 2, 0, keepdim: true).values; // the background, when the camera holds still
        Tensor moving = (frames.index_select(0, picked) - still).abs().mean([1L]); // [3, S, S]
        moving = nn.functional.relu(moving - moving.mean([1L, 2L], keepdim: true));
        Tensor amount = moving.sum([1L, 2L]); // [3]
        Tensor weights = moving / (amount.view(-1, 1, 1) + 1e-6);
        Tensor axis = linspace(-1, 1, side, dtype: frames.dtype, device: frames.device);
        Tensor column = axis.view(1, 1, side), row = axis.view(1, side, 1);
        Tensor x = (weights * column).sum([1L, 2L]), y = (weights * row).sum([1L, 2L]);
        Tensor spreadX = (weights * column.square()).sum([1L, 2L]) - x.square();
        Tensor spreadY = (weights * row.square()).sum([1L, 2L]) - y.square();
        Tensor strength = (amount - amount.mean()) / (amount.mean() + 1e-6); // 0 throughout for a still clip
        return stack([x, y, spreadX, spreadY, strength], 1).reshape(1, -1);
    }
}
