using MediaSdk.Model;
using MediaSdk.Model.Nn;
using static TorchSharp.torch;

namespace MediaSdk.Training;

/// <summary>How the generative target pass is computed; both give the same loss and gradients (tested).</summary>
public enum GicForm
{
    /// <summary>Run [X; B], keep the K BTok keys/values per layer, run the target against them (training default).</summary>
    Kv,

    /// <summary>One concatenated sequence [X; B; T] under an explicit boolean mask (for checking and the benchmark).</summary>
    Mask,
}

/// <summary>
/// Generative targets for some rows of a side batch: row indices, right-padded ids [R, M] (prefix p, t_1..t_M, end e)
/// and the supervised-label mask [R, M - 1] (1 where position j + 1 is a real target token).
/// </summary>
internal sealed record TargetBatch(Tensor Rows, Tensor Ids, Tensor LabelMask, long Tokens)
{
    /// <summary>Builds the tensors for <paramref name="targets"/> (row index, ids), padding with the last id of each row.</summary>
    public static TargetBatch? Create(IReadOnlyList<(int Row, int[] Ids)> targets, ScalarType dtype, Device device)
    {
        if (targets.Count == 0) return null;
        int longest = 0;
        foreach ((_, int[] ids) in targets) longest = Math.Max(longest, ids.Length);
        var rows = new long[targets.Count];
        var flat = new long[targets.Count * longest];
        var labels = new float[targets.Count * (longest - 1)];
        long tokens = 0;
        for (int r = 0; r < targets.Count; r++)
        {
            (int row, int[] ids) = targets[r];
            rows[r] = row;
            for (int j = 0; j < longest; j++) flat[r * longest + j] = ids[Math.Min(j, ids.Length - 1)];
            for (int j = 0; j + 1 < ids.Length; j++) labels[r * (longest - 1) + j] = 1f;
            tokens += ids.Length - 1;
        }
        return new TargetBatch(
            tensor(rows, device: device),
            tensor(flat, [targets.Count, longest], device: device),
            tensor(labels, [targets.Count, longest - 1], device: device).to_type(dtype),
            tokens);
    }
}

/// <summary>
/// Runs a batch side through a <see cref="BtokModel"/> with the generative (GIC) target under the Condensation Mask (or
/// an ablation), in the two equivalent forms of METHOD.md §3, and scores it with next-token cross-entropy.
/// </summary>
/// <remarks>
/// Inputs are left-padded [B, T, D] embeddings with per-row padding; the BToks follow each row's last real token and
/// target positions continue after them. Logits use the model's tied output head. Call inside a dispose scope.
/// </remarks>
internal static class GenerativeForward
{
    /// <summary>Which cached slots the target reads for an attention kind and a BTok count.</summary>
    public static CacheSlots SlotsFor(TargetAttention kind, int btoks) =>
        kind == TargetAttention.Full ? CacheSlots.All : btoks > 0 ? CacheSlots.Btoks : CacheSlots.LastToken;

    /// <summary>
    /// One side of a batch: the embeddings [B, D] (readout per <paramref name="pooling"/>) and, when
    /// <paramref name="targets"/> is given, the summed next-token cross-entropy over its supervised tokens.
    /// </summary>
    public static (Tensor Embedding, Tensor? NtpSum) Forward(BtokModel model, Tensor inputs, long[] pads, BtokPooling pooling,
        TargetBatch? targets, GicForm form, TargetAttention kind)
    {
        long t = inputs.shape[1];
        if (targets is null)
            return (BtokModel.Readout(model.Hidden(inputs, pads, appendBtoks: true), t, pads, pooling), null);

        if (form == GicForm.Kv)
        {
            (Tensor hidden, KvCache cache) = model.EncodeWithCache(inputs, pads, SlotsFor(kind, model.Config.BottleneckTokens));
            Tensor targetHidden = model.TargetHidden(cache.SelectRows(targets.Rows), model.EmbedTokens(targets.Ids).to_type(inputs.dtype));
            return (BtokModel.Readout(hidden, t, pads, pooling), NtpSum(model, model.TiedLogits(targetHidden), targets));
        }

        // Mask form: every row carries a target span (rows without one get a copy of the first target, unsupervised),
        // so the batch stays one rectangular sequence; causal order keeps the embedding independent of the span.
        long b = inputs.shape[0];
        long[] sourceOf = new long[b];
        using (var access = targets.Rows.cpu().data<long>())
        {
            for (int r = (int)access.Count - 1; r >= 0; r--) sourceOf[access[r]] = r;
        }
        Tensor allIds = targets.Ids.index_select(0, tensor(sourceOf, device: inputs.device));
        (Tensor embedding, Tensor logits) = MaskForm(model, inputs, pads, allIds, pooling, kind);
        return (embedding, NtpSum(model, logits.index_select(0, targets.Rows), targets));
    }

