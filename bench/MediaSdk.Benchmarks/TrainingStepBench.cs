using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MediaSdk.Model;
using MediaSdk.Training;
using MediaSdk.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MediaSdk.Benchmarks;

/// <summary>
/// (f) Training step cost of GIC: one optimiser step (forward, backward, AdamW) on the same batch and default model for
/// contrastive only (lambda 0), GIC in KV form and GIC in explicit mask form. Each variant runs in its own worker
/// process so its peak memory (VmHWM) is its own; workers are interleaved over rounds so machine drift hits all three.
/// </summary>
internal static class TrainingStepBench
{
    private const string WorkerFlag = "--train-step-worker";
    private const int Pairs = 8, Frames = 8, CaptionTokens = 12, TargetTokens = 16;
    private static readonly string[] s_variants = ["contrastive", "gic-kv", "gic-mask"];

    public static async Task<Section> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int rounds = ctx.Quick ? 1 : 3, steps = ctx.Quick ? 3 : 6;
        var times = s_variants.ToDictionary(v => v, _ => new List<double>());
        var peaks = s_variants.ToDictionary(v => v, _ => new List<double>());
        // The worker is this driver again: its apphost, or `dotnet MediaSdk.Benchmarks.dll` when started that way.
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("No process path for the benchmark worker.");
        string[] prefix = Path.GetFileNameWithoutExtension(exe) == "dotnet" ? [typeof(TrainingStepBench).Assembly.Location] : [];
        for (int r = 0; r < rounds; r++)
        {
            // Rotate the order each round (contrastive first, then second, ...) so no variant always runs on a warm machine.
            for (int i = 0; i < s_variants.Length; i++)
            {
                string variant = s_variants[(i + r) % s_variants.Length];
                BenchContext.Log($"(f) round {r + 1}/{rounds}: {variant}, {steps} steps");
                ProcessResult run = await ProcessRunner.RunAsync(exe, [.. prefix, WorkerFlag, variant, steps.ToString(CultureInfo.InvariantCulture)],
                    TimeSpan.FromMinutes(10), ct: ct).ConfigureAwait(false);
                if (run.ExitCode != 0 || run.Lines.Count == 0)
                    throw new InvalidOperationException($"(f) worker {variant} exited {run.ExitCode}: {ProcessRunner.Tail(run.StdErr)}");
                using JsonDocument result = JsonDocument.Parse(run.Lines[^1].Line);
                foreach (JsonElement t in result.RootElement.GetProperty("step_ms").EnumerateArray()) times[variant].Add(t.GetDouble());
                peaks[variant].Add(result.RootElement.GetProperty("peak_mb").GetDouble());
            }
        }

