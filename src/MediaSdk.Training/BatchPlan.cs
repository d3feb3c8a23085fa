using MediaSdk.Training.Data;

namespace MediaSdk.Training;

/// <summary>
/// Which examples form the batch of each step: one task per batch (so in-batch negatives are hard negatives,
/// METHOD.md §4; a pair's manifest "batch" can name another task's batches to join), tasks interleaved, a fresh
/// shuffle per epoch. A pure function of (examples, batch size, seed, step), so a resumed run draws exactly the
/// batches the uninterrupted run would have drawn, with no RNG state to save.
/// </summary>
/// <remarks>
/// A task weight w puts each of the task's pairs into every epoch w times (0 leaves the task out): the way to spend more
/// of a fixed step budget on a task that learns slowly. Copies of one pair that land in the same batch are harmless:
/// identical positives are masked out of each other's softmax (StepComputer.SameAsPositive).
/// </remarks>
internal sealed class BatchPlan
{
    private readonly List<int[]> _tasks = [];
    private readonly int _batchSize;
    private readonly int _seed;
    private readonly int _batchesPerEpoch;
    private int _cachedEpoch = -1;
    private List<int[]> _epoch = [];

    /// <exception cref="ArgumentException">A weight names a task the examples lack, or no task is left with a batch.</exception>
    public BatchPlan(IReadOnlyList<TrainingExample> examples, int batchSize, int seed, IReadOnlyDictionary<string, int>? taskWeights = null)
    {
        _batchSize = batchSize;
        _seed = seed;
        taskWeights ??= new Dictionary<string, int>();
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (TrainingExample e in examples) names.Add(e.Task);
        CheckTasksExist("--task-weight", taskWeights.Keys, names);
        var byTask = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var order = new List<string>();
        for (int i = 0; i < examples.Count; i++)
        {
            int copies = taskWeights.TryGetValue(examples[i].Task, out int w) ? w : 1;
            if (copies == 0) continue;
            string key = examples[i].BatchKey;
            if (!byTask.TryGetValue(key, out List<int>? list))
            {
                byTask[key] = list = [];
                order.Add(key);
            }
            for (int c = 0; c < copies; c++) list.Add(i);
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
            throw new ArgumentException($"The manifest's tasks have {examples.Count} example(s) but no task has the 2 a contrastive batch needs; add pairs or merge tasks"
                + (taskWeights.Values.Any(w => w == 0) ? ", or give the tasks --task-weight left out (weight 0) a weight." : "."));
    }

    public int BatchesPerEpoch => _batchesPerEpoch;

    /// <summary>Throws when a task that <paramref name="flag"/> names is none of the manifest's <paramref name="tasks"/>.</summary>
    /// <exception cref="ArgumentException">The message names the flag, the task and the manifest's tasks.</exception>
    internal static void CheckTasksExist(string flag, IEnumerable<string> named, IReadOnlySet<string> tasks)
    {
        foreach (string task in named)
        {
            if (!tasks.Contains(task))
                throw new ArgumentException($"{flag} names task '{task}', which no pair of the manifest has; its tasks are {string.Join(", ", tasks.Order(StringComparer.Ordinal))}.");
        }
    }

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
