using MediaSdk.Model;
using MediaSdk.Model.Nn;
using MediaSdk.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MediaSdk.Training;

/// <summary>The losses of one step (plain numbers, read after backward).</summary>
/// <param name="Loss">InfoNCE + lambdaEff * NTP.</param>
/// <param name="InfoNce">The contrastive term.</param>
/// <param name="Ntp">Token-mean NTP over the batch's supervised target tokens, or null when off or no sample has a target.</param>
/// <param name="LambdaEffective">lambda scaled by the fraction of samples with a target (0 when off).</param>
/// <param name="Accuracy">In-batch query -> positive top-1 accuracy.</param>
/// <param name="TextCosine">Mean cosine between the batch's distinct candidate texts (null with fewer than two): near 1 means they collapsed.</param>
internal readonly record struct StepLosses(double Loss, double InfoNce, double? Ntp, double LambdaEffective, double Accuracy, double? TextCosine = null);

/// <summary>
/// Computes one step's gradients for L = InfoNCE + lambda * NTP (METHOD.md §4), plus <paramref name="uniformity"/> times
/// the uniformity of the batch's distinct candidate texts when that weight is positive, directly or with GradCache,
/// into the model parameters' .grad. The optimiser step is the caller's.
/// </summary>
/// <remarks>
/// InfoNCE: query -> positive, cosine of L2-normalised embeddings over temperature tau, candidates = the batch's
/// positives (in-batch negatives) plus every explicit hard negative of the batch. NTP: summed cross-entropy of all
/// supervised target tokens divided by their count in the whole batch (token mean), so chunked (GradCache) and direct
/// passes give the same gradient. Which side generates is per sample (<see cref="TrainingExample.From"/>).
/// </remarks>
internal sealed class StepComputer(BtokModel model, double temperature, GicForm form, TargetAttention mask, int? chunk, ScalarType dtype, Device device,
    double uniformity = 0, bool ownNegatives = false)
{
    private readonly BtokPooling _pooling = model.Config.EffectivePooling(null);

    /// <summary>Lambda scaled by the fraction of samples in the batch that have a target (METHOD.md §4).</summary>
    public static double EffectiveLambda(double lambda, IReadOnlyList<TrainingExample> batch)
    {
        if (lambda <= 0) return 0;
        int withTarget = 0;
        foreach (TrainingExample e in batch) withTarget += e.TargetIds is null ? 0 : 1;
        return lambda * withTarget / batch.Count;
    }

    /// <summary>Runs forward and backward for <paramref name="batch"/>; gradients accumulate into the parameters.</summary>
    public StepLosses Backward(IReadOnlyList<TrainingExample> batch, double lambdaEffective)
    {
        using DisposeScope scope = NewDisposeScope();
        List<SideInput> negatives = [];
        foreach (TrainingExample e in batch) negatives.AddRange(e.Negatives);
        long tokens = TargetTokens(batch, lambdaEffective);
        return chunk is { } size && size < batch.Count + negatives.Count
            ? GradCache(batch, negatives, lambdaEffective, tokens, size)
            : Direct(batch, negatives, lambdaEffective, tokens);
    }

    private StepLosses Direct(IReadOnlyList<TrainingExample> batch, List<SideInput> negatives, double lambdaEffective, long tokens)
    {
        (Tensor q, Tensor? ntpQ) = Side(batch, 0, batch.Count, e => e.Query, TargetSide.Query, tokens > 0);
        (Tensor p, Tensor? ntpP) = Side(batch, 0, batch.Count, e => e.Positive, TargetSide.Positive, tokens > 0);
        Tensor? n = negatives.Count > 0 ? Embed(negatives, 0, negatives.Count) : null;
        (Tensor nce, double accuracy) = InfoNce(q, p, n, Excluded(batch, negatives, ownNegatives));
        (Tensor contrastive, double? textCosine) = WithUniformity(nce, p, n, batch, negatives);
        Tensor loss = contrastive;
        double? ntp = null;
        if (tokens > 0)
        {
            Tensor ntpMean = Sum(ntpQ, ntpP) / tokens;
            ntp = ntpMean.ToDouble();
            loss = contrastive + ntpMean * lambdaEffective;
        }
        loss.backward();
        return new StepLosses(loss.ToDouble(), nce.ToDouble(), ntp, tokens > 0 ? lambdaEffective : 0, accuracy, textCosine);
    }

    /// <summary>
    /// GradCache (Gao et al. 2021): embed everything without gradients, take the InfoNCE gradient with respect to the
    /// embeddings, then re-run each chunk with gradients and back-propagate embedding · cached-gradient, adding the
    /// chunk's share of the NTP loss in the same pass. The model has no dropout, so the re-run is exact.
    /// </summary>
    private StepLosses GradCache(IReadOnlyList<TrainingExample> batch, List<SideInput> negatives, double lambdaEffective, long tokens, int size)
    {
        Tensor q, p;
        Tensor? n = null;
        using (no_grad())
        {
            q = EmbedChunked(batch.Count, size, (s, c) => Embed(Sides(batch, s, c, e => e.Query), 0, c));
            p = EmbedChunked(batch.Count, size, (s, c) => Embed(Sides(batch, s, c, e => e.Positive), 0, c));
            if (negatives.Count > 0) n = EmbedChunked(negatives.Count, size, (s, c) => Embed(negatives, s, c));
        }
        Tensor qLeaf = q.requires_grad_(true), pLeaf = p.requires_grad_(true);
        Tensor? nLeaf = n?.requires_grad_(true);
        (Tensor nce, double accuracy) = InfoNce(qLeaf, pLeaf, nLeaf, Excluded(batch, negatives, ownNegatives));
        (Tensor contrastive, double? textCosine) = WithUniformity(nce, pLeaf, nLeaf, batch, negatives);
        contrastive.backward();
        Tensor gq = qLeaf.grad!.clone(), gp = pLeaf.grad!.clone();
        Tensor? gn = nLeaf?.grad?.clone();

        double ntpSum = 0;
        for (int s = 0; s < batch.Count; s += size)
        {
            int c = Math.Min(size, batch.Count - s);
            ntpSum += ChunkBackward(batch, s, c, e => e.Query, TargetSide.Query, gq, lambdaEffective, tokens);
            ntpSum += ChunkBackward(batch, s, c, e => e.Positive, TargetSide.Positive, gp, lambdaEffective, tokens);
        }
        for (int s = 0; s < negatives.Count; s += size)
        {
            using DisposeScope scope = NewDisposeScope();
            int c = Math.Min(size, negatives.Count - s);
            (Embed(negatives, s, c) * gn!.narrow(0, s, c)).sum().backward();
        }

        double? ntp = tokens > 0 ? ntpSum / tokens : null;
        return new StepLosses(contrastive.ToDouble() + (ntp ?? 0) * lambdaEffective, nce.ToDouble(), ntp, tokens > 0 ? lambdaEffective : 0, accuracy,
            textCosine);
    }

    private double ChunkBackward(IReadOnlyList<TrainingExample> batch, int start, int count, Func<TrainingExample, SideInput> side,
        TargetSide generating, Tensor gradient, double lambdaEffective, long tokens)
    {
        using DisposeScope scope = NewDisposeScope();
        (Tensor embedding, Tensor? ntpSum) = Side(batch, start, count, side, generating, tokens > 0);
        Tensor surrogate = (embedding * gradient.narrow(0, start, count)).sum();
        double sum = 0;
        if (ntpSum is not null)
        {
            sum = ntpSum.ToDouble();
            surrogate = surrogate + ntpSum * (lambdaEffective / tokens);
        }
        surrogate.backward();
        return sum;
    }

    private static Tensor EmbedChunked(int total, int size, Func<int, int, Tensor> embed)
    {
        var parts = new List<Tensor>();
        for (int s = 0; s < total; s += size) parts.Add(embed(s, Math.Min(size, total - s)));
        return cat(parts, 0);
    }

    /// <summary>
    /// Embeds one side of batch rows [start, start + count) and, when the generative loss is on, runs the targets of the
    /// rows that generate from this side. Returns the embeddings and the summed NTP (null when no row generates here).
    /// </summary>
    private (Tensor Embedding, Tensor? NtpSum) Side(IReadOnlyList<TrainingExample> batch, int start, int count,
        Func<TrainingExample, SideInput> side, TargetSide generating, bool generative)
    {
        List<SideInput> sides = Sides(batch, start, count, side);
        (Tensor inputs, long[] pads) = Inputs(sides, 0, sides.Count);
        TargetBatch? targets = null;
        if (generative)
        {
            var rows = new List<(int, int[])>();
            for (int i = 0; i < count; i++)
            {
                TrainingExample e = batch[start + i];
                if (e.TargetIds is { } ids && e.From == generating) rows.Add((i, ids));
            }
            targets = TargetBatch.Create(rows, dtype, device);
        }
        return GenerativeForward.Forward(model, inputs, pads, _pooling, targets, form, mask);
    }

    /// <summary>Embeddings [count, D] of sides [start, start + count), without targets.</summary>
    public Tensor Embed(IReadOnlyList<SideInput> sides, int start, int count)
    {
        (Tensor inputs, long[] pads) = Inputs(sides, start, count);
        return GenerativeForward.Forward(model, inputs, pads, _pooling, null, form, mask).Embedding;
    }

    /// <summary>Left-padded input embeddings [B, T, D]: each side's vision tokens, then its text tokens.</summary>
    /// <remarks>
    /// All rows' text goes through one embedding lookup: the lookup's backward allocates a dense gradient of the whole
    /// vocabulary table, so one lookup per row cost a table-sized zero fill per row (most of a step's time).
    /// </remarks>
    public (Tensor Inputs, long[] Pads) Inputs(IReadOnlyList<SideInput> sides, int start, int count)
    {
        int totalText = 0;
        for (int i = 0; i < count; i++) totalText += sides[start + i].TextIds.Length;
        Tensor? text = null;
        if (totalText > 0)
        {
            var ids = new long[totalText];
            int at = 0;
            for (int i = 0; i < count; i++)
                foreach (int id in sides[start + i].TextIds) ids[at++] = id;
            text = model.EmbedTokens(tensor(ids, device: device)).to_type(dtype);
        }

        var rows = new Tensor[count];
        long longest = 0;
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            SideInput side = sides[start + i];
            Tensor? vision = null;
            if (side.Pixels is { } pixels)
            {
                int size = model.Config.ImageSize;
                vision = model.EmbedFrames(tensor(pixels, [side.Frames, 3, size, size]).to(dtype, device));
            }
            Tensor? words = side.TextIds.Length > 0 ? text!.narrow(0, offset, side.TextIds.Length) : null;
            offset += side.TextIds.Length;
            rows[i] = vision is null ? words! : words is null ? vision : cat([vision, words], 0);
            longest = Math.Max(longest, rows[i].shape[0]);
        }
        var pads = new long[count];
        for (int i = 0; i < count; i++)
        {
            pads[i] = longest - rows[i].shape[0];
            if (pads[i] > 0) rows[i] = nn.functional.pad(rows[i], [0, 0, pads[i], 0]);
        }
        return (stack(rows, 0), pads);
    }

    /// <summary>
    /// InfoNCE query -> positive over [positives; hard negatives], and the top-1 accuracy. Candidates marked in
    /// <paramref name="sameAsPositive"/> [B, B + H] (another pair's positive or a negative with the same content as this
    /// query's positive, e.g. the same class label) are left out of that query's softmax: they are not negatives.
    /// </summary>
    public (Tensor Loss, double Accuracy) InfoNce(Tensor queries, Tensor positives, Tensor? negatives, bool[,]? sameAsPositive = null)
    {
        Tensor candidates = negatives is null ? positives : cat([positives, negatives], 0);
        Tensor logits = queries.matmul(candidates.t()) / temperature;
        if (sameAsPositive is not null)
        {
            int rows = sameAsPositive.GetLength(0), columns = sameAsPositive.GetLength(1);
            var flat = new bool[rows * columns];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++) flat[i * columns + j] = sameAsPositive[i, j];
            Tensor mask = tensor(flat, [rows, columns], device: logits.device);
            logits = logits.masked_fill(mask, double.NegativeInfinity);
        }
        Tensor labels = arange(queries.shape[0], dtype: ScalarType.Int64, device: queries.device);
        Tensor loss = nn.functional.cross_entropy(logits, labels);
        double accuracy;
        using (no_grad()) accuracy = logits.argmax(1).eq(labels).to_type(ScalarType.Float64).mean().ToDouble();
        return (loss, accuracy);
    }

    /// <summary>
    /// <paramref name="nce"/> plus the uniformity term when its weight is positive, and the mean cosine between the
    /// batch's distinct candidate texts (a diagnostic, logged either way).
    /// </summary>
    private (Tensor Loss, double? TextCosine) WithUniformity(Tensor nce, Tensor positives, Tensor? negatives,
        IReadOnlyList<TrainingExample> batch, List<SideInput> negativeSides)
    {
        long[] texts = DistinctTexts(batch, negativeSides);
        if (texts.Length < 2) return (nce, null);
        Tensor candidates = negatives is null ? positives : cat([positives, negatives], 0);
        (Tensor spread, double cosine) = Uniformity(candidates.index_select(0, tensor(texts, device: candidates.device)));
        return (uniformity > 0 ? nce + spread * uniformity : nce, cosine);
    }

    /// <summary>
    /// Uniformity (Wang and Isola 2020, t = 2) of L2-normalised rows: log mean over pairs i &lt; j of exp(-2 |x_i - x_j|^2),
    /// 0 when all rows coincide, and the rows' mean pairwise cosine.
    /// </summary>
    /// <remarks>
    /// Why: short label and answer texts ("a ring", "a square") start almost identical, and when the queries of their pairs
    /// are alike too, InfoNCE's pull and push on them cancel, so neither side ever separates (docs/results.md, "Contrastive
    /// label batches collapse"). This term pushes the closest texts apart first (the exponential weights them most), which
    /// gives the query side distinct targets to learn towards.
    /// </remarks>
    internal static (Tensor Loss, double MeanCosine) Uniformity(Tensor rows)
    {
        long n = rows.shape[0];
        Tensor cosine = rows.matmul(rows.t());
        Tensor upper = ones(n, n, dtype: ScalarType.Bool, device: rows.device).triu(1);
        Tensor pairs = cosine.masked_select(upper);
        // |x_i - x_j|^2 = 2 - 2 cos for unit rows.
        Tensor loss = (pairs * 4 - 4).logsumexp(0) - Math.Log(pairs.shape[0]);
        double mean;
        using (no_grad()) mean = pairs.mean().ToDouble();
        return (loss, mean);
    }

    /// <summary>Columns of [positives; negatives] that are text only, the first of each distinct text.</summary>
    internal static long[] DistinctTexts(IReadOnlyList<TrainingExample> batch, IReadOnlyList<SideInput> negatives)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var columns = new List<long>();
        for (int j = 0; j < batch.Count + negatives.Count; j++)
        {
            SideInput side = j < batch.Count ? batch[j].Positive : negatives[j - batch.Count];
            if (side.Pixels is null && side.TextIds.Length > 0 && seen.Add(string.Join(',', side.TextIds))) columns.Add(j);
        }
        return [.. columns];
    }

    /// <summary>
    /// [B, B + H]: the candidates left out of each pair's softmax: <see cref="SameAsPositive"/>, and with
    /// <paramref name="ownNegatives"/>, for a pair that has hard negatives, every candidate but its positive and its own
    /// negatives. Null when there is none.
    /// </summary>
    /// <remarks>
    /// Why own negatives: a pair with a fixed candidate list (a label or an answer among its class's others) is scored
    /// by the benchmark among that list alone. In a batch that mixes question types, the other pairs' answers compete
    /// too: "a square" must beat "gray" when the shape is asked and lose to it when the colour is, which only the
    /// instruction can settle. Scored among its own candidates, an embedding that holds shape and colour side by side
    /// serves both questions. (Not yet shown to score better: docs/results.md, r12; r13 measures it.)
    /// </remarks>
    internal static bool[,]? Excluded(IReadOnlyList<TrainingExample> batch, IReadOnlyList<SideInput> negatives, bool ownNegatives)
    {
        bool[,]? mask = SameAsPositive(batch, negatives);
        if (!ownNegatives) return mask;
        int b = batch.Count, columns = b + negatives.Count, first = b;
        for (int i = 0; i < b; i++)
        {
            int count = batch[i].Negatives.Count;
            if (count > 0)
            {
                mask ??= new bool[b, columns];
                for (int j = 0; j < columns; j++)
                {
                    if (j != i && (j < first || j >= first + count)) mask[i, j] = true;
                }
            }
            first += count;
        }
        return mask;
    }

    /// <summary>
    /// [B, B + H]: true where candidate j (a positive of another pair, or a hard negative) has the same content as pair
    /// i's positive (same pixels array and text ids), so it must not count as a negative; null when there is none.
    /// </summary>
    internal static bool[,]? SameAsPositive(IReadOnlyList<TrainingExample> batch, IReadOnlyList<SideInput> negatives)
    {
        int b = batch.Count, columns = b + negatives.Count;
        bool[,]? mask = null;
        for (int i = 0; i < b; i++)
        {
            SideInput positive = batch[i].Positive;
            for (int j = 0; j < columns; j++)
            {
                if (j == i) continue;
                SideInput candidate = j < b ? batch[j].Positive : negatives[j - b];
                if (ReferenceEquals(candidate.Pixels, positive.Pixels) && candidate.TextIds.AsSpan().SequenceEqual(positive.TextIds))
                    (mask ??= new bool[b, columns])[i, j] = true;
            }
        }
        return mask;
    }

    private static long TargetTokens(IReadOnlyList<TrainingExample> batch, double lambdaEffective)
    {
        if (lambdaEffective <= 0) return 0;
        long tokens = 0;
        foreach (TrainingExample e in batch) tokens += e.TargetIds is { } ids ? ids.Length - 1 : 0;
        return tokens;
    }

    private static List<SideInput> Sides(IReadOnlyList<TrainingExample> batch, int start, int count, Func<TrainingExample, SideInput> side)
    {
        var sides = new List<SideInput>(count);
        for (int i = 0; i < count; i++) sides.Add(side(batch[start + i]));
        return sides;
    }

    private static Tensor Sum(Tensor? a, Tensor? b) => a is null ? b! : b is null ? a : a + b;
}
