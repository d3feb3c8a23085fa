using System.Diagnostics;
using System.Globalization;
using MediaSdk.Model;
using MediaSdk.Model.Nn;
using MediaSdk.Training;
using MediaSdk.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MediaSdk.Benchmarks;

/// <summary>
/// How fast can a readout learn a manifest's labels? A cross-entropy classifier over the distinct positive texts of a
/// manifest (e.g. the image-label pairs of the synthetic world), trained from a seeded btok-tiny, read either through
/// the whole encoder (vision tokens + instruction + BToks, as the trainer embeds a query) or by pooling the vision
/// tokens directly (max or mean over patches and frames). It isolates where learning stalls: the stem, or the decoder.
/// </summary>
/// <remarks>
/// Usage: <c>MediaSdk.Benchmarks --probe MANIFEST [--steps 200] [--stem patch|conv] [--readout btok|max|mean]
/// [--warmup N] [--lr 1e-3] [--cache DIR] [--val MANIFEST] [--init MODEL] [--head-only on]</c>. <c>--init</c> starts from a
/// trained model; <c>--head-only on</c> trains only the readout's head (a linear probe of what the model encodes). <c>--warmup N</c> first runs the trainer's vision warm-up
/// (StemWarmup) for N steps, then the --steps through --readout: does a stem that has learned shape help the decoder? Prints the running loss and training accuracy every 20 steps (chance = 1 / classes), and with --val the accuracy on another manifest's examples at the end.
/// docs/results.md records what it showed.
/// </remarks>
internal static class LearnabilityProbe
{
    public static bool TryRun(string[] args)
    {
        if (args.Length < 2 || args[0] != "--probe") return false;
        string manifest = Path.GetFullPath(args[1]);
        int steps = 200, warmup = 0;
        string stem = "patch", readout = "btok";
        bool summary = false;
        int seed = 1;
        double lr = 1e-3;
        string? cache = null, validation = null, init = null;
        bool headOnly = false;
        for (int i = 2; i < args.Length; i += 2)
        {
            if (i + 1 == args.Length) throw new ArgumentException($"--probe: option '{args[i]}' has no value; give one after it.");
            string value = args[i + 1];
            switch (args[i])
            {
                case "--steps": steps = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--stem": stem = value; break;
                case "--readout": readout = value; break;
                case "--lr": lr = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--cache": cache = value; break;
                case "--summary":
                    summary = value is "on" || (value is "off" ? false : throw new ArgumentException($"--summary '{value}': use on or off."));
                    break;
                case "--seed": seed = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--val": validation = Path.GetFullPath(value); break;
                case "--init": init = Path.GetFullPath(value); break;
                case "--head-only":
                    headOnly = value is "on" || (value is "off" ? false : throw new ArgumentException($"--head-only '{value}': use on or off."));
                    break;
                default: throw new ArgumentException($"--probe: unknown option '{args[i]}'; use --steps, --warmup, --stem, --readout, --summary on|off, --seed, --lr, --cache, --val, --init or --head-only on|off.");
            }
        }
        if (readout is not ("btok" or "max" or "mean")) throw new ArgumentException($"--readout '{readout}': use btok, max or mean.");
        VisionStem visionStem = stem switch
        {
            "patch" => VisionStem.Patch,
            "conv" => VisionStem.Conv,
            _ => throw new ArgumentException($"--stem '{stem}': use patch or conv."),
        };
        Run(manifest, validation, warmup, steps, visionStem, summary, seed, readout, lr, cache, init, headOnly);
        return true;
    }

