using System.Diagnostics;
using MediaSdk.Model.Nn;
using MediaSdk.Training.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Training;

/// <summary>
/// The vision warm-up (<see cref="TrainingOptions.StemWarmupSteps"/>): before BTok + GIC training, the vision stem
/// alone learns to classify the label pairs' media, read out by the maximum over every patch token of every frame and
/// a throw-away linear head, with cross-entropy over the distinct positive texts of the warm-up tasks.
/// </summary>
/// <remarks>
/// Why: from a random init, the decoder's attention starts as an average over ~40 patch tokens in which a small subject
/// holds 1-4, and through it the stem's gradient is too weak to learn shape within a CPU budget (docs/results.md, the
/// learnability probe). The paper starts from a pretrained vision tower; this is the budget version of that. Each image
/// is flipped left-right at random and shifted by up to an eighth of its size, so a few thousand labelled images do not
/// get memorised by their backgrounds. The stem's weights carry on into the main run. With
/// <see cref="TrainingOptions.StemKeep"/> the head is kept, frozen, and its loss rides along in every main step
/// (<see cref="KeepBackward"/>): over a long run the contrastive gradient alone wears the warm-up's shape features away.
/// <see cref="Motion"/> makes the same kind of labelled readout for video labels (<see cref="TrainingOptions.MotionKeep"/>):
/// it reads how the frame summary tokens change from frame to frame, which a max over every frame cannot see.
/// </remarks>
internal sealed class StemWarmup : IDisposable
{
    /// <summary>The warm-up head's name in the checkpoint (weight and bias under it).</summary>
    public const string HeadPrefix = "stem_head.";

    /// <summary>The motion head's name in the checkpoint.</summary>
    public const string MotionHeadPrefix = "motion_head.";

    /// <summary>Frames of each video the motion readout embeds: the first, the middle and the last (the motion token's).</summary>
    public const int MotionFrames = PatchEmbed.MotionFrames;

    private readonly BtokModel _model;
    private readonly List<TrainingExample> _examples = [];
    private readonly List<int> _labels = [];
    private readonly List<int> _tasks = [];
    private readonly int[] _pool; // the examples a step draws from, each repeated by its task's weight
    private readonly string[] _taskNames;
    private readonly int _classes;
    private readonly Tensor? _taskClasses; // [tasks, classes]: each task's own labels; null with one task
    private readonly Device _device;
    private readonly bool _motion;
    private Linear? _head;

    /// <summary>
    /// Selects the warm-up examples: pairs of <paramref name="tasks"/> whose query has pixels, each drawn as often as its
    /// task's entry in <paramref name="weights"/> (default 1).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two distinct labels among them.</exception>
    public StemWarmup(BtokModel model, IReadOnlyList<TrainingExample> examples, IReadOnlyList<string> tasks, Device device,
        IReadOnlyDictionary<string, int>? weights = null)
        : this(model, examples, tasks, device, motion: false, weights)
    {
    }

