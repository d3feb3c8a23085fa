using System.Globalization;
using System.CommandLine;
using MediaSdk.Model;
using MediaSdk.Training;
using Microsoft.Extensions.Logging;

namespace MediaSdk.Cli;

/// <summary><c>mediasdk train --data MANIFEST --out DIR</c>: trains or adapts a BTok encoder (docs/training.md).</summary>
internal static class TrainCommand
{
    private static readonly Option<string> s_data = new("--data") { Description = "The JSONL training manifest (docs/training.md).", Required = true };
    private static readonly Option<string> s_out = new("--out") { Description = "Output folder: the trained model (use it with --model), log.jsonl, curves.png and resumable state.", Required = true };
    private static readonly Option<string?> s_init = new("--init") { Description = "Start from this model folder (domain adaptation). Default: train from a seeded init." };
    private static readonly Option<string> s_arch = new("--arch") { Description = "Shape of a model trained from scratch: default, tiny, btok-tiny, or a model folder whose config.json gives it.", DefaultValueFactory = _ => "default" };
    private static readonly Option<bool> s_frameSummaryWhere = new("--frame-summary-where")
    {
        Description = "With --frame-summary: the summary token also carries where each channel fires in the frame (BtokConfig.FrameSummaryWhere), for motion.",
    };
    private static readonly Option<bool> s_motionToken = new("--motion-token")
    {
        Description = "With --frame-summary: a clip ends with one token of what its summary tokens change from first to middle to last frame (BtokConfig.MotionToken).",
    };

    private static readonly Option<bool> s_motionTrace = new("--motion-trace")
    {
        Description = "With --motion-token: the motion token also carries where the clip's moving part is in its first, middle and last frame, from the pixels (BtokConfig.MotionTrace).",
    };