    private static void Run(string manifest, string? validation, int warmup, int steps, VisionStem stem, bool summary, int seed, string readout, double lr,
        string? cache, string? init, bool headOnly)
    {
        torch.set_num_threads(2);
        var config = BtokConfig.Default with
        {
            ModelId = "btok-tiny", DModel = 192, Layers = 3, Heads = 6, FfnDim = 512, ImageSize = 96, VisionStem = stem,
            FrameSummaryToken = summary,
        };
        var data = new TrainingDataOptions(config.ImageSize, config.MaxFrames, config.MaxTextTokens, cache);
        IReadOnlyList<TrainingExample> examples = TrainingData.LoadAsync(manifest, data).GetAwaiter().GetResult();
        List<string> classes = [.. examples.Select(Label).Distinct(StringComparer.Ordinal)];
        Console.WriteLine($"probe {manifest}: {examples.Count} examples, {classes.Count} classes (chance {1.0 / classes.Count:F3}), " +
            $"stem {stem}, summary token {summary}, readout {readout}, lr {lr}, {warmup} max-readout warm-up steps, then {steps} steps");

        var encoderOptions = EncoderOptions.Default with { Device = EncoderDevice.Cpu, Threads = 2 };
        using BtokEncoder encoder = init is null ? BtokEncoder.CreateRandom(config, seed, encoderOptions) : BtokEncoder.Load(init, encoderOptions);
        if (init is not null) config = encoder.Network.Config;
        encoder.Network.to(ScalarType.Float32); // an fp16 export loads as float16
        BtokModel model = encoder.Network;
        model.train();
        var computer = new StepComputer(model, 0.05, GicForm.Kv, TargetAttention.Condensation, null, ScalarType.Float32, CPU);
        var plan = new BatchPlan(examples, 32, seed);
        var clock = Stopwatch.StartNew();
        if (warmup > 0)
        {
            // The trainer's vision warm-up (StemWarmup: max readout, flip and shift augmentation), then the probe's stage.
            var stemWarmup = new StemWarmup(model, examples, [.. examples.Select(e => e.Task).Distinct()], CPU);
            double lossSum = 0, accuracySum = 0;
            stemWarmup.Run(warmup, 32, lr, seed, s =>
            {
                lossSum += s.Loss;
                accuracySum += s.Accuracy;
                if ((s.Step + 1) % 20 != 0) return;
                Console.WriteLine($"step {s.Step + 1} (stem warm-up) loss {lossSum / 20:F3} train-acc {accuracySum / 20:F3} {clock.Elapsed.TotalSeconds:F0} s");
                lossSum = accuracySum = 0;
            }, default);
        }
        Stage(steps, readout, validation, warmup);

        void Stage(int count, string stageReadout, string? stageValidation, int first)
        {
            var head = nn.Linear(config.DModel, classes.Count);
            // --head-only: a linear probe of what the (e.g. trained, --init) model already encodes.
            List<TorchSharp.Modules.Parameter> parameters = headOnly ? [.. head.parameters()] : [.. model.parameters(), .. head.parameters()];
            using var optimizer = optim.AdamW(parameters, lr, weight_decay: 0.01);
            double lossSum = 0;
            int correct = 0, seen = 0, batches = 0;
            for (int step = first; step < first + count; step++)
            {
                using DisposeScope scope = NewDisposeScope();
                List<TrainingExample> batch = [.. plan.Batch(step).Select(i => examples[i])];
                Tensor embedding = stageReadout == "btok"
                    ? computer.Embed([.. batch.Select(e => e.Query)], 0, batch.Count)
                    : stack([.. batch.Select(e => Pool(model, e.Query, config.ImageSize, stageReadout))], 0);
                embedding = embedding / embedding.norm(1, keepdim: true).clamp_min(1e-12);
                // A fixed logit scale of 1 / 0.05, like the trainer's InfoNCE temperature.
                Tensor logits = head.forward(embedding * 20);
                Tensor labels = tensor(batch.Select(e => (long)classes.IndexOf(Label(e))).ToArray());
                Tensor loss = nn.functional.cross_entropy(logits, labels);
                optimizer.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(parameters, 1.0);
                optimizer.step();
                lossSum += loss.ToDouble();
                correct += (int)logits.argmax(1).eq(labels).sum().ToInt64();
                seen += batch.Count;
                batches++;
                if (step + 1 == first + count && stageValidation is not null)
                {
                    // Held-out accuracy over the same classes (labels the training manifest never used are scored wrong).
                    IReadOnlyList<TrainingExample> held = TrainingData.LoadAsync(stageValidation, data).GetAwaiter().GetResult();
                    int right = 0;
                    using (no_grad())
                        foreach (TrainingExample e in held)
                        {
                            Tensor v = stageReadout == "btok" ? computer.Embed([e.Query], 0, 1) : Pool(model, e.Query, config.ImageSize, stageReadout).unsqueeze(0);
                            v = v / v.norm(1, keepdim: true).clamp_min(1e-12);
                            right += head.forward(v * 20).argmax(1).ToInt64() == classes.IndexOf(Label(e)) ? 1 : 0;
                        }
                    Console.WriteLine($"held-out accuracy {(double)right / held.Count:F3} on {held.Count} examples of {stageValidation}");
                }
                if ((step + 1) % 20 == 0 || step + 1 == first + count)
                {
                    Console.WriteLine($"step {step + 1} ({stageReadout}) loss {lossSum / batches:F3} train-acc {(double)correct / seen:F3} {clock.Elapsed.TotalSeconds:F0} s");
                    lossSum = 0;
                    correct = seen = batches = 0;
                }
            }
        }
    }

    private static string Label(TrainingExample e) => string.Join(',', e.Positive.TextIds);

    /// <summary>Max or mean over every patch of every frame of the vision tokens, skipping the decoder.</summary>
    private static Tensor Pool(BtokModel model, SideInput side, int size, string readout)
    {
        Tensor tokens = model.EmbedFrames(tensor(side.Pixels ?? throw new ArgumentException("--probe needs queries with an image or video."),
            [side.Frames, 3, size, size]));
        return readout == "max" ? tokens.amax([0L]) : tokens.mean([0L]);
    }
}