    private StemWarmup(BtokModel model, IReadOnlyList<TrainingExample> examples, IReadOnlyList<string> tasks, Device device, bool motion,
        IReadOnlyDictionary<string, int>? weights = null)
    {
        _model = model;
        _device = device;
        _motion = motion;
        string flag = motion ? "--motion-keep-tasks" : "--stem-warmup-tasks";
        // Classes are (task, label): each task is its own classification, so an image that is both "a ring" and "red" has
        // one right answer per task and the softmax of each pair runs over its own task's labels only.
        var classes = new Dictionary<(int Task, string Label), int>();
        var taskIds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string task in tasks) taskIds.TryAdd(task, taskIds.Count);
        _taskNames = [.. taskIds.Keys];
        foreach (TrainingExample e in examples)
        {
            if (!taskIds.TryGetValue(e.Task, out int task) || e.Query.Pixels is null || (motion && e.Query.Frames < 2)) continue;
            string label = string.Join(',', e.Positive.TextIds);
            if (!classes.TryGetValue((task, label), out int id)) classes[(task, label)] = id = classes.Count;
            _examples.Add(e);
            _labels.Add(id);
            _tasks.Add(task);
        }
        _classes = classes.Count;
        // Tasks learn at different speeds (colour within 100 steps of its own pairs, shape in about 1000), so a weight
        // gives the slow one its steps without lengthening the warm-up. With every weight 1 the pool is 0..n-1 and the draws are as before.
        _pool = [.. Enumerable.Range(0, _examples.Count)
            .SelectMany(i => Enumerable.Repeat(i, weights?.GetValueOrDefault(_taskNames[_tasks[i]], 1) ?? 1))];
        if (taskIds.Count > 1)
        {
            var own = new bool[taskIds.Count * _classes];
            foreach (((int task, _), int id) in classes) own[(task * _classes) + id] = true;
            _taskClasses = tensor(own, [taskIds.Count, _classes], device: device);
        }
        // Fewer pairs than a batch is allowed (batches then repeat pairs, each with its own flip and shift).
        if (_classes < 2)
            throw new ArgumentException(
                $"{flag} {string.Join(',', tasks)}: the manifest has {_examples.Count} pair(s) of those tasks with " +
                (motion ? "a video query" : "an image or video query") + $" and {_classes} distinct positive text(s); the head needs at least 2 labels. " +
                "Name the tasks of your label pairs (a query with media, the label as positive text)" +
                (motion ? ", or use --motion-keep 0." : ", or use --stem-warmup 0."));
    }

    /// <summary>
    /// The motion readout over the video pairs of <paramref name="tasks"/>, with a fresh trainable head (seeded by
    /// <paramref name="seed"/>) that the main run's optimiser trains along with the model (<see cref="HeadParameters"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The model has no frame summary token, or fewer than two labels.</exception>
    public static StemWarmup Motion(BtokModel model, IReadOnlyList<TrainingExample> examples, IReadOnlyList<string> tasks, Device device, int seed)
    {
        if (!model.Config.FrameSummaryToken)
            throw new ArgumentException("--motion-keep reads each frame's summary token, but the model has none; add --frame-summary (and --frame-summary-where, which tells where things are).");
        var keeper = new StemWarmup(model, examples, tasks, device, motion: true);
        manual_seed(seed + 103); // the head's init
        keeper._head = nn.Linear(MotionFrames * model.Config.DModel, keeper._classes, device: device);
        return keeper;
    }

    /// <summary>The motion head's parameters, named as in the checkpoint, for the main optimiser (none for the warm-up head).</summary>
    public IEnumerable<(string Name, Parameter Parameter)> HeadParameters() =>
        _motion && _head is not null ? _head.named_parameters().Select(p => (MotionHeadPrefix + p.name, p.parameter)) : [];

    private string Prefix => _motion ? MotionHeadPrefix : HeadPrefix;

    /// <summary>Labelled pairs the warm-up draws from.</summary>
    public int Count => _examples.Count;

    /// <summary>Distinct labels (the head's classes).</summary>
    public int Classes => _classes;

    /// <summary>The warm-up tasks, in the order of <see cref="StemWarmupStep.TaskHits"/>.</summary>
    public IReadOnlyList<string> Tasks => _taskNames;

    /// <summary>Draws from <paramref name="pool"/> in passes, each in a fresh shuffled order.</summary>
    private static Func<int> Cycle(int[] pool, Random random)
    {
        int cursor = pool.Length;
        return () =>
        {
            if (cursor == pool.Length)
            {
                random.Shuffle(pool);
                cursor = 0;
            }
            return pool[cursor++];
        };
    }

    /// <summary>Runs <paramref name="steps"/> AdamW steps on the vision stem (a linear ramp of <see cref="RampSteps"/>, then linear decay to zero).</summary>
    /// <param name="steps">Optimiser steps.</param>
    /// <param name="batchSize">Labelled pairs per step.</param>
    /// <param name="lr">Peak learning rate.</param>
    /// <param name="seed">Seeds the head, the batch order and the augmentation.</param>
    /// <param name="onStep">Receives every step's loss and accuracy, overall and per task.</param>
    /// <param name="ct">Checked between steps.</param>
    /// <param name="firstTasks">Tasks the first <paramref name="firstSteps"/> steps draw from alone (null: every task throughout).</param>
    /// <param name="firstSteps">Steps of the first phase.</param>
    /// <exception cref="InvalidOperationException">This is the motion readout, which trains only along the main run.</exception>
    public void Run(int steps, int batchSize, double lr, int seed, Action<StemWarmupStep>? onStep, CancellationToken ct,
        IReadOnlyCollection<string>? firstTasks = null, int firstSteps = 0)
    {
        if (_motion) throw new InvalidOperationException("The motion head trains along the main run (KeepBackward), not in a warm-up.");
        var random = new Random(unchecked(seed * 7_919 + 3));
        manual_seed(seed + 101); // the head's init
        _head?.Dispose();
        Linear head = _head = nn.Linear(_model.Config.DModel, _classes, device: _device);
        List<Parameter> stem = [.. _model.PatchEmbed.parameters()];
        List<Parameter> all = [.. stem, .. head.parameters()];
        // With --freeze vision the stem trains here and stays fixed in the main run.
        bool[] frozen = [.. stem.Select(p => !p.requires_grad)];
        foreach (Parameter p in stem) p.requires_grad = true;
        try
        {
            using var optimizer = optim.AdamW(all, lr, weight_decay: 0.01);
            Func<int> every = Cycle([.. _pool], random);
            // Why a first phase: a stem that shows colour makes the main run drop shape (docs/results.md, r11-r15), so shape
            // can be learnt alone first and colour added after. Its own cycle keeps the later draws those of a plain run.
            Func<int>? first = firstTasks is null || firstSteps == 0 ? null
                : Cycle([.. _pool.Where(i => firstTasks.Contains(_taskNames[_tasks[i]]))], random);
            int warm = RampSteps(steps);
            for (int step = 0; step < steps; step++)
            {
                ct.ThrowIfCancellationRequested();
                long t0 = Stopwatch.GetTimestamp();
                using DisposeScope scope = NewDisposeScope();
                foreach (AdamW.ParamGroup group in optimizer.ParamGroups) group.LearningRate = BtokTrainer.Schedule(step, steps, warm, lr);
                Tensor loss = Loss(head, batchSize, step < firstSteps && first is not null ? first : every, random, out Tensor logits, out Tensor target, out long[] tasks);
                optimizer.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(all, 1.0);
                optimizer.step();
                if (onStep is null) continue;
                bool[] hit = logits.argmax(1).eq(target).data<bool>().ToArray();
                var taskHits = new int[_taskNames.Length];
                var taskPairs = new int[_taskNames.Length];
                for (int b = 0; b < batchSize; b++)
                {
                    taskPairs[tasks[b]]++;
                    if (hit[b]) taskHits[tasks[b]]++;
                }
                onStep(new StemWarmupStep(step, loss.ToDouble(), taskHits.Sum() / (double)batchSize, taskHits, taskPairs,
                    Stopwatch.GetElapsedTime(t0).TotalMilliseconds));
            }
        }
        finally
        {
            for (int i = 0; i < stem.Count; i++)
            {
                if (frozen[i]) stem[i].requires_grad = false;
            }
            foreach (Parameter p in head.parameters()) p.requires_grad = false;
        }
    }

    /// <summary>
    /// Adds <paramref name="weight"/> x the head's loss on <paramref name="batchSize"/> labelled pairs to the stem's
    /// gradients (and, for the motion head, to the head's own); call after the main step's backward, before clipping.
    /// Returns the unweighted loss. The pairs and their augmentation are a function of (seed, step), so a resumed run
    /// draws the same ones.
    /// </summary>
    /// <exception cref="InvalidOperationException">Neither <see cref="Run"/> nor <see cref="LoadHead"/> has made the head.</exception>
    public double KeepBackward(int step, int batchSize, double weight, int seed)
    {
        Linear head = _head ?? throw new InvalidOperationException("The warm-up head does not exist yet; run the warm-up or load the head first.");
        using DisposeScope scope = NewDisposeScope();
        var random = new Random(unchecked(seed * 7_919 + (_motion ? 7 : 5) + step * 104_729));
        Tensor loss = Loss(head, batchSize, () => _pool[random.Next(_pool.Length)], random, out _, out _, out _);
        (loss * weight).backward();
        return loss.ToDouble();
    }

    /// <summary>The head's weights for the checkpoint, named under <see cref="HeadPrefix"/> (the motion head: <see cref="MotionHeadPrefix"/>).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> HeadState() =>
        _head is null ? [] : _head.state_dict().Select(p => (Prefix + p.Key, p.Value));

    /// <summary>Loads the head from checkpoint weights named as <see cref="HeadState"/> names them: the warm-up head is
    /// made and frozen; the motion head is copied into, so the optimiser keeps training the same parameters.</summary>
    /// <exception cref="KeyNotFoundException">A head weight is missing.</exception>
    /// <exception cref="ArgumentException">A head weight has another shape (another label set).</exception>
    public void LoadHead(IReadOnlyDictionary<string, Tensor> weights)
    {
        if (!_motion)
        {
            _head?.Dispose();
            _head = nn.Linear(_model.Config.DModel, _classes, device: _device);
        }
        Linear head = _head!;
        using IDisposable noGrad = no_grad();
        foreach ((string name, Tensor target) in head.state_dict())
        {
            Tensor source = weights[Prefix + name];
            if (!source.shape.SequenceEqual(target.shape))
                throw new ArgumentException($"'{Prefix + name}' is [{string.Join(", ", source.shape)}], the head needs [{string.Join(", ", target.shape)}].");
            target.copy_(source);
        }
        if (!_motion)
        {
            foreach (Parameter p in head.parameters()) p.requires_grad = false;
        }
    }

    /// <summary>Cross-entropy of <paramref name="head"/> over the read-out media of <paramref name="count"/> pairs drawn by
    /// <paramref name="next"/> (each draw before its augmentation, on the same random stream): max-pooled and augmented for
    /// the warm-up head, the motion readout for the motion head.</summary>
    private Tensor Loss(Linear head, int count, Func<int> next, Random random, out Tensor logits, out Tensor target, out long[] tasks)
    {
        var pooled = new List<Tensor>(count);
        var labels = new long[count];
        tasks = new long[count];
        for (int b = 0; b < count; b++)
        {
            int i = next();
            pooled.Add(_motion ? MotionPool(_examples[i].Query) : Pool(Augment(_examples[i].Query, random)));
            labels[b] = _labels[i];
            tasks[b] = _tasks[i];
        }
        Tensor embedding = stack(pooled, 0);
        embedding = embedding / embedding.norm(1, keepdim: true).clamp_min(1e-12);
        // A fixed logit scale of 1 / 0.05, the order of the InfoNCE temperature the main run uses.
        logits = head.forward(embedding * 20);
        if (_taskClasses is not null)
            logits = logits.masked_fill(_taskClasses.index_select(0, tensor(tasks, device: _device)).logical_not(), -1e4);
        target = tensor(labels, device: _device);
        return nn.functional.cross_entropy(logits, target);
    }

    public void Dispose()
    {
        _head?.Dispose();
        _taskClasses?.Dispose();
    }

    /// <summary>Steps of the linear learning-rate ramp: a tenth, at most 100 (as the main run's default).</summary>
    public static int RampSteps(int steps) => Math.Max(1, Math.Min(100, steps / 10));

    /// <summary>Maximum over every patch token of every frame: where the subject is, a max finds it.</summary>
    private Tensor Pool(Tensor frames) => _model.EmbedFrames(frames).amax([0L]); // [F * tokens, D] -> [D]

    /// <summary>
    /// The summary tokens of the first, middle and last frame, less their mean: what changes over the clip (where the
    /// object is, how big, whether it is there), not what stays. Not flipped or shifted: a flip would turn "moving
    /// left" into "moving right", and a wrapping shift would make things jump across the frame.
    /// </summary>
    private Tensor MotionPool(SideInput side)
    {
        int size = _model.Config.ImageSize, frames = side.Frames;
        Tensor all = tensor(side.Pixels!, [frames, 3, size, size], device: _device);
        Tensor picked = all.index_select(0, tensor(new long[] { 0, frames / 2, frames - 1 }, device: _device));
        // [3 * (P + 1) (+ 1), D], each frame's summary token last (then the motion token, when on, which is left out)
        Tensor tokens = _model.EmbedFrames(picked).narrow(0, 0, MotionFrames * _model.Config.TokensPerFrame);
        Tensor summary = tokens.reshape(MotionFrames, -1, tokens.shape[1]).select(1, -1); // [3, D]
        return (summary - summary.mean([0L], keepdim: true)).flatten();
    }

    /// <summary>The query's frames [F, 3, S, S], flipped left-right with probability 1/2 and shifted (wrapping) by up to S/8.</summary>
    private Tensor Augment(SideInput side, Random random)
    {
        int size = _model.Config.ImageSize;
        Tensor frames = tensor(side.Pixels!, [side.Frames, 3, size, size], device: _device);
        if (random.Next(2) == 1) frames = frames.flip(3);
        int reach = size / 8;
        long dy = random.Next(-reach, reach + 1), dx = random.Next(-reach, reach + 1);
        return frames.roll([dy, dx], [2L, 3L]);
    }
}

/// <summary>One step of <see cref="StemWarmup.Run"/>: 0-based step, the loss, the batch accuracy, and per task (in the
/// order of <see cref="StemWarmup.Tasks"/>) the batch's right answers and pairs.</summary>
internal readonly record struct StemWarmupStep(int Step, double Loss, double Accuracy, int[] TaskHits, int[] TaskPairs, double Milliseconds);