    private static readonly Option<bool> s_patchColour = new("--patch-colour")
    {
        Description = "With a model trained from scratch: add each patch's mean colour per quadrant to its token, beside the stem (BtokConfig.PatchColour).",
    };
    private static readonly Option<bool> s_frameSummary = new("--frame-summary") { Description = "With a model trained from scratch: follow each frame's patch tokens with one token made from their channel-wise max (BtokConfig.FrameSummaryToken)." };
    private static readonly Option<string?> s_stem = new("--stem") { Description = "Vision stem of a model trained from scratch: patch (one projection per patch) or conv (three 3x3 stride-2 convolutions, then one projection per patch). Default: the --arch's." };
    private static readonly Option<int> s_steps = new("--steps") { Description = "Optimiser steps.", DefaultValueFactory = _ => 1000 };
    private static readonly Option<int?> s_btoks = new("--btoks") { Description = "Bottleneck tokens K (0 = last-token pooling). Default: the model's (4)." };
    private static readonly Option<string> s_gic = new("--gic") { Description = "Generative Information Condensation; off is --lambda 0.", DefaultValueFactory = _ => "on" };
    private static readonly Option<string> s_mask = new("--mask") { Description = "What target tokens see: the Condensation Mask, or everything (ablation).", DefaultValueFactory = _ => "condensation" };
    private static readonly Option<string> s_form = new("--gic-form") { Description = "How the generative pass is computed (same gradients): kv (fast) or mask (explicit).", DefaultValueFactory = _ => "kv" };
    private static readonly Option<string> s_ntpVocab = new("--ntp-vocab") { Description = "Tokens the generative head scores: full (the vocabulary) or targets (only the manifest's target tokens; faster).", DefaultValueFactory = _ => "full" };
    private static readonly Option<double> s_lambda = new("--lambda") { Description = "Weight of the generative loss.", DefaultValueFactory = _ => 5.0 };
    private static readonly Option<double> s_ntpFraction = new("--ntp-fraction") { Description = "Fraction of steps (from the start) with the generative loss on.", DefaultValueFactory = _ => 0.4 };
    private static readonly Option<double> s_tau = new("--tau") { Description = "InfoNCE temperature.", DefaultValueFactory = _ => 0.02 };
    private static readonly Option<double> s_uniformity = new("--uniformity")
    {
        Description = "Weight of a uniformity term that keeps the batch's distinct candidate texts apart (short labels and answers collapse without it); 0 is off.",
    };
    private static readonly Option<bool> s_ownNegatives = new("--own-negatives")
    {
        Description = "Score a pair that has hard negatives among its own candidates only (its positive and negatives, as the benchmark does), not the batch's other pairs' too.",
    };
    private static readonly Option<int> s_batch = new("--batch") { Description = "Pairs per contrastive batch.", DefaultValueFactory = _ => 32 };
    private static readonly Option<int?> s_chunk = new("--grad-cache-chunk") { Description = "GradCache: pairs per gradient pass, for batches larger than memory allows." };
    private static readonly Option<double?> s_lr = new("--lr") { Description = "Peak learning rate (default 5e-5 with --init, 1e-3 from scratch)." };
    private static readonly Option<int?> s_warmup = new("--warmup") { Description = "Warm-up steps (default min(100, steps/10))." };
    private static readonly Option<int> s_stemWarmup = new("--stem-warmup") { Description = "Vision warm-up steps before the main run: the stem learns to classify the label pairs of --stem-warmup-tasks (0 = none).", DefaultValueFactory = _ => 0 };
    private static readonly Option<double> s_stemKeep = new("--stem-keep")
    {
        Description = "Weight of the warm-up's classification loss (head frozen) kept on the stem through the main run; 0 drops it after the warm-up.",
    };
    private static readonly Option<double> s_motionKeep = new("--motion-keep")
    {
        Description = "Weight of a motion classification loss on the stem: a head trained along the run reads how the frame summary tokens change over the labelled videos of --motion-keep-tasks (needs --frame-summary); 0 = off.",
    };
    private static readonly Option<string> s_motionKeepTasks = new("--motion-keep-tasks") { Description = "Comma-separated tasks whose pairs are video label pairs (video query, label text) for --motion-keep.", DefaultValueFactory = _ => "" };
    private static readonly Option<int> s_motionKeepVideos = new("--motion-keep-videos") { Description = "Labelled videos per step for --motion-keep (three frames each).", DefaultValueFactory = _ => 6 };
    private static readonly Option<string> s_stemWarmupTasks = new("--stem-warmup-tasks") { Description = "Comma-separated tasks whose pairs are label pairs (media query, label text) for --stem-warmup; each task is its own classification. TASK=N draws a task's pairs N times as often (e.g. image-label=4,image-colour,image-pattern).", DefaultValueFactory = _ => "" };
    private static readonly Option<string?> s_stemWarmupFirst = new("--stem-warmup-first") { Description = "TASK[,TASK]:STEPS: the warm-up's first STEPS steps draw only these --stem-warmup-tasks tasks (e.g. image-label:1200 learns shape before colour)." };
    private static readonly Option<string> s_taskWeight = new("--task-weight") { Description = "Comma-separated TASK=N: each pair of TASK enters an epoch N times (default 1; 0 leaves the task out).", DefaultValueFactory = _ => "" };
    private static readonly Option<double> s_weightDecay = new("--weight-decay") { Description = "AdamW weight decay.", DefaultValueFactory = _ => 0.01 };
    private static readonly Option<double> s_clip = new("--clip") { Description = "Gradient-norm clip (0 = off).", DefaultValueFactory = _ => 1.0 };
    private static readonly Option<int> s_lora = new("--lora") { Description = "LoRA rank on attention q/k/v/o and MLP down (0 = train the weights).", DefaultValueFactory = _ => 0 };
    private static readonly Option<double?> s_loraAlpha = new("--lora-alpha") { Description = "LoRA alpha (default 2 x rank)." };
    private static readonly Option<string> s_freeze = new("--freeze") { Description = "Parts to freeze: vision, text, backbone, all-but-btoks (comma-separated) or none.", DefaultValueFactory = _ => "none" };
    private static readonly Option<int> s_seed = new("--seed") { Description = "Seed for the initial weights, adapters and data order.", DefaultValueFactory = _ => 0 };
    private static readonly Option<bool> s_bf16 = new("--bf16") { Description = "Forward and backward in bfloat16 (float32 master weights)." };
    private static readonly Option<int?> s_frames = new("--frames") { Description = "Frames per video (default: the model's 8)." };
    private static readonly Option<string?> s_cache = new("--cache") { Description = "Decoded-window cache folder (default OUT/cache)." };
    private static readonly Option<int> s_saveEvery = new("--save-every") { Description = "Save a resumable checkpoint every N steps (0 = at the end only).", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> s_evalEvery = new("--eval-every") { Description = "Measure training-pair Hit@1 every N steps (0 = before and after only).", DefaultValueFactory = _ => 0 };
    private static readonly Option<bool> s_fp16 = new("--export-fp16") { Description = "Store the exported model as float16 (half the size)." };
    private static readonly Option<bool> s_resume = new("--resume") { Description = "Continue the run saved in --out exactly where it stopped." };
    private static readonly Option<string> s_device = new("--device") { Description = "Where training runs.", DefaultValueFactory = _ => "auto" };
    private static readonly Option<int?> s_threads = new("--threads") { Description = "CPU threads for libtorch (default: up to 4)." };
    private static readonly Option<bool> s_verbose = new("--verbose") { Description = "Log details and print stack traces on errors." };

    public static Command Create()
    {
        s_gic.AcceptOnlyFromAmong("on", "off");
        s_mask.AcceptOnlyFromAmong("condensation", "full");
        s_form.AcceptOnlyFromAmong("kv", "mask");
        s_ntpVocab.AcceptOnlyFromAmong("full", "targets");
        s_device.AcceptOnlyFromAmong("auto", "cpu", "cuda");
        var command = new Command("train", "Train or adapt a BTok encoder with GIC + contrastive loss from a JSONL manifest.")
        {
            s_data, s_out, s_init, s_arch, s_stem, s_frameSummary, s_frameSummaryWhere, s_motionToken, s_motionTrace, s_patchColour, s_steps, s_btoks, s_gic, s_mask, s_form, s_ntpVocab, s_lambda, s_ntpFraction, s_tau, s_uniformity, s_batch, s_chunk,
            s_lr, s_warmup, s_stemWarmup, s_stemWarmupTasks, s_stemWarmupFirst, s_ownNegatives, s_stemKeep, s_motionKeep, s_motionKeepTasks, s_motionKeepVideos, s_taskWeight, s_weightDecay, s_clip, s_lora, s_loraAlpha, s_freeze, s_seed, s_bf16, s_frames, s_cache, s_saveEvery,
            s_evalEvery, s_fp16, s_resume, s_device, s_threads, s_verbose,
        };
        command.SetAction((parsed, ct) => RunAsync(parsed, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult p, CancellationToken ct)
    {
        TrainingOptions options;
        BtokConfig shape;
        try
        {
            options = ParseOptions(p);
            BtokTrainer.Validate(options);
            shape = BtokTrainer.StartConfig(options);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message.ReplaceLineEndings(" ").Split(" (Parameter")[0]);
        }
        bool verbose = p.GetValue(s_verbose);
        using ILoggerFactory logging = LoggerFactory.Create(b => b
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
            .AddSimpleConsole(o => { o.SingleLine = true; o.IncludeScopes = false; })
            .AddFilter("MediaSdk", verbose ? LogLevel.Debug : LogLevel.Warning)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));

        using var progress = new TrainProgress(options.Steps, interactive: !Console.IsOutputRedirected);
        string gic = options.Lambda > 0 ? $"lambda {options.Lambda:g3}, {options.Mask.ToString().ToLowerInvariant()} mask" : "off";
        string weights = options.TaskWeights.Count > 0 ? $", task weights {p.GetValue(s_taskWeight)}" : "";
        string uniformity = options.Uniformity > 0 ? $", uniformity {options.Uniformity:g3}" : "";
        string keep = (options.StemKeep > 0 ? $", stem keep {options.StemKeep:g3}" : "")
            + (options.MotionKeep > 0 ? $", motion keep {options.MotionKeep:g3} x {options.MotionKeepVideos} videos" : "");
        progress.Message($"training {options.Manifest} -> {options.OutputDirectory}: {options.Steps} steps, batch {options.BatchSize}, K {shape.BottleneckTokens}, GIC {gic}{uniformity}{keep}{weights}{(options.OwnNegatives ? ", own negatives" : "")}");
        TrainingResult result;
        try
        {
            result = await BtokTrainer.RunAsync(options, new Reporter(progress), logging, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            progress.Message(BtokTrainer.CanResume(options)
                ? "stopped; a checkpoint was saved: run the same command with --resume to continue"
                : "stopped during the vision warm-up, before the first checkpoint: run the same command again, without --resume");
            throw;
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message.ReplaceLineEndings(" ").Split(" (Parameter")[0]);
        }
        progress.Message($"done: {result.Steps} steps in {result.Elapsed:hh\\:mm\\:ss}, loss {result.FirstLoss:F3} -> {result.FinalLoss:F3}, " +
            $"training-pair Hit@1 {result.InitialHit1:F2} -> {result.FinalHit1:F2} (chance {result.Chance:F2}); model in {result.ModelDirectory}");
        return ExitCodes.Success;
    }

    private static TrainingOptions ParseOptions(ParseResult p)
    {
        double lambda = p.GetValue(s_gic) == "off" ? 0 : p.GetValue(s_lambda);
        Dictionary<string, int?> warmupTasks = Tasks(p.GetValue(s_stemWarmupTasks)!, "--stem-warmup-tasks", "image-label=4,image-colour", weightRequired: false);
        (IReadOnlyList<string> firstTasks, int firstSteps) = WarmupFirst(p.GetValue(s_stemWarmupFirst));
        return new TrainingOptions
        {
            Manifest = p.GetValue(s_data)!,
            OutputDirectory = p.GetValue(s_out)!,
            InitModel = p.GetValue(s_init),
            Architecture = p.GetValue(s_init) is null ? FromScratch(p) : null,
            Steps = p.GetValue(s_steps),
            BottleneckTokens = p.GetValue(s_btoks),
            Lambda = lambda,
            Mask = p.GetValue(s_mask) == "full" ? TargetAttention.Full : TargetAttention.Condensation,
            Form = p.GetValue(s_form) == "mask" ? GicForm.Mask : GicForm.Kv,
            NtpVocabulary = p.GetValue(s_ntpVocab) == "targets" ? NtpVocabulary.Targets : NtpVocabulary.Full,
            NtpFraction = p.GetValue(s_ntpFraction),
            Temperature = p.GetValue(s_tau),
            Uniformity = p.GetValue(s_uniformity),
            OwnNegatives = p.GetValue(s_ownNegatives),
            BatchSize = p.GetValue(s_batch),
            GradCacheChunk = p.GetValue(s_chunk),
            LearningRate = p.GetValue(s_lr),
            WarmupSteps = p.GetValue(s_warmup),
            StemWarmupSteps = p.GetValue(s_stemWarmup),
            StemWarmupTasks = [.. warmupTasks.Keys],
            StemWarmupWeights = warmupTasks.Where(t => t.Value is not null).ToDictionary(t => t.Key, t => t.Value!.Value),
            StemWarmupFirstTasks = firstTasks,
            StemWarmupFirstSteps = firstSteps,
            StemKeep = p.GetValue(s_stemKeep),
            MotionKeep = p.GetValue(s_motionKeep),
            MotionKeepTasks = p.GetValue(s_motionKeepTasks)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            MotionKeepVideos = p.GetValue(s_motionKeepVideos),
            TaskWeights = TaskWeights(p.GetValue(s_taskWeight)!),
            WeightDecay = p.GetValue(s_weightDecay),
            ClipNorm = p.GetValue(s_clip),
            LoraRank = p.GetValue(s_lora),
            LoraAlpha = p.GetValue(s_loraAlpha),
            Freeze = p.GetValue(s_freeze)!,
            Seed = p.GetValue(s_seed),
            BFloat16 = p.GetValue(s_bf16),
            FramesPerWindow = p.GetValue(s_frames),
            CacheDirectory = p.GetValue(s_cache),
            SaveEvery = p.GetValue(s_saveEvery),
            EvalEvery = p.GetValue(s_evalEvery),
            ExportHalfPrecision = p.GetValue(s_fp16),
            Resume = p.GetValue(s_resume),
            Device = p.GetValue(s_device) switch { "cpu" => EncoderDevice.Cpu, "cuda" => EncoderDevice.Cuda, _ => EncoderDevice.Auto },
            Threads = p.GetValue(s_threads),
        };
    }

    /// <summary>"image-label=4,video-qa=2" as a dictionary; the message of a malformed entry shows the form.</summary>
    internal static Dictionary<string, int> TaskWeights(string value) =>
        Tasks(value, "--task-weight", "image-label=4,video-qa=2", weightRequired: true).ToDictionary(t => t.Key, t => t.Value!.Value, StringComparer.Ordinal);

    /// <summary>"TASK[=N],..." in order, each task with its weight when given; the message of a malformed entry shows the form.</summary>
    internal static Dictionary<string, int?> Tasks(string value, string flag, string example, bool weightRequired)
    {
        var tasks = new Dictionary<string, int?>(StringComparer.Ordinal);
        foreach (string entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = entry.Split('=', StringSplitOptions.TrimEntries);
            int weight = 0;
            if (parts[0].Length == 0 || parts.Length > 2 || (parts.Length == 1 && weightRequired)
                || (parts.Length == 2 && !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out weight)))
                throw new ArgumentException($"{flag} '{entry}' is not {(weightRequired ? "TASK=N" : "TASK or TASK=N")}; write e.g. {flag} {example}.");
            if (!tasks.TryAdd(parts[0], parts.Length == 2 ? weight : null))
                throw new ArgumentException($"{flag} names '{parts[0]}' twice; give each task once.");
        }
        return tasks;
    }

