using MediaSdk.Training.Data;

namespace MediaSdk.Training;

/// <summary>
/// Which examples form the batch of each step: one task per batch (so in-batch negatives are hard negatives,
/// METHOD.md §4; a pair's manifest "batch" can name another task's batches to join), tasks interleaved, a fresh
/// shuffle per epoch. A pure function of (examples, batch size, seed, step), so a resumed run draws exactly the
/// batches the uninterrupted run would have drawn, with no RNG state to save.
/// </summary>
internal sealed class BatchPlan
{
    private readonly List<int[]> _tasks = [];
    private readonly int _batchSize;
    private readonly int _seed;
    private readonly int _batchesPerEpoch;
    private int _cachedEpoch = -1;
    private List<int[]> _epoch = [];

    public BatchPlan(IReadOnlyList<TrainingExample> examples, int batchSize, int seed)
    {
        _batchSize = batchSize;
        _seed = seed;
        var byTask = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var order = new List<string>();
        for (int i = 0; i < examples.Count; i++)
        {
            string key = examples[i].BatchKey;
            if (!byTask.TryGetValue(key, out List<int>? list))
            {
                byTask[key] = list = [];
                order.Add(key);
            }
            list.Add(i);
        }
        foreach (string task in order)
        {
            int[] members = [.. byTask[task]];
            // A batch of one has no negatives, so a lone leftover is dropped from that epoch (it returns in the next).
            int full = members.Length / batchSize, rest = members.Length % batchSize;
            int batches = full + (rest >= 2 ? 1 : 0);
            if (batches == 0) continue;
            _tasks.Add(members);
            _batchesPerEpoch += batches;
        }
        if (_batchesPerEpoch == 0)
            throw new ArgumentException($"The manifest's tasks have {examples.Count} example(s) but no task has the 2 a contrastive batch needs; add pairs or merge tasks.");
    }

    public int BatchesPerEpoch => _batchesPerEpoch;

    /// <summary>Example indices of the batch at 0-based <paramref name="step"/>.</summary>
    public int[] Batch(int step)
    {
        int epoch = step / _batchesPerEpoch;
        if (epoch != _cachedEpoch)
        {
            _epoch = BuildEpoch(epoch);
            _cachedEpoch = epoch;
        }
        return _epoch[step % _batchesPerEpoch];
    }

    private List<int[]> BuildEpoch(int epoch)
    {
        // System.Random with a seed uses a fixed legacy algorithm: the same sequence on every platform and version.
        // (HashCode.Combine would not do: it is randomised per process.)
        var random = new Random(unchecked((_seed * 1_000_003) + (epoch * 7_919) + 17));
        var batches = new List<int[]>(_batchesPerEpoch);
        foreach (int[] task in _tasks)
        {
            int[] shuffled = (int[])task.Clone();
            random.Shuffle(shuffled);
            for (int s = 0; s < shuffled.Length; s += _batchSize)
            {
                int count = Math.Min(_batchSize, shuffled.Length - s);
                if (count >= 2) batches.Add(shuffled[s..(s + count)]);
            }
        }
        int[][] order = [.. batches];
        random.Shuffle(order);
        return [.. order];
    }
}
