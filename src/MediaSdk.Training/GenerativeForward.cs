using MediaSdk.Model.Nn;
using static TorchSharp.torch;

namespace MediaSdk.Training;

/// <summary>
/// Per-layer post-RoPE keys/values [B, H, P, hd] of cached positions, and the RoPE position the next token takes.
/// </summary>
internal sealed record KvCache(IReadOnlyList<(Tensor Keys, Tensor Values)> Layers, long NextPosition)
{
    /// <summary>The same cache cut off from autograd: a target run against it sends no gradient into the input.</summary>
    public KvCache Detach()
    {
        var layers = new (Tensor, Tensor)[Layers.Count];
        for (int i = 0; i < layers.Length; i++) layers[i] = (Layers[i].Keys.detach(), Layers[i].Values.detach());
        return new KvCache(layers, NextPosition);
    }
}

/// <summary>
/// Runs the generative (GIC) target through a <see cref="BtokModel"/> under the Condensation Mask, in the two
/// equivalent forms of METHOD.md §3, and scores it with next-token cross-entropy.
/// </summary>
/// <remarks>
/// Inputs are unpadded [B, N, D] embeddings (every row N real tokens; the trainer groups or left-pads before this
/// step). Logits use a tied output head, hidden @ embed_tokens.weight^T: the encoder has no LM head of its own and the
/// generative loss is an auxiliary training signal, so tying adds no parameters to the checkpoint and keeps the text
/// embedding table in the gradient path. Call inside a dispose scope.
/// </remarks>
internal static class GenerativeForward
{
    /// <summary>
    /// Explicit mask form: one sequence [X; B; T] with the mask of <see cref="CondensationMask.Build"/> and positions
    /// 0..N+K+T-1. Returns target logits [B, T, V].
    /// </summary>
    public static Tensor MaskFormLogits(BtokModel model, Tensor inputs, Tensor targetIds, TargetAttention kind = TargetAttention.Condensation)
    {
        Tensor btoks = Btoks(model, inputs);
        Tensor targets = model.EmbedTokens(targetIds).to_type(inputs.dtype);
        Tensor x = cat([inputs, btoks, targets], 1);
        int n = (int)inputs.shape[1], k = (int)btoks.shape[1], t = (int)targets.shape[1];
        Tensor mask = CondensationMask.Build(n, k, t, kind, inputs.device).unsqueeze(0).unsqueeze(0);
        Tensor positions = arange(x.shape[1], dtype: ScalarType.Int64, device: inputs.device).unsqueeze(0);
        Tensor hidden = model.HiddenAt(x, positions, mask);
        return Logits(model, hidden.narrow(1, n + k, t));
    }

    /// <summary>
    /// KV form, first half: runs [X; B] causally and keeps only the K BTok positions' keys/values of every layer.
    /// </summary>
    public static KvCache EncodeBtoks(BtokModel model, Tensor inputs)
    {
        KvCache all = EncodeAll(model, inputs);
        long k = model.Config.BottleneckTokens, start = inputs.shape[1];
        var layers = new (Tensor, Tensor)[all.Layers.Count];
        for (int i = 0; i < layers.Length; i++)
            layers[i] = (all.Layers[i].Keys.narrow(2, start, k), all.Layers[i].Values.narrow(2, start, k));
        return new KvCache(layers, all.NextPosition);
    }

    /// <summary>Runs [X; B] causally and keeps the keys/values of all N + K positions (for severing checks).</summary>
    public static KvCache EncodeAll(BtokModel model, Tensor inputs)
    {
        Tensor x = cat([inputs, Btoks(model, inputs)], 1);
        Tensor positions = arange(x.shape[1], dtype: ScalarType.Int64, device: inputs.device).unsqueeze(0);
        var present = new List<(Tensor Keys, Tensor Values)>(model.Config.Layers);
        // The hidden states are not needed here: only the keys/values reach the target.
        _ = model.HiddenAt(x, positions, mask: null, past: null, present);
        return new KvCache(present, x.shape[1]);
    }

    /// <summary>
    /// KV form, second half: runs the target with the K cached BTok slots prepended to every layer's keys/values, at
    /// positions starting at <see cref="KvCache.NextPosition"/>. Returns target logits [B, T, V].
    /// </summary>
    public static Tensor KvFormLogits(BtokModel model, KvCache btokCache, Tensor targetIds)
    {
        int k = (int)btokCache.Layers[0].Keys.shape[2], t = (int)targetIds.shape[1];
        return TargetLogits(model, btokCache, targetIds, CondensationMask.TargetRows(k, t, targetIds.device));
    }

    /// <summary>
    /// Runs the target against any cache with the given [T, P + T] target rows of a mask (true = may attend).
    /// </summary>
    public static Tensor TargetLogits(BtokModel model, KvCache cache, Tensor targetIds, Tensor targetRows)
    {
        Tensor targets = model.EmbedTokens(targetIds).to_type(cache.Layers[0].Keys.dtype);
        long t = targets.shape[1];
        Tensor positions = arange(cache.NextPosition, cache.NextPosition + t, dtype: ScalarType.Int64, device: targets.device).unsqueeze(0);
        Tensor hidden = model.HiddenAt(targets, positions, targetRows.unsqueeze(0).unsqueeze(0), cache.Layers);
        return Logits(model, hidden);
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

    private static Tensor Btoks(BtokModel model, Tensor inputs) =>
        (model.Btoks ?? throw new InvalidOperationException("The generative loss needs BToks; this model has K = 0."))
            .unsqueeze(0).expand(inputs.shape[0], -1, -1).to_type(inputs.dtype);

    private static Tensor Logits(BtokModel model, Tensor hidden) =>
        nn.functional.linear(hidden, model.TokenEmbeddingWeight.to_type(hidden.dtype));
}