    /// <summary>--stem-warmup-first TASK[,TASK]:STEPS.</summary>
    internal static (IReadOnlyList<string> Tasks, int Steps) WarmupFirst(string? value)
    {
        if (value is null) return ([], 0);
        int colon = value.LastIndexOf(':');
        string[] tasks = colon < 0 ? [] : value[..colon].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (tasks.Length == 0 || !int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int steps) || steps == 0)
            throw new ArgumentException($"--stem-warmup-first '{value}' is not TASK[,TASK]:STEPS; write e.g. --stem-warmup-first image-label:1200.");
        return (tasks, steps);
    }

    /// <summary>The from-scratch shape: a preset name or a model folder's config.json.</summary>
    private static BtokConfig Architecture(string value) => value switch
    {
        "default" => BtokConfig.Default,
        // Small enough to train in about a minute on 2 cores (the CI smoke run).
        "tiny" => BtokConfig.Default with { DModel = 128, Layers = 2, Heads = 4, FfnDim = 384 },
        // The shipped default model's shape (models/btok-tiny, ./build.sh train-default): 96 px frames (36 patches each,
        // 288 vision tokens per 8-frame window) so an hour on 2 cores covers several epochs of the synthetic world.
        "btok-tiny" => BtokConfig.Default with { ModelId = "btok-tiny", DModel = 192, Layers = 3, Heads = 6, FfnDim = 512, ImageSize = 96 },
        _ when Directory.Exists(value) => BtokEncoder.ReadConfig(value),
        _ => throw new UsageException($"--arch '{value}' is neither a preset (default, tiny, btok-tiny) nor a model folder; pass one of those."),
    };

    /// <summary>The --arch shape with the --stem, --patch-colour, --frame-summary, --frame-summary-where, --motion-token and --motion-trace overrides.</summary>
    private static BtokConfig FromScratch(ParseResult p)
    {
        BtokConfig shape = Architecture(p.GetValue(s_arch)!);
        shape = p.GetValue(s_stem) switch
        {
            null => shape,
            "patch" => shape with { VisionStem = VisionStem.Patch },
            "conv" => shape with { VisionStem = VisionStem.Conv },
            string stem => throw new UsageException($"--stem '{stem}' is not a vision stem; use patch or conv."),
        };
        bool summary = p.GetValue(s_frameSummary), where = p.GetValue(s_frameSummaryWhere), motion = p.GetValue(s_motionToken), trace = p.GetValue(s_motionTrace);
        if (where && !summary) throw new UsageException("--frame-summary-where adds to the frame summary token; add --frame-summary.");
        if (motion && !summary) throw new UsageException("--motion-token reads the frame summary tokens; add --frame-summary.");
        if (trace && !motion) throw new UsageException("--motion-trace adds to the motion token; add --motion-token.");
        if (p.GetValue(s_patchColour)) shape = shape with { PatchColour = true };
        return summary ? shape with { FrameSummaryToken = true, FrameSummaryWhere = where, MotionToken = motion, MotionTrace = trace } : shape;
    }

    /// <summary>Forwards the trainer's records to the display on the training thread (no sync-context hop); vision
    /// warm-up steps become a line of means every 100 steps, so the bar and its ETA stay the main run's.</summary>
    private sealed class Reporter(TrainProgress progress) : IProgress<TrainingStepRecord>
    {
        private double _loss, _accuracy;
        private int _count;

        public void Report(TrainingStepRecord value)
        {
            if (value.Task != BtokTrainer.StemWarmupTask)
            {
                progress.Report(value);
                return;
            }
            _loss += value.Loss;
            _accuracy += value.Accuracy;
            if (++_count < 100 && value.Step != value.TotalSteps) return;
            progress.Message(string.Create(CultureInfo.InvariantCulture,
                $"vision warm-up {value.Step}/{value.TotalSteps}: loss {_loss / _count:0.000}, accuracy {_accuracy / _count:0.00} (mean of {_count} steps), {value.ElapsedSeconds:0} s"));
            _loss = _accuracy = _count = 0;
        }
    }
}