    /// <summary>
    /// Explicit mask form over a left-padded batch: one sequence [X; B; T] per row with the mask of
    /// <see cref="CondensationMask.Build"/>, padding columns hidden. Returns the embeddings [B, D] and target logits [B, M, V].
    /// </summary>
    public static (Tensor Embedding, Tensor Logits) MaskForm(BtokModel model, Tensor inputs, long[] pads, Tensor targetIds,
        BtokPooling pooling, TargetAttention kind)
    {
        long b = inputs.shape[0], n = inputs.shape[1], k = model.Config.BottleneckTokens, m = targetIds.shape[1];
        Device device = inputs.device;
        Tensor x = model.Btoks is { } btoks
            ? cat([inputs, btoks.unsqueeze(0).expand(b, -1, -1).to_type(inputs.dtype), model.EmbedTokens(targetIds).to_type(inputs.dtype)], 1)
            : cat([inputs, model.EmbedTokens(targetIds).to_type(inputs.dtype)], 1);
        long length = x.shape[1];
        // With K = 0 the last input token plays the BTok block's part (GIC through the last token).
        Tensor baseMask = k > 0
            ? CondensationMask.Build((int)n, (int)k, (int)m, kind, device)
            : CondensationMask.Build((int)n - 1, 1, (int)m, kind, device);
        Tensor columns = arange(length, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        Tensor padColumn = tensor(pads, device: device).unsqueeze(1);
        Tensor keyValid = columns >= padColumn;                                                    // [B, L]
        Tensor self = eye(length, dtype: ScalarType.Bool, device: device).unsqueeze(0);
        Tensor mask = ((baseMask.unsqueeze(0) & keyValid.unsqueeze(1)) | self).unsqueeze(1);    // [B, 1, L, L]
        Tensor positions = (columns - padColumn).clamp_min(0);
        Tensor hidden = model.HiddenAt(x, positions, mask);
        Tensor embedding = BtokModel.Readout(hidden.narrow(1, 0, n + k), n, pads, pooling);
        return (embedding, model.TiedLogits(hidden.narrow(1, n + k, m)));
    }

    /// <summary>Summed cross-entropy of logits [R, M, V] at position j predicting token j + 1 (as the model's output
    /// class), over supervised labels.</summary>
    public static Tensor NtpSum(BtokModel model, Tensor logits, TargetBatch targets)
    {
        long r = logits.shape[0], m = logits.shape[1];
        Tensor predicted = logits.narrow(1, 0, m - 1).reshape(r * (m - 1), -1);
        Tensor expected = model.OutputClasses(targets.Ids.narrow(1, 1, m - 1).reshape(-1));
        Tensor perToken = nn.functional.cross_entropy(predicted, expected, reduction: nn.Reduction.None);
        return (perToken * targets.LabelMask.reshape(-1)).sum();
    }

    // ---- Unpadded helpers (every row N real tokens), used by the mask-equivalence tests. ----

    /// <summary>Explicit mask form, unpadded: target logits [B, T, V] of <see cref="MaskForm"/>.</summary>
    public static Tensor MaskFormLogits(BtokModel model, Tensor inputs, Tensor targetIds, TargetAttention kind = TargetAttention.Condensation) =>
        MaskForm(model, inputs, new long[inputs.shape[0]], targetIds, model.Config.EffectivePooling(null), kind).Logits;

    /// <summary>KV form, first half: runs [X; B] causally and keeps only the K BTok positions' keys/values.</summary>
    public static KvCache EncodeBtoks(BtokModel model, Tensor inputs) =>
        model.EncodeWithCache(inputs, new long[inputs.shape[0]], CacheSlots.Btoks).Cache;

    /// <summary>Runs [X; B] causally and keeps the keys/values of all N + K positions (for severing checks).</summary>
    public static KvCache EncodeAll(BtokModel model, Tensor inputs) =>
        model.EncodeWithCache(inputs, new long[inputs.shape[0]], CacheSlots.All).Cache;

    /// <summary>KV form, second half: target logits [B, T, V] against the cached slots.</summary>
    public static Tensor KvFormLogits(BtokModel model, KvCache cache, Tensor targetIds) =>
        model.TiedLogits(model.TargetHidden(cache, model.EmbedTokens(targetIds).to_type(cache.Layers[0].Keys.dtype)));

    /// <summary>Runs the target against any unpadded cache under explicit [T, P + T] target rows (true = may attend).</summary>
    public static Tensor TargetLogits(BtokModel model, KvCache cache, Tensor targetIds, Tensor targetRows)
    {
        Tensor targets = model.EmbedTokens(targetIds).to_type(cache.Layers[0].Keys.dtype);
        long t = targets.shape[1];
        Tensor positions = cache.NextPositions.unsqueeze(1) + arange(t, dtype: ScalarType.Int64, device: targets.device).unsqueeze(0);
        return model.TiedLogits(model.HiddenAt(targets, positions, targetRows.unsqueeze(0).unsqueeze(0), cache.Layers));
    }

    /// <summary>
    /// Token-mean next-token cross-entropy: logits at target position j predict token j + 1, for the labels after the
    /// first <paramref name="prefixLength"/> tokens (t_1..t_M and e; the prefix p is context only, never a label).
    /// </summary>
    public static Tensor NtpLoss(Tensor logits, Tensor targetIds, int prefixLength = 1)
    {
        long t = targetIds.shape[1];
        ArgumentOutOfRangeException.ThrowIfLessThan(prefixLength, 1);
        if (prefixLength >= t)
            throw new ArgumentException($"The target has {t} tokens, so a prefix of {prefixLength} leaves nothing to predict; use a longer target.", nameof(prefixLength));
        long labels = t - prefixLength;
        Tensor predicted = logits.narrow(1, prefixLength - 1, labels);
        Tensor expected = targetIds.narrow(1, prefixLength, labels);
        return nn.functional.cross_entropy(predicted.reshape(-1, predicted.shape[^1]), expected.reshape(-1));
    }
}
