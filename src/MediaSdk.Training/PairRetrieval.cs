using MediaSdk.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MediaSdk.Training;

/// <summary>
/// Training-pair retrieval: each of the first queries ranks its own positive against the positives of the next 15
/// pairs (cyclically), by cosine. Hit@1 counts a query whose own positive scores strictly highest. It checks that a
/// run fits its data (generalisation is the benchmark's job).
/// </summary>
internal static class PairRetrieval
{
    public const int Candidates = 16;

    /// <summary>Hit@1 and chance (1 / candidates) over the first <paramref name="maxQueries"/> pairs.</summary>
    public static (double Hit1, double Chance) Hit1(StepComputer computer, IReadOnlyList<TrainingExample> examples, int maxQueries, int chunk)
    {
        int count = Math.Min(examples.Count, maxQueries);
        int candidates = Math.Min(Candidates, count);
        using DisposeScope scope = NewDisposeScope();
        using IDisposable noGrad = no_grad();
        var queries = new List<SideInput>(count);
        var positives = new List<SideInput>(count);
        for (int i = 0; i < count; i++)
        {
            queries.Add(examples[i].Query);
            positives.Add(examples[i].Positive);
        }
        Tensor q = Embed(computer, queries, chunk), p = Embed(computer, positives, chunk);
        float[] similarity = q.matmul(p.t()).to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
        int hits = 0;
        for (int i = 0; i < count; i++)
        {
            float own = similarity[i * count + i];
            bool best = true;
            for (int r = 1; r < candidates && best; r++) best = similarity[i * count + ((i + r) % count)] < own;
            hits += best ? 1 : 0;
        }
        return ((double)hits / count, 1.0 / candidates);
    }

    private static Tensor Embed(StepComputer computer, List<SideInput> sides, int chunk)
    {
        var parts = new List<Tensor>();
        for (int s = 0; s < sides.Count; s += chunk) parts.Add(computer.Embed(sides, s, Math.Min(chunk, sides.Count - s)));
        return cat(parts, 0);
    }
}
