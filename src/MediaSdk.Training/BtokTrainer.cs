using System.Diagnostics;
using System.Security.Cryptography;
using MediaSdk.Model;
using MediaSdk.Model.Checkpoints;
using MediaSdk.Model.Nn;
using MediaSdk.Training.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Training;

/// <summary>
/// Trains a BTok encoder with L = InfoNCE + lambda * NTP (Generative Information Condensation, METHOD.md §4) from a
/// JSONL manifest, from scratch or from a checkpoint (with LoRA and freezing), and exports a model that
/// <c>mediasdk tag --model</c> loads.
/// </summary>
/// <remarks>
/// The run writes into <see cref="TrainingOptions.OutputDirectory"/>: config.json + model.safetensors (the exported
/// model, LoRA merged), log.jsonl (one <see cref="TrainingStepRecord"/> per step), curves.png, and training/ (weights
/// in training form, AdamW state, step and RNG state), from which <see cref="TrainingOptions.Resume"/> continues exactly.
/// Cancelling saves a checkpoint first, so a stopped run can be resumed.
/// </remarks>
public static class BtokTrainer
{
    /// <summary>Pairs scored by the training-pair retrieval check (each against 15 others).</summary>
    internal const int EvalQueries = 64;

    /// <summary>The largest --task-weight: beyond it one task's copies would crowd every other out of an epoch.</summary>
    internal const int MaxTaskWeight = 100;

    /// <summary>The <see cref="TrainingStepRecord.Task"/> of the vision warm-up's records (warmup.jsonl).</summary>
    public const string StemWarmupTask = "stem-warmup";

