using static TorchSharp.torch;

namespace MediaSdk.Model.Nn;

/// <summary>Which cached positions a generative target may read (METHOD.md §3 and its ablations, §6).</summary>
internal enum CacheSlots
{
    /// <summary>The K BToks only: the Condensation Mask (training default, and read-back).</summary>
    Btoks,

    /// <summary>The last real input token only: the K = 0 ablation (GIC through the last token).</summary>
    LastToken,

    /// <summary>Every real input token and the BToks: the "mask = full" ablation (targets see the whole input).</summary>
    All,
}

/// <summary>
/// Per-layer post-RoPE keys/values [B, H, S, hd] of S cached slots, which slots each row may read, and the RoPE position
/// each row's first target token takes.
/// </summary>
/// <param name="Layers">One (keys, values) pair per decoder layer.</param>
/// <param name="NextPositions">Int64 [B]: the position after each row's last cached real position (N_b + K).</param>
/// <param name="Valid">Bool [B, S] (true = readable; left padding is not), or null when every slot is readable.</param>
internal sealed record KvCache(IReadOnlyList<(Tensor Keys, Tensor Values)> Layers, Tensor NextPositions, Tensor? Valid = null)
{
    /// <summary>Number of cached slots S.</summary>
    public long Slots => Layers[0].Keys.shape[2];

    /// <summary>The same cache cut off from autograd: a target run against it sends no gradient into the input.</summary>
    public KvCache Detach()
    {
        var layers = new (Tensor, Tensor)[Layers.Count];
        for (int i = 0; i < layers.Length; i++) layers[i] = (Layers[i].Keys.detach(), Layers[i].Values.detach());
        return this with { Layers = layers };
    }

    /// <summary>The rows <paramref name="rows"/> (int64 indices) of every tensor, in that order.</summary>
    public KvCache SelectRows(Tensor rows)
    {
        var layers = new (Tensor, Tensor)[Layers.Count];
        for (int i = 0; i < layers.Length; i++) layers[i] = (Layers[i].Keys.index_select(0, rows), Layers[i].Values.index_select(0, rows));
        return new KvCache(layers, NextPositions.index_select(0, rows), Valid?.index_select(0, rows));
    }
}

internal sealed partial class BtokModel
{
    /// <summary>
    /// Runs left-padded inputs [B, T, D] with the BToks appended and returns the final-norm hidden states [B, T + K, D]
    /// plus the cache a generative target reads: the K BTok slots, the last real token (K = 0), or everything.
    /// </summary>
    public (Tensor Hidden, KvCache Cache) EncodeWithCache(Tensor inputs, long[] pads, CacheSlots slots)
    {
        if (slots == CacheSlots.Btoks && btoks is null)
            throw new InvalidOperationException("The Condensation Mask needs BToks but this model has K = 0; read the last token instead.");
        var present = new List<(Tensor Keys, Tensor Values)>(layers.Count);
        Tensor hidden = HiddenWithCache(inputs, pads, appendBtoks: true, present);
        long t = inputs.shape[1], k = Config.BottleneckTokens;
        Tensor padTensor = tensor(pads, device: inputs.device);
        Tensor next = -padTensor + (t + k);

        (long start, long count) = slots switch
        {
            CacheSlots.Btoks => (t, k),
            CacheSlots.LastToken => (t - 1, 1L),
            _ => (0L, t + k),
        };
        var kept = new (Tensor, Tensor)[present.Count];
        for (int i = 0; i < kept.Length; i++)
            kept[i] = (present[i].Keys.narrow(2, start, count), present[i].Values.narrow(2, start, count));
        Tensor? valid = slots == CacheSlots.All
            ? arange(t + k, dtype: ScalarType.Int64, device: inputs.device).unsqueeze(0) >= padTensor.unsqueeze(1)
            : null;
        return (hidden, new KvCache(kept, next, valid));
    }

    /// <summary>
    /// Runs target embeddings [B, M, D] against a cache: each target token sees the row's readable cached slots and the
    /// earlier target tokens, at positions NextPositions + j. Returns final-norm hidden states [B, M, D].
    /// </summary>
    public Tensor TargetHidden(KvCache cache, Tensor targets)
    {
        long b = targets.shape[0], m = targets.shape[1], s = cache.Slots;
        Device device = targets.device;
        Tensor positions = cache.NextPositions.unsqueeze(1) + arange(m, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        Tensor slotRows = cache.Valid is null
            ? ones(b, m, s, dtype: ScalarType.Bool, device: device)
            : cache.Valid.unsqueeze(1).expand(b, m, s);
        Tensor causal = ones(m, m, dtype: ScalarType.Bool, device: device).tril().unsqueeze(0).expand(b, m, m);
        Tensor mask = cat([slotRows, causal], 2).unsqueeze(1);
        return HiddenAt(targets, positions, mask, cache.Layers);
    }

    /// <summary>
    /// Next-token logits from hidden states through the tied output head (hidden @ embed_tokens.weight^T): the encoder has
    /// no LM head of its own, so the generative loss adds no parameters and trains the text embedding table directly.
    /// </summary>
    public Tensor TiedLogits(Tensor hidden) => nn.functional.linear(hidden, embed_tokens.weight!.to_type(hidden.dtype));

    /// <summary>
    /// Greedy read-back (METHOD.md §5): decodes up to <paramref name="maxTokens"/> tokens from a one-row
    /// <paramref name="cache"/>, starting from <paramref name="startId"/> and stopping at <paramref name="endId"/>.
    /// Call inside a dispose scope and inference mode. Returns the generated ids without the start and end tokens.
    /// </summary>
    public int[] GreedyDecode(KvCache cache, int startId, int endId, int maxTokens)
    {
        var ids = new List<long>(maxTokens + 1) { startId };
        var generated = new List<int>(maxTokens);
        Device device = cache.NextPositions.device;
        ScalarType dtype = cache.Layers[0].Keys.dtype;
        // The whole target is re-run per token: read-back texts are a few dozen tokens, so an incremental target cache
        // would save little and add a second code path.
        for (int step = 0; step < maxTokens; step++)
        {
            using var scope = NewDisposeScope();
            Tensor embedded = EmbedTokens(tensor(ids.ToArray(), device: device).unsqueeze(0)).to_type(dtype);
            Tensor hidden = TargetHidden(cache, embedded);
            int next = (int)TiedLogits(hidden.select(1, ids.Count - 1)).argmax(-1).item<long>();
            if (next == endId) break;
            ids.Add(next);
            generated.Add(next);
        }
        return [.. generated];
    }
}
