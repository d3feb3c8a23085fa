using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Model.Nn;

/// <summary>
/// The BTok network: token and patch embedders feeding one Qwen2-style decoder stack, K learnable bottleneck tokens
/// spliced after each sample's last real token, a final RMSNorm and the readout (METHOD.md §2).
/// </summary>
/// <remarks>
/// Parameter names follow Qwen2 without the "model." prefix (embed_tokens, layers.N.self_attn.q_proj, ...,
/// layers.N.mlp.gate_proj, input_layernorm, post_attention_layernorm, norm) plus patch_embed.* and btoks, so a trainer
/// and a later Qwen2 weight mapper can address them by name. Batches are left-padded: every row ends with its BToks at
/// the same columns, and RoPE positions count from each row's first real token. Construct outside any dispose scope.
/// </remarks>
internal sealed partial class BtokModel : nn.Module
{
    private readonly Rope _rope;
#pragma warning disable IDE1006 // field names are the checkpoint's parameter names
    private readonly Embedding embed_tokens;
    private readonly PatchEmbed patch_embed;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly Parameter? btoks;
#pragma warning restore IDE1006

    public BtokModel(BtokConfig config) : base(nameof(BtokModel))
    {
        Config = config;
        _rope = new Rope(config.HeadDim, config.RopeTheta);
        embed_tokens = nn.Embedding(config.VocabSize, config.DModel);
        patch_embed = new PatchEmbed(config);
        var blocks = new DecoderLayer[config.Layers];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = new DecoderLayer(config);
        layers = nn.ModuleList(blocks);
        norm = new RmsNorm(config.DModel, config.RmsNormEps);
        // K = 0 (last-token baseline) has no BTok parameter at all rather than an empty one.
        if (config.BottleneckTokens > 0) btoks = new Parameter(zeros(config.BottleneckTokens, config.DModel));
        RegisterComponents();
    }

    /// <summary>Name of the K x D bottleneck-token parameter.</summary>
    public const string BtoksName = nameof(btoks);

    public BtokConfig Config { get; }

    /// <summary>Token embeddings [B, T, D] for int64 ids [B, T].</summary>
    public Tensor EmbedTokens(Tensor ids) => embed_tokens.forward(ids);

    /// <summary>Vision tokens [F * P, D] for one window's frames [F, 3, S, S] (already in the model dtype and device).</summary>
    public Tensor EmbedFrames(Tensor frames) => patch_embed.forward(frames);

    /// <summary>The vision embedder, for tests that compare its fast path with the convolution.</summary>
    internal PatchEmbed PatchEmbed => patch_embed;

    /// <summary>
    /// Runs the stack over left-padded input embeddings and returns L2-normalised float32 embeddings [B, D].
    /// </summary>
    /// <param name="inputs">[B, T, D] input embeddings; row b has <paramref name="pads"/>[b] padding columns on the left.</param>
    /// <param name="pads">Left padding per row.</param>
    /// <param name="pooling">The effective readout (never Btok when K = 0).</param>
    public Tensor Embed(Tensor inputs, long[] pads, BtokPooling pooling) =>
        // BToks only matter for the Btok readout: under causal attention nothing before them sees them, so the other
        // readouts skip them and give the same result faster.
        Readout(Hidden(inputs, pads, pooling == BtokPooling.Btok), inputs.shape[1], pads, pooling);

    /// <summary>
    /// The readout of METHOD.md §2 over final-norm hidden states [B, T (+K), D] whose real inputs end at column
    /// <paramref name="realEnd"/>: L2-normalised [B, D] in float32 (float64 stays float64, for gradient checks).
    /// </summary>
    internal static Tensor Readout(Tensor hidden, long realEnd, long[] pads, BtokPooling pooling)
    {
        ScalarType dtype = hidden.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        Tensor pooled = pooling switch
        {
            BtokPooling.Btok => hidden.narrow(1, realEnd, hidden.shape[1] - realEnd).to_type(dtype).mean([1L]),
            BtokPooling.LastToken => hidden.select(1, realEnd - 1).to_type(dtype),
            // Only the real inputs: with BToks appended (read-back, training) the mean must not include their states.
            _ => MaskedMean(hidden.narrow(1, 0, realEnd).to_type(dtype), pads),
        };
        return pooled / pooled.norm(1, keepdim: true).clamp_min(1e-12);
    }

    /// <summary>
    /// Final-norm hidden states [B, T (+K), D] for left-padded inputs, with the BToks appended when asked. Trainers use
    /// this directly; positions of the BToks continue from each row's last real token.
    /// </summary>
    public Tensor Hidden(Tensor inputs, long[] pads, bool appendBtoks, Action? mark = null)
    {
        (Tensor x, Tensor cos, Tensor sin, Tensor? mask) = Layout(inputs, pads, appendBtoks);
        mark?.Invoke();
        foreach (DecoderLayer layer in layers)
        {
            x = layer.AttentionBlock(x, cos, sin, mask);
            mark?.Invoke();
            x = layer.MlpBlock(x);
            mark?.Invoke();
        }
        return norm.forward(x);
    }