    /// <summary>Loads the manifest (decoding and caching its media), trains, and exports the model.</summary>
    /// <param name="options">The run.</param>
    /// <param name="progress">Receives every step's record on the training thread, the vision warm-up's first (task
    /// <see cref="StemWarmupTask"/>); null for none.</param>
    /// <param name="loggerFactory">Receives one line per phase; null logs nothing.</param>
    /// <param name="ct">Stops after the current step, saving a resumable checkpoint.</param>
    /// <exception cref="ArgumentException">An option is out of range, or the output folder holds another run.</exception>
    /// <exception cref="MediaInputException">The manifest or a media file it names is bad (the message names file and line).</exception>
    /// <exception cref="ModelLoadException">The init model or the saved training state cannot be used.</exception>
    /// <exception cref="DeviceUnavailableException">CUDA was requested but is not available.</exception>
    public static async Task<TrainingResult> RunAsync(TrainingOptions options, IProgress<TrainingStepRecord>? progress = null,
        ILoggerFactory? loggerFactory = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        NativeRuntime.ConfigureBeforeFirstTorchCall();
        ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(BtokTrainer));
        BtokConfig shape = StartConfig(options);
        TrainerCheckpoint.CheckOutput(options);
        var data = new TrainingDataOptions(shape.ImageSize, options.FramesPerWindow ?? shape.MaxFrames, shape.MaxTextTokens,
            options.CacheDirectory ?? Path.Combine(options.OutputDirectory, "cache"));
        IReadOnlyList<ManifestEntry> entries = await TrainingManifest.ParseAsync(options.Manifest, ct).ConfigureAwait(false);
        // Task names are checked before the media are decoded, which on an uncached world takes minutes.
        CheckTaskNames(options, entries);
        IReadOnlyList<TrainingExample> examples = await TrainingData.LoadEntriesAsync(options.Manifest, entries, data, new TrainingDataStats(), null, ct)
            .ConfigureAwait(false);
        Log.DataLoaded(logger, examples.Count, options.Manifest);
        string fingerprint = Fingerprint(options.Manifest);
        return await Task.Factory.StartNew(() => Train(options, shape, examples, fingerprint, progress, logger, ct),
            ct, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    /// <summary>Every task that --task-weight or --stem-warmup-tasks names must be a task of the manifest.</summary>
    internal static void CheckTaskNames(TrainingOptions options, IReadOnlyList<ManifestEntry> entries)
    {
        var tasks = new HashSet<string>(entries.Select(e => e.Task), StringComparer.Ordinal);
        BatchPlan.CheckTasksExist("--task-weight", options.TaskWeights.Keys, tasks);
        BatchPlan.CheckTasksExist("--stem-warmup-tasks", options.StemWarmupTasks, tasks);
        BatchPlan.CheckTasksExist("--motion-keep-tasks", options.MotionKeepTasks, tasks);
    }

    /// <summary>The training loop over already-loaded examples (tests call this directly).</summary>
    internal static TrainingResult Train(TrainingOptions options, BtokConfig shape, IReadOnlyList<TrainingExample> examples,
        string dataFingerprint, IProgress<TrainingStepRecord>? progress, ILogger logger, CancellationToken ct)
    {
        Validate(options);
        NativeRuntime.ConfigureBeforeFirstTorchCall();
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(options.OutputDirectory);
        Device device = BtokEncoder.ResolveDevice(options.Device);
        set_num_threads(options.Threads ?? new EncoderOptions().EffectiveThreads);
        var plan = new BatchPlan(examples, options.BatchSize, options.Seed, options.TaskWeights);

        using BtokModel model = BuildModel(options, shape);
        model.OutputTokens = OutputTokens(options, model, examples);
        model.to(device);
        using BtokModel? work = options.BFloat16 ? BuildWorkModel(options, model, device) : null;
        IReadOnlyList<(string Name, Parameter Parameter)> trainable = Adaptation.Trainable(model);
        if (trainable.Count == 0)
            throw new ArgumentException($"--freeze {options.Freeze} leaves nothing to train; freeze fewer parts or add --lora.");
        using StemWarmup? keeper = options.StemKeep > 0 ? new StemWarmup(model, examples, options.StemWarmupTasks, device, options.StemWarmupWeights) : null;
        // The motion head trains with the model, so it joins the optimiser (and the clipping) as one more trainable part.
        using StemWarmup? motion = options.MotionKeep > 0 ? StemWarmup.Motion(model, examples, options.MotionKeepTasks, device, options.Seed) : null;
        if (motion is not null) trainable = [.. trainable, .. motion.HeadParameters()];
        double peak = options.LearningRate ?? (options.InitModel is null ? 1e-3 : 5e-5);
        using AdamW optimizer = CreateOptimizer(trainable, peak, options.WeightDecay);

        var state = new TrainerCheckpoint(options, dataFingerprint);
        int start = options.Resume ? state.Load(model, optimizer, keeper, motion) : 0;
        // A resumed run's clock goes on from the checkpoint's, so the log and the result give the run's whole time.
        TimeSpan Elapsed() => state.SavedElapsed + clock.Elapsed;
        // A resumed run's checkpoint already holds the warmed-up stem (and the kept head).
        if (start == 0 && options.StemWarmupSteps > 0) WarmUpStem(options, model, examples, device, clock, progress, logger, keeper, ct);
        long parameterCount = CountParameters(trainable);
        string deviceName = device.type == DeviceType.CPU ? "cpu" : "cuda";
        Log.TrainingStarts(logger, parameterCount, deviceName, start, options.Steps);

        BtokModel forward = work ?? model;
        ScalarType dtype = options.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        var computer = new StepComputer(forward, options.Temperature, options.Form, options.Mask, options.GradCacheChunk, dtype, device,
            options.Uniformity, options.OwnNegatives);
        int warmup = options.WarmupSteps ?? Math.Min(100, options.Steps / 10);
        int ntpSteps = (int)Math.Round(options.NtpFraction * options.Steps);

        if (work is not null) CopyWeights(model, work);
        (double initialHit, double chance) = PairRetrieval.Hit1(computer, examples, EvalQueries, options.BatchSize);
        string logPath = Path.Combine(options.OutputDirectory, "log.jsonl");
        double firstLoss = double.NaN, lastLoss = double.NaN, finalHit = initialHit;
        int step = start;
        using (var log = new TrainingLog(logPath))
        {
            for (; step < options.Steps; step++)
            {
                if (ct.IsCancellationRequested)
                {
                    state.Save(model, optimizer, step, Elapsed(), keeper, motion);
                    ct.ThrowIfCancellationRequested();
                }
                long t0 = Stopwatch.GetTimestamp();
                double lr = Schedule(step, options.Steps, warmup, peak);
                foreach (AdamW.ParamGroup group in optimizer.ParamGroups) group.LearningRate = lr;

                var batch = new List<TrainingExample>(options.BatchSize);
                foreach (int i in plan.Batch(step)) batch.Add(examples[i]);
                double lambda = step < ntpSteps ? StepComputer.EffectiveLambda(options.Lambda, batch) : 0;

                optimizer.zero_grad();
                StepLosses losses;
                if (work is null)
                {
                    losses = computer.Backward(batch, lambda);
                }
                else
                {
                    CopyWeights(model, work);
                    work.zero_grad();
                    losses = computer.Backward(batch, lambda);
                    CopyGradients(work, model);
                }
                // On the float32 master, after the main gradients are in place (CopyGradients overwrites).
                double? keepLoss = keeper?.KeepBackward(step, Math.Max(2, options.BatchSize / 2), options.StemKeep, options.Seed);
                double? motionLoss = motion?.KeepBackward(step, options.MotionKeepVideos, options.MotionKeep, options.Seed);
                if (!double.IsFinite(losses.Loss))
                    throw new InvalidOperationException($"The loss became {losses.Loss} at step {step + 1}; lower --lr (now {peak:g3}) or keep --clip on.");
                double norm = ClipGradients(trainable, options.ClipNorm);
                optimizer.step();

                double? hit = null;
                if (options.EvalEvery > 0 && (step + 1) % options.EvalEvery == 0 && step + 1 < options.Steps)
                {
                    if (work is not null) CopyWeights(model, work);
                    hit = PairRetrieval.Hit1(computer, examples, EvalQueries, options.BatchSize).Hit1;
                }
                if (double.IsNaN(firstLoss)) firstLoss = losses.Loss;
                lastLoss = losses.Loss;
                var record = new TrainingStepRecord
                {
                    Step = step + 1,
                    TotalSteps = options.Steps,
                    Loss = losses.Loss,
                    InfoNce = losses.InfoNce,
                    Ntp = losses.Ntp,
                    LambdaEffective = losses.LambdaEffective,
                    Accuracy = losses.Accuracy,
                    TextCosine = losses.TextCosine,
                    StemKeepLoss = keepLoss,
                    MotionKeepLoss = motionLoss,
                    LearningRate = lr,
                    GradNorm = norm,
                    StepMilliseconds = Stopwatch.GetElapsedTime(t0).TotalMilliseconds,
                    ElapsedSeconds = Elapsed().TotalSeconds,
                    Task = batch[0].BatchKey,
                    EvalHit1 = hit,
                };
                if (step + 1 == options.Steps)
                {
                    if (work is not null) CopyWeights(model, work);
                    finalHit = PairRetrieval.Hit1(computer, examples, EvalQueries, options.BatchSize).Hit1;
                    record = record with { EvalHit1 = finalHit };
                }
                log.Write(record);
                progress?.Report(record);
                if (options.SaveEvery > 0 && (step + 1) % options.SaveEvery == 0 && step + 1 < options.Steps)
                    state.Save(model, optimizer, step + 1, Elapsed(), keeper, motion);
            }
        }

        state.Save(model, optimizer, step, Elapsed(), keeper, motion);
        Adaptation.MergeLora(model);
        Checkpoint.Save(model, options.OutputDirectory, options.ExportHalfPrecision);
        IReadOnlyList<TrainingStepRecord> history = TrainingLog.Read(logPath);
        if (history.Count > 0) TrainingCurves.WritePng(history, Path.Combine(options.OutputDirectory, "curves.png"));
        Log.ModelExported(logger, options.OutputDirectory);
        return new TrainingResult(step, firstLoss, lastLoss, initialHit, finalHit, chance, options.OutputDirectory, Elapsed());
    }

    /// <summary>Runs the vision warm-up on <paramref name="keeper"/> (which keeps its head for --stem-keep), or on a
    /// throw-away warm-up when null.</summary>
    private static void WarmUpStem(TrainingOptions options, BtokModel model, IReadOnlyList<TrainingExample> examples, Device device,
        Stopwatch clock, IProgress<TrainingStepRecord>? progress, ILogger logger, StemWarmup? keeper, CancellationToken ct)
    {
        using StemWarmup? own = keeper is null ? new StemWarmup(model, examples, options.StemWarmupTasks, device, options.StemWarmupWeights) : null;
        StemWarmup warmup = keeper ?? own!;
        Log.StemWarmupStarts(logger, options.StemWarmupSteps, warmup.Count, warmup.Classes);
        double peak = options.LearningRate ?? 1e-3, lossSum = 0;
        int window = 0;
        var hits = new int[warmup.Tasks.Count];
        var pairs = new int[warmup.Tasks.Count];
        // The warm-up runs only at step 0, so a warmup.jsonl already here is from a run stopped before its first checkpoint.
        string path = Path.Combine(options.OutputDirectory, "warmup.jsonl");
        File.Delete(path);
        using var log = new TrainingLog(path);
        warmup.Run(options.StemWarmupSteps, options.BatchSize, peak, options.Seed, s =>
        {
            var record = new TrainingStepRecord
            {
                Step = s.Step + 1, TotalSteps = options.StemWarmupSteps, Loss = s.Loss, InfoNce = s.Loss, LambdaEffective = 0, Accuracy = s.Accuracy,
                TaskAccuracy = warmup.Tasks.Count < 2 ? null
                    : Enumerable.Range(0, warmup.Tasks.Count).Where(t => s.TaskPairs[t] > 0)
                        .ToDictionary(t => warmup.Tasks[t], t => s.TaskHits[t] / (double)s.TaskPairs[t]),
                LearningRate = Schedule(s.Step, options.StemWarmupSteps, StemWarmup.RampSteps(options.StemWarmupSteps), peak), GradNorm = 0,
                StepMilliseconds = s.Milliseconds, ElapsedSeconds = clock.Elapsed.TotalSeconds, Task = StemWarmupTask,
            };
            log.Write(record);
            progress?.Report(record);
            lossSum += s.Loss;
            for (int t = 0; t < hits.Length; t++)
            {
                hits[t] += s.TaskHits[t];
                pairs[t] += s.TaskPairs[t];
            }
            if (++window == 100 || s.Step + 1 == options.StemWarmupSteps)
            {
                // Per task as well: tasks learn at different speeds, and the mean hides a task left at chance.
                string perTask = hits.Length < 2 ? "" : " (" + string.Join(", ",
                    warmup.Tasks.Select((name, t) => $"{name} {(pairs[t] == 0 ? 0 : hits[t] / (double)pairs[t]):F3}")) + ")";
                double accuracy = hits.Sum() / (double)pairs.Sum();
                Log.StemWarmupProgress(logger, s.Step + 1, options.StemWarmupSteps, lossSum / window, accuracy, perTask);
                lossSum = window = 0;
                Array.Clear(hits);
                Array.Clear(pairs);
            }
        }, ct, options.StemWarmupFirstTasks, options.StemWarmupFirstSteps);
    }

    /// <summary>Whether <see cref="TrainingOptions.OutputDirectory"/> holds a checkpoint that <see cref="TrainingOptions.Resume"/>
    /// continues (none yet when a run was stopped during the vision warm-up).</summary>
    public static bool CanResume(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TrainerCheckpoint(options, "").Find() is not null;
    }

    /// <summary>Linear warm-up to <paramref name="peak"/>, then linear decay towards zero at the last step.</summary>
    internal static double Schedule(int step, int steps, int warmup, double peak) =>
        step < warmup ? peak * (step + 1) / warmup : peak * (steps - step) / Math.Max(1, steps - warmup);

    /// <summary>SHA-256 of the manifest's bytes: a resumed run must train on the same data.</summary>
    internal static string Fingerprint(string manifest) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(manifest)));

    /// <summary>The architecture the run starts from: the init checkpoint's or the requested one, with K overridden.</summary>
    /// <exception cref="ArgumentException">The resulting architecture is invalid.</exception>
    /// <exception cref="ModelLoadException">The init model's config cannot be read.</exception>
    public static BtokConfig StartConfig(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        BtokConfig config = options.InitModel is { } init ? BtokEncoder.ReadConfig(init) : options.Architecture ?? BtokConfig.Default;
        if (options.BottleneckTokens is { } k) config = config with { BottleneckTokens = k };
        try
        {
            config.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The model architecture is invalid: {ex.Message}", ex);
        }
        return config;
    }

    /// <summary>Checks every option without touching files; the message names the flag and the fix.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static void Validate(TrainingOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        static void Check(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }
        Check(!string.IsNullOrWhiteSpace(o.Manifest), "No manifest given; pass --data MANIFEST.jsonl.");
        Check(!string.IsNullOrWhiteSpace(o.OutputDirectory), "No output folder given; pass --out DIR.");
        Check(o.Steps >= 1, $"--steps is {o.Steps}; use at least 1.");
        Check(o.BatchSize >= 2, $"--batch is {o.BatchSize}; a contrastive batch needs at least 2 pairs.");
        Check(o.GradCacheChunk is null or >= 1, $"--grad-cache-chunk is {o.GradCacheChunk}; use at least 1, or leave it out to run the batch at once.");
        Check(o.Lambda >= 0 && double.IsFinite(o.Lambda), $"--lambda is {o.Lambda}; use 0 (GIC off) or a positive weight (default 5).");
        Check(o.NtpFraction is >= 0 and <= 1, $"--ntp-fraction is {o.NtpFraction}; use 0 to 1 (default 0.4).");
        Check(o.Temperature > 0 && double.IsFinite(o.Temperature), $"--tau is {o.Temperature}; use a positive temperature (default 0.02).");
        Check(o.Uniformity >= 0 && double.IsFinite(o.Uniformity), $"--uniformity is {o.Uniformity}; use 0 (off) or a positive weight.");
        Check(o.LearningRate is null || (o.LearningRate > 0 && double.IsFinite(o.LearningRate.Value)), $"--lr is {o.LearningRate}; use a positive learning rate.");
        Check(o.WarmupSteps is null or >= 0, $"--warmup is {o.WarmupSteps}; use 0 or more steps.");
        Check(o.StemWarmupSteps >= 0, $"--stem-warmup is {o.StemWarmupSteps}; use 0 (none) or a number of steps.");
        Check(o.StemWarmupSteps == 0 || o.StemWarmupTasks.Count > 0,
            "--stem-warmup needs --stem-warmup-tasks naming the tasks of the manifest's label pairs (e.g. image-label).");
        Check(o.StemKeep >= 0 && double.IsFinite(o.StemKeep), $"--stem-keep is {o.StemKeep}; use 0 (off) or a positive weight.");
        Check(o.StemKeep == 0 || o.StemWarmupSteps > 0, $"--stem-keep {o.StemKeep} keeps the warm-up's head, but --stem-warmup is 0; add --stem-warmup N or drop --stem-keep.");
        Check(o.MotionKeep >= 0 && double.IsFinite(o.MotionKeep), $"--motion-keep is {o.MotionKeep}; use 0 (off) or a positive weight.");
        Check(o.MotionKeep == 0 || o.MotionKeepTasks.Count > 0,
            "--motion-keep needs --motion-keep-tasks naming the tasks of the manifest's video label pairs (e.g. video-label).");
        Check(o.MotionKeepVideos >= 1, $"--motion-keep-videos is {o.MotionKeepVideos}; use at least 1.");
        Check(o.StemWarmupFirstSteps == 0 || (o.StemWarmupFirstSteps < o.StemWarmupSteps && o.StemWarmupFirstTasks.Count > 0),
            $"--stem-warmup-first gives {o.StemWarmupFirstSteps} step(s) to its tasks alone, but the warm-up has {o.StemWarmupSteps}; give fewer than --stem-warmup, e.g. --stem-warmup-first image-label:1200 with --stem-warmup 1800.");
        foreach (string task in o.StemWarmupFirstTasks)
            Check(o.StemWarmupTasks.Contains(task), $"--stem-warmup-first names '{task}', which --stem-warmup-tasks does not; name it there too.");
        foreach ((string task, int weight) in o.StemWarmupWeights)
        {
            Check(o.StemWarmupTasks.Contains(task), $"--stem-warmup-tasks weighs '{task}' but does not name it; write TASK=N among the tasks.");
            Check(weight is >= 1 and <= MaxTaskWeight, $"--stem-warmup-tasks {task}={weight}: use a whole number from 1 to {MaxTaskWeight} (leave the task out instead of 0).");
        }
        foreach ((string task, int weight) in o.TaskWeights)
            Check(weight is >= 0 and <= MaxTaskWeight, $"--task-weight {task}={weight}: use a whole number from 0 (leave the task out) to {MaxTaskWeight}.");
        Check(o.WeightDecay >= 0, $"--weight-decay is {o.WeightDecay}; use 0 or more.");
        Check(o.ClipNorm >= 0, $"--clip is {o.ClipNorm}; use 0 (off) or a positive norm.");
        Check(o.LoraRank >= 0, $"--lora is {o.LoraRank}; use 0 (off) or a positive rank.");
        Check(o.LoraAlpha is null or > 0, $"--lora-alpha is {o.LoraAlpha}; use a positive value.");
        Check(o.FramesPerWindow is null or >= 1, $"--frames is {o.FramesPerWindow}; use at least 1.");
        Check(o.SaveEvery >= 0 && o.EvalEvery >= 0, "--save-every and --eval-every must be 0 or more.");
        try
        {
            Adaptation.ParseFreeze(o.Freeze);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"--freeze '{o.Freeze}': {ex.Message}", ex);
        }
        Check(o.StemKeep == 0 || (Adaptation.ParseFreeze(o.Freeze) & FreezeParts.Vision) == 0,
            $"--stem-keep trains the stem, but --freeze {o.Freeze} freezes it; drop one of them.");
        Check(o.MotionKeep == 0 || (Adaptation.ParseFreeze(o.Freeze) & FreezeParts.Vision) == 0,
            $"--motion-keep trains the stem, but --freeze {o.Freeze} freezes it; drop one of them.");
    }

    private static BtokModel BuildModel(TrainingOptions options, BtokConfig shape)
    {
        BtokModel model = new(shape);
        try
        {
            if (options.InitModel is { } init) LoadInit(model, init);
            else BtokEncoder.InitialiseWeights(model, options.Seed);
            Adapt(model, options);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The generative head's tokens for this run (null: the whole vocabulary).</summary>
    private static int[]? OutputTokens(TrainingOptions options, BtokModel model, IReadOnlyList<TrainingExample> examples)
    {
        if (options.NtpVocabulary == NtpVocabulary.Full) return null;
        var tokens = new SortedSet<int>(model.OutputTokens ?? []) { Gpt2Text.EndOfText };
        foreach (TrainingExample e in examples)
        {
            if (e.TargetIds is { } ids) tokens.UnionWith(ids);
        }
        tokens.RemoveWhere(t => t >= model.Config.VocabSize);
        return [.. tokens];
    }

    /// <summary>Loads an init checkpoint; when K differs from the checkpoint's, the BToks start from the end-of-text embedding.</summary>
    private static void LoadInit(BtokModel model, string directory)
    {
        BtokConfig saved = BtokEncoder.ReadConfig(directory);
        if (saved.BottleneckTokens == model.Config.BottleneckTokens)
        {
            Checkpoint.LoadWeights(model, directory);
            return;
        }
        using BtokModel original = new(saved);
        Checkpoint.LoadWeights(original, directory);
        using IDisposable noGrad = no_grad();
        Dictionary<string, Tensor> source = original.state_dict();
        foreach ((string name, Tensor target) in model.state_dict())
        {
            if (name == BtokModel.BtoksName)
            {
                // METHOD.md §2: BToks start from the end-of-sequence embedding when the backbone is pretrained (the
                // mean token embedding for a vocabulary without GPT-2's end-of-text row).
                Tensor table = original.TokenEmbeddingWeight;
                Tensor eot = Gpt2Text.EndOfText < table.shape[0] ? table[Gpt2Text.EndOfText] : table.mean([0L]);
                target.copy_(eot.unsqueeze(0).expand(target.shape[0], -1));
            }
            else
            {
                target.copy_(source[name]);
            }
        }
    }

    private static void Adapt(BtokModel model, TrainingOptions options)
    {
        if (options.LoraRank > 0)
            Adaptation.AttachLora(model, new LoraOptions(options.LoraRank, options.LoraAlpha ?? 2.0 * options.LoraRank), options.Seed);
        Adaptation.Freeze(model, Adaptation.ParseFreeze(options.Freeze));
    }

    /// <summary>The bfloat16 copy that runs forward and backward; the float32 model keeps the master weights.</summary>
    private static BtokModel BuildWorkModel(TrainingOptions options, BtokModel master, Device device)
    {
        BtokModel work = new(master.Config) { OutputTokens = master.OutputTokens };
        Adapt(work, options);
        work.to(device, ScalarType.BFloat16);
        CopyWeights(master, work);
        return work;
    }

    private static void CopyWeights(BtokModel from, BtokModel to)
    {
        using IDisposable noGrad = no_grad();
        Dictionary<string, Tensor> source = from.state_dict();
        foreach ((string name, Tensor target) in to.state_dict()) target.copy_(source[name]);
    }

    private static void CopyGradients(BtokModel from, BtokModel to)
    {
        Dictionary<string, Parameter> source = new(StringComparer.Ordinal);
        foreach ((string name, Parameter p) in from.named_parameters()) source[name] = p;
        foreach ((string name, Parameter p) in to.named_parameters())
        {
            if (!p.requires_grad || source[name].grad is not { } grad) continue;
            using IDisposable noGrad = no_grad();
            if (p.grad is null) p.grad = grad.to_type(p.dtype);
            else p.grad.copy_(grad);
        }
    }

    private static AdamW CreateOptimizer(IReadOnlyList<(string Name, Parameter Parameter)> trainable, double lr, double weightDecay)
    {
        // Decay matrices only: norms, biases and the BToks are offsets and scales that weight decay would pull to zero.
        var decay = new List<Parameter>();
        var keep = new List<Parameter>();
        foreach ((string name, Parameter p) in trainable)
        {
            if (p.dim() >= 2 && name != BtokModel.BtoksName) decay.Add(p);
            else keep.Add(p);
        }
        var groups = new List<AdamW.ParamGroup>();
        if (decay.Count > 0) groups.Add(new AdamW.ParamGroup(decay, new AdamW.Options { LearningRate = lr, weight_decay = weightDecay }));
        if (keep.Count > 0) groups.Add(new AdamW.ParamGroup(keep, new AdamW.Options { LearningRate = lr, weight_decay = 0 }));
        return optim.AdamW(groups, lr);
    }

    private static double ClipGradients(IReadOnlyList<(string Name, Parameter Parameter)> trainable, double clip)
    {
        var parameters = new List<Parameter>(trainable.Count);
        foreach ((_, Parameter p) in trainable)
        {
            if (p.grad is not null) parameters.Add(p);
        }
        if (parameters.Count == 0) return 0;
        return clip > 0
            ? nn.utils.clip_grad_norm_(parameters, clip)
            : nn.utils.clip_grad_norm_(parameters, double.MaxValue);
    }

    private static long CountParameters(IReadOnlyList<(string Name, Parameter Parameter)> trainable)
    {
        long count = 0;
        foreach ((_, Parameter p) in trainable) count += p.numel();
        return count;
    }
}