        double mC = Stats.Median(times["contrastive"]), mKv = Stats.Median(times["gic-kv"]), mMask = Stats.Median(times["gic-mask"]);
        double pC = Stats.Median(peaks["contrastive"]), pKv = Stats.Median(peaks["gic-kv"]), pMask = Stats.Median(peaks["gic-mask"]);
        double ratio = mKv / mC;
        var s = new Section
        {
            Id = "f",
            Title = "Training step: GIC cost over contrastive-only",
            Goal = "GIC (KV form, the default) step time <= 1.35x contrastive-only, same batch and model",
            Baseline = "contrastive-only (lambda 0) on the same batch, model, seed and thread count, interleaved worker processes",
            Status = ratio <= 1.35 ? "PASS" : "MISS",
            Headline = $"{Section.F(ratio, "0.00")}x step time ({Section.F(mKv, "0")} vs {Section.F(mC, "0")} ms), mask form {Section.F(mMask / mC, "0.00")}x; peak memory +{Section.F(pKv - pC, "0")} MB (KV) / +{Section.F(pMask - pC, "0")} MB (mask)",
        };
        s.Commands.Add($"MediaSdk.Benchmarks {WorkerFlag} contrastive|gic-kv|gic-mask {steps}   # one process per variant and round, {rounds} round(s), order rotated");
        s.Line();
        s.Line($"Batch: {Pairs} pairs; query = an {Frames}-frame 112 px window of fixed random pixels (392 vision tokens), positive = a {CaptionTokens}-token text; " +
            $"every pair has a {TargetTokens}-token target generated from the query's BToks (lambda 5 x fraction 1). Model: BtokConfig.Default (d 256, 4 layers, K 4), float32, CPU, " +
            $"threads = min(cores, 4). A step = zero_grad, forward, backward, AdamW (lr 1e-4). The first step of each worker is a warm-up and not timed; " +
            "peak memory is the worker's VmHWM minus its resident size after building the model, optimiser and batch.");
        s.Table(["variant", "median step ms", "p95 ms", "ratio vs contrastive", "peak extra MB (median)"],
        [
            ["contrastive only (lambda 0)", Section.F(mC, "0"), Section.F(Stats.Percentile(times["contrastive"], 95), "0"), "1.00", Section.F(pC, "0")],
            ["GIC, KV form (default)", Section.F(mKv, "0"), Section.F(Stats.Percentile(times["gic-kv"], 95), "0"), Section.F(mKv / mC, "0.00"), Section.F(pKv, "0")],
            ["GIC, explicit mask form", Section.F(mMask, "0"), Section.F(Stats.Percentile(times["gic-mask"], 95), "0"), Section.F(mMask / mC, "0.00"), Section.F(pMask, "0")],
        ]);
        s.Line("Where the GIC cost goes: the KV form adds one target pass of 16 tokens against 4 cached slots per layer, plus the tied output head " +
            "(16 x 50257 logits per pair) and its backward; the mask form runs the target inside the 412-token sequence instead.");
        return s;
    }

    /// <summary>True when this process is a worker; it then runs and prints one JSON line.</summary>
    public static bool TryRunWorker(string[] args)
    {
        if (args.Length < 3 || args[0] != WorkerFlag) return false;
        string variant = args[1];
        int steps = int.Parse(args[2], CultureInfo.InvariantCulture);
        using BtokEncoder encoder = BtokEncoder.CreateRandom(BtokConfig.Default, seed: 0, EncoderOptions.Default with { Device = EncoderDevice.Cpu });
        var model = encoder.Network;
        var batch = Batch();
        GicForm form = variant == "gic-mask" ? GicForm.Mask : GicForm.Kv;
        double lambda = variant == "contrastive" ? 0 : StepComputer.EffectiveLambda(5.0, batch);
        var computer = new StepComputer(model, 0.02, form, TargetAttention.Condensation, null, ScalarType.Float32, CPU);
        using var optimizer = optim.AdamW(model.parameters(), 1e-4);
        double baseline = ResidentMb("VmRSS");
        var times = new List<double>();
        for (int i = 0; i <= steps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            optimizer.zero_grad();
            computer.Backward(batch, lambda);
            optimizer.step();
            if (i > 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        double peak = ResidentMb("VmHWM") - baseline;
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["step_ms"] = times, ["peak_mb"] = peak }));
        return true;
    }

    private static List<TrainingExample> Batch()
    {
        var random = new Random(7);
        int size = BtokConfig.Default.ImageSize;
        var batch = new List<TrainingExample>(Pairs);
        for (int i = 0; i < Pairs; i++)
        {
            var pixels = new float[Frames * 3 * size * size];
            for (int k = 0; k < pixels.Length; k++) pixels[k] = (float)(random.NextDouble() * 2 - 1);
            int[] caption = [.. Enumerable.Range(0, CaptionTokens).Select(_ => random.Next(50000))];
            int[] target = [50256, .. Enumerable.Range(0, TargetTokens - 2).Select(_ => random.Next(50000)), 50256];
            batch.Add(new TrainingExample(i + 1, "bench", new SideInput { Pixels = pixels, Frames = Frames, TextIds = [] },
                new SideInput { TextIds = caption }, [], target, TargetSide.Query));
        }
        return batch;
    }

    /// <summary>A /proc/self/status field (VmRSS, VmHWM) in MB.</summary>
    private static double ResidentMb(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        return double.NaN;
    }
}