    /// <summary>
    /// <see cref="Hidden"/> that also hands back every layer's post-RoPE keys/values [B, H, T (+K), hd] in
    /// <paramref name="present"/>, for the generative target pass (METHOD.md §3, KV form) and read-back.
    /// </summary>
    public Tensor HiddenWithCache(Tensor inputs, long[] pads, bool appendBtoks, List<(Tensor Keys, Tensor Values)> present)
    {
        (Tensor x, Tensor cos, Tensor sin, Tensor? mask) = Layout(inputs, pads, appendBtoks);
        for (int i = 0; i < layers.Count; i++)
        {
            (Tensor h, Tensor k, Tensor v) = layers[i].ForwardKv(x, cos, sin, mask, past: null);
            present.Add((k, v));
            x = h;
        }
        return norm.forward(x);
    }

    /// <summary>The sequence with BToks appended, its RoPE tables and the padding mask (null when unpadded).</summary>
    private (Tensor X, Tensor Cos, Tensor Sin, Tensor? Mask) Layout(Tensor inputs, long[] pads, bool appendBtoks)
    {
        long b = inputs.shape[0];
        Tensor x = inputs;
        if (appendBtoks && btoks is not null)
            x = cat([inputs, btoks.unsqueeze(0).expand(b, -1, -1).to_type(inputs.dtype)], 1);
        long t = x.shape[1];

        bool padded = false;
        foreach (long p in pads) padded |= p > 0;
        Tensor columns = arange(t, dtype: ScalarType.Int64, device: x.device);
        Tensor padColumn = tensor(pads, device: x.device).unsqueeze(1);                       // [B, 1]
        Tensor positions = (columns.unsqueeze(0) - padColumn).clamp_min(0);                   // [B, T]
        (Tensor cos, Tensor sin) = _rope.Tables(positions, x.dtype);

        Tensor? mask = null;
        if (padded)
        {
            Tensor keyValid = columns.unsqueeze(0) >= padColumn;                                // [B, T]
            Tensor causal = ones(t, t, dtype: ScalarType.Bool, device: x.device).tril();
            // Padding rows may see themselves so no row is fully masked; real rows never see padding.
            Tensor self = eye(t, dtype: ScalarType.Bool, device: x.device);
            mask = ((causal.unsqueeze(0) & keyValid.unsqueeze(1)) | self.unsqueeze(0)).unsqueeze(1);
        }
        return (x, cos, sin, mask);
    }

    /// <summary>The K x D bottleneck tokens, or null when K = 0 (for the trainer's sequence layouts).</summary>
    internal Parameter? Btoks => btoks;

    /// <summary>The V x D token embedding matrix, which the trainer also uses as the tied output head.</summary>
    internal Tensor TokenEmbeddingWeight => embed_tokens.weight!;

    /// <summary>
    /// Runs the decoder stack over unpadded embeddings [B, T, D] at explicit RoPE positions and returns the final-norm
    /// hidden states [B, T, D]. The training entry point for both Condensation Mask forms (METHOD.md §3).
    /// </summary>
    /// <param name="x">Input embeddings [B, T, D].</param>
    /// <param name="positions">Int64 RoPE positions [B, T] or [1, T].</param>
    /// <param name="mask">Bool [B or 1, 1, T, P + T] (true = may attend) over [past; own] keys; null = plain causal
    /// (only without <paramref name="past"/>).</param>
    /// <param name="past">Per-layer cached keys/values [B, H, P, hd] prepended to each layer's attention, or null.</param>
    /// <param name="present">When not null, receives each layer's own keys/values [B, H, T, hd] (post-RoPE).</param>
    internal Tensor HiddenAt(Tensor x, Tensor positions, Tensor? mask,
        IReadOnlyList<(Tensor Keys, Tensor Values)>? past = null, List<(Tensor Keys, Tensor Values)>? present = null)
    {
        if (past is not null && past.Count != layers.Count)
            throw new ArgumentException($"Expected {layers.Count} cached layers, got {past.Count}.", nameof(past));
        if (positions.dim() == 2 && positions.shape[0] != x.shape[0]) positions = positions.expand(x.shape[0], -1);
        (Tensor cos, Tensor sin) = _rope.Tables(positions, x.dtype);
        for (int i = 0; i < layers.Count; i++)
        {
            (Tensor h, Tensor k, Tensor v) = layers[i].ForwardKv(x, cos, sin, mask, past?[i]);
            present?.Add((k, v));
            x = h;
        }
        return norm.forward(x);
    }

    /// <summary>
    /// The window forward of <see cref="BtokEncoder.EncodeFrames"/> with a timestamp after each stage (patch embed,
    /// each layer's attention and MLP, final norm + readout), for the profile test. Call inside a dispose scope.
    /// </summary>
    internal void ProfileWindow(Tensor pixels, BtokPooling pooling, List<double>[] stages)
    {
        int s = 0;
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        void Mark()
        {
            stages[s++].Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        Tensor tokens = EmbedFrames(pixels).unsqueeze(0);
        Tensor result = Readout(Hidden(tokens, [0], pooling == BtokPooling.Btok, Mark), tokens.shape[1], [0], pooling);
        using (var access = result.data<float>()) _ = access[0];
        Mark();
    }

    private static Tensor MaskedMean(Tensor hidden, long[] pads)
    {
        long t = hidden.shape[1];
        Tensor columns = arange(t, dtype: ScalarType.Int64, device: hidden.device).unsqueeze(0);
        Tensor valid = (columns >= tensor(pads, device: hidden.device).unsqueeze(1)).to_type(hidden.dtype); // [B, T]
        Tensor sum = (hidden * valid.unsqueeze(-1)).sum(1);
        return sum / valid.sum(1, keepdim: true);
    }
}
