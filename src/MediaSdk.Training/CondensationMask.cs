using static TorchSharp.torch;

namespace MediaSdk.Training;

/// <summary>Which attention the target rows of a GIC sequence get (the <c>--mask</c> ablation).</summary>
public enum TargetAttention
{
    /// <summary>The Condensation Mask: targets see the BToks and earlier targets, never the input (METHOD.md §3).</summary>
    Condensation,

    /// <summary>Ablation: targets also see the input, i.e. plain causal attention over the whole sequence.</summary>
    Full,
}

/// <summary>
/// Builds the allowed-attention matrix for the GIC sequence [X (N inputs); B (K BToks); T (target)], where the target
/// is the whole generated span (prefix p, t_1..t_M, end e). True = may attend; rows attend, columns are attended.
/// </summary>
/// <remarks>
/// Block rules (METHOD.md §3): X causal over X; B sees all X and is causal over B; T sees all B and is causal over T and
/// never sees X (<see cref="TargetAttention.Full"/> lets T see X too). Nothing before a block sees it, so both variants
/// are the causal lower triangle with, for the Condensation Mask, the T x X block cut out.
/// </remarks>
internal static class CondensationMask
{
    /// <summary>The [L, L] bool matrix, L = inputs + btoks + targets.</summary>
    /// <param name="inputs">N, the number of input tokens (0 allowed).</param>
    /// <param name="btoks">K, at least 1: without BToks the Condensation Mask leaves the target nothing to read.</param>
    /// <param name="targets">Length of the target span including its prefix and end token, at least 1.</param>
    /// <param name="kind">Condensation Mask or the full-attention ablation.</param>
    /// <param name="device">Where to build it; null for the CPU.</param>
    public static Tensor Build(int inputs, int btoks, int targets, TargetAttention kind = TargetAttention.Condensation, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(btoks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targets, 1);
        long length = (long)inputs + btoks + targets;
        Tensor mask = ones(length, length, dtype: ScalarType.Bool, device: device).tril();
        if (kind == TargetAttention.Condensation && inputs > 0)
            mask.narrow(0, inputs + btoks, targets).narrow(1, 0, inputs).fill_(false);
        return mask;
    }

    /// <summary>
    /// The target rows of the KV form: [targets, btoks + targets], the K cached BTok slots (all visible) followed by the
    /// causal target block. Equal to the T rows of <see cref="Build"/> without the X columns.
    /// </summary>
    public static Tensor TargetRows(int btoks, int targets, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(btoks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targets, 1);
        return cat([ones(targets, btoks, dtype: ScalarType.Bool, device: device),
            ones(targets, targets, dtype: ScalarType.Bool, device: device).tril()], 1);
    }
}
