using MediaSdk.Model;

namespace MediaSdk.Training;

/// <summary>
/// Everything a training run needs: data, where to write, the model to start from, the objective (METHOD.md §4) and
/// the optimiser. Defaults are the reference recipe; <c>mediasdk train</c> maps one flag to each property.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>The JSONL manifest (docs/training.md). Required.</summary>
    public required string Manifest { get; init; }

    /// <summary>
    /// Output folder: the exported model (config.json + model.safetensors, loadable with --model), log.jsonl, curves.png
    /// and training/ (resumable state). Required.
    /// </summary>
    public required string OutputDirectory { get; init; }

    /// <summary>A checkpoint to start from (domain adaptation); null trains <see cref="Architecture"/> from a seeded init.</summary>
    public string? InitModel { get; init; }

    /// <summary>The shape of a model trained from scratch; null for <see cref="BtokConfig.Default"/>. Ignored with <see cref="InitModel"/>.</summary>
    public BtokConfig? Architecture { get; init; }

    /// <summary>Optimiser steps. Default 1000.</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>
    /// K, the number of bottleneck tokens; null keeps the model's. Changing K of an init model re-creates the BToks from
    /// the end-of-text embedding (METHOD.md §2). 0 is last-token pooling (the ablation baseline).
    /// </summary>
    public int? BottleneckTokens { get; init; }

    /// <summary>Weight of the generative (NTP) loss; 0 turns GIC off (<c>--gic off</c>). Default 5.</summary>
    public double Lambda { get; init; } = 5.0;

    /// <summary>What target tokens may attend to: the Condensation Mask (default) or everything (the ablation).</summary>
    public TargetAttention Mask { get; init; } = TargetAttention.Condensation;

    /// <summary>How the generative pass is computed (KV form by default; the mask form gives the same gradients).</summary>
    public GicForm Form { get; init; } = GicForm.Kv;

    /// <summary>
    /// Which tokens the generative head scores: the whole vocabulary (default, METHOD.md), or only the tokens of the
    /// manifest's targets (a restricted softmax: much cheaper for small models; saved with the model, and read-back then
    /// decodes within those tokens).
    /// </summary>
    public NtpVocabulary NtpVocabulary { get; init; } = NtpVocabulary.Full;

    /// <summary>Fraction of the steps (from the start) with the generative loss on. Default 0.4.</summary>
    public double NtpFraction { get; init; } = 0.4;

    /// <summary>
    /// Weight of a uniformity term (Wang and Isola 2020) on each batch's distinct candidate texts, added to InfoNCE for
    /// the whole run; 0 (default) is the method as written. It keeps short label and answer texts from collapsing onto
    /// one embedding (StepComputer.Uniformity).
    /// </summary>
    public double Uniformity { get; init; }

    /// <summary>
    /// A pair with hard negatives is scored among its positive and its own negatives only (the fixed candidate list the
    /// benchmark scores it among), not also against the other pairs' candidates in the batch; pairs without hard
    /// negatives keep the whole batch. Default false (METHOD.md: every candidate of the batch).
    /// </summary>
    public bool OwnNegatives { get; init; }

    /// <summary>InfoNCE temperature tau. Default 0.02.</summary>
    public double Temperature { get; init; } = 0.02;

    /// <summary>Pairs per contrastive batch (in-batch negatives). Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>GradCache chunk: pairs per gradient pass when the batch does not fit in memory; null runs the batch at once.</summary>
    public int? GradCacheChunk { get; init; }

    /// <summary>Peak learning rate; null picks 5e-5 with <see cref="InitModel"/> (METHOD.md) and 1e-3 from scratch.</summary>
    public double? LearningRate { get; init; }

    /// <summary>
    /// Vision warm-up steps before the main run (0: none): the vision stem alone learns to classify the media of the
    /// <see cref="StemWarmupTasks"/> pairs by their positive text, through a max over its patch tokens (StemWarmup).
    /// Written to warmup.jsonl; skipped on resume. Default 0.
    /// </summary>
    public int StemWarmupSteps { get; init; }

    /// <summary>The tasks whose pairs are label pairs (a query with media, the label as positive text) for the vision warm-up.</summary>
    public IReadOnlyList<string> StemWarmupTasks { get; init; } = [];

    /// <summary>
    /// How often the warm-up (and <see cref="StemKeep"/>) draws each <see cref="StemWarmupTasks"/> task's pairs relative to
    /// the others; a task not named has weight 1. Default: every task 1.
    /// </summary>
    public IReadOnlyDictionary<string, int> StemWarmupWeights { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// Warm-up tasks that the first <see cref="StemWarmupFirstSteps"/> steps draw from alone (with their weights); the
    /// rest of the warm-up draws from every <see cref="StemWarmupTasks"/> task. Default: none (one phase).
    /// </summary>
    public IReadOnlyList<string> StemWarmupFirstTasks { get; init; } = [];

    /// <summary>Steps of the warm-up's first phase (<see cref="StemWarmupFirstTasks"/>); fewer than <see cref="StemWarmupSteps"/>. Default 0.</summary>
    public int StemWarmupFirstSteps { get; init; }

    /// <summary>
    /// Weight of the warm-up's classification loss (its head frozen, half a batch of labelled media per step) added to
    /// every main step, so the stem keeps what the warm-up taught it; 0 (default) drops the head after the warm-up.
    /// Needs <see cref="StemWarmupSteps"/> and a trainable stem.
    /// </summary>
    public double StemKeep { get; init; }

    /// <summary>
    /// Weight of a motion classification loss added to every main step: a head, trained along with the model, reads how
    /// the frame summary tokens change over the first, middle and last frame of <see cref="MotionKeepVideos"/> labelled
    /// videos of <see cref="MotionKeepTasks"/>, and its gradient reaches the stem. 0 (default): off. Needs the frame
    /// summary token and a trainable stem.
    /// </summary>
    public double MotionKeep { get; init; }

    /// <summary>The tasks whose pairs are video label pairs (a video query, the label as positive text) for <see cref="MotionKeep"/>.</summary>
    public IReadOnlyList<string> MotionKeepTasks { get; init; } = [];

    /// <summary>Labelled videos per step for <see cref="MotionKeep"/> (each costs the stem three frames). Default 6.</summary>
    public int MotionKeepVideos { get; init; } = 6;

    /// <summary>
    /// How many times each task's pairs enter an epoch (BatchPlan); a task not named has weight 1 and 0 leaves a task out.
    /// More weight spends more of the fixed step budget on a task that learns slowly. Default: every task 1.
    /// </summary>
    public IReadOnlyDictionary<string, int> TaskWeights { get; init; } = new Dictionary<string, int>();

    /// <summary>Linear warm-up steps before the linear decay to zero; null is min(100, Steps / 10).</summary>
    public int? WarmupSteps { get; init; }

    /// <summary>AdamW weight decay (matrices only; not norms, biases or the BToks). Default 0.01.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Gradient-norm clip. Default 1.0; 0 disables clipping.</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>LoRA rank on attention q/k/v/o and MLP down projections; 0 trains the weights themselves. Default 0.</summary>
    public int LoraRank { get; init; }

    /// <summary>LoRA alpha; null is 2 x rank (METHOD.md: r 16, alpha 32).</summary>
    public double? LoraAlpha { get; init; }

    /// <summary>Parts to freeze: comma-separated vision, text, backbone, all-but-btoks, or none. Default none.</summary>
    public string Freeze { get; init; } = "none";

    /// <summary>Seed for the initial weights, adapters and data order. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Run forward and backward in bfloat16 with float32 master weights and optimiser state.</summary>
    public bool BFloat16 { get; init; }

    /// <summary>Where the model trains; CUDA needs a CUDA build of TorchSharp.</summary>
    public EncoderDevice Device { get; init; } = EncoderDevice.Auto;

    /// <summary>libtorch intra-op threads; null for the encoder default.</summary>
    public int? Threads { get; init; }

    /// <summary>Frames sampled per video; null for the model's MaxFrames.</summary>
    public int? FramesPerWindow { get; init; }

    /// <summary>Decoded-window cache folder; null for OutputDirectory/cache.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Write a resumable checkpoint every N steps (and always at the end); 0 only at the end.</summary>
    public int SaveEvery { get; init; }

    /// <summary>Measure training-pair Hit@1 among 16 every N steps (and always before and after); 0 only before and after.</summary>
    public int EvalEvery { get; init; }

    /// <summary>Store the exported model's weights as float16 (half the size; the training state stays float32).</summary>
    public bool ExportHalfPrecision { get; init; }

    /// <summary>Continue the run saved in <see cref="OutputDirectory"/> exactly where it stopped.</summary>
    public bool Resume { get; init; }
}

/// <summary>The tokens the generative head scores (<see cref="TrainingOptions.NtpVocabulary"/>).</summary>
public enum NtpVocabulary
{
    /// <summary>Every token of the tokenizer (the method as written).</summary>
    Full,

    /// <summary>The tokens the manifest's targets use (plus the init model's, if it had a restricted head).</summary>
    Targets,
}

/// <summary>What a finished run did.</summary>
/// <param name="Steps">Optimiser steps completed in total (including resumed ones).</param>
/// <param name="FirstLoss">Loss at the first step of this process.</param>
/// <param name="FinalLoss">Loss at the last step.</param>
/// <param name="InitialHit1">Training-pair Hit@1 among 16 before the first step of this process.</param>
/// <param name="FinalHit1">The same after the last step.</param>
/// <param name="Chance">Hit@1 of a random ranking (1 / candidates).</param>
/// <param name="ModelDirectory">The exported model (LoRA merged).</param>
/// <param name="Elapsed">Wall time of this process's run.</param>
public sealed record TrainingResult(int Steps, double FirstLoss, double FinalLoss, double InitialHit1, double FinalHit1, double Chance,
    string ModelDirectory, TimeSpan Elapsed);
