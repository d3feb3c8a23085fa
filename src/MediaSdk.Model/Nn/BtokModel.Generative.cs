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

    private int[]? _outputTokens;
    private Tensor? _outputIndex, _outputLookup;

    /// <summary>
    /// The token ids the generative head scores, ascending, or null for the whole vocabulary. A model trained on one
    /// domain's targets can restrict its output softmax to the tokens those targets use: on a small model the full
    /// 50257-way head dominates the GIC cost. Read-back then decodes within the same tokens. Saved in config.json.
    /// </summary>
    public int[]? OutputTokens
    {
        get => _outputTokens;
        set
        {
            if (value is not null)
            {
                for (int i = 0; i < value.Length; i++)
                {
                    if (value[i] < 0 || value[i] >= Config.VocabSize || (i > 0 && value[i] <= value[i - 1]))
                        throw new ArgumentException($"Output token {value[i]} at index {i} is out of range 0..{Config.VocabSize - 1} or not ascending; give distinct ascending token ids.", nameof(value));
                }
            }
            _outputIndex?.Dispose();
            _outputLookup?.Dispose();
            _outputIndex = _outputLookup = null;
            _outputTokens = value;
        }
    }

    /// <summary>
    /// Next-token logits from hidden states through the tied output head (hidden @ embed_tokens.weight^T, restricted to
    /// <see cref="OutputTokens"/> when set): the encoder has no LM head of its own, so the generative loss adds no
    /// parameters and trains the text embedding table directly. Class j of the result is token <see cref="OutputToken"/>(j).
    /// </summary>
    public Tensor TiedLogits(Tensor hidden)
    {
        Tensor table = embed_tokens.weight!;
        if (_outputTokens is not null)
        {
            _outputIndex ??= tensor(Array.ConvertAll(_outputTokens, x => (long)x), device: table.device).DetachFromDisposeScope();
            table = table.index_select(0, _outputIndex);
        }
        return nn.functional.linear(hidden, table.to_type(hidden.dtype));
    }

    /// <summary>The token id of logit class <paramref name="index"/>.</summary>
    public int OutputToken(long index) => _outputTokens is null ? (int)index : _outputTokens[index];

    /// <summary>
    /// Logit classes of token ids (int64, any shape): the ids themselves for the full vocabulary, else their positions
    /// in <see cref="OutputTokens"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A token is outside the output vocabulary.</exception>
    public Tensor OutputClasses(Tensor ids)
    {
        if (_outputTokens is null) return ids;
        if (_outputLookup is null)
        {
            var lookup = new long[Config.VocabSize];
            Array.Fill(lookup, -1L);
            for (int i = 0; i < _outputTokens.Length; i++) lookup[_outputTokens[i]] = i;
            _outputLookup = tensor(lookup, device: ids.device).DetachFromDisposeScope();
        }
        Tensor classes = _outputLookup.index_select(0, ids.reshape(-1)).reshape(ids.shape);
        if ((classes < 0).any().item<bool>())
            throw new ArgumentException("A target token is outside the model's output vocabulary; train with the full vocabulary or rebuild the output tokens from this data.", nameof(ids));
        return classes;
    }

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
            int next = OutputToken(TiedLogits(hidden.select(1, ids.Count - 1)).argmax(-1).item<long>());
            if (next == endId) break;
            ids.Add(next);
            generated.Add(next);
        }
        return [.. generated];
    }
}
