using System.Text.Json;
using System.Text.Json.Serialization;
using MediaSdk.Model;
using MediaSdk.Model.Nn;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MediaSdk.Training;

/// <summary>The settings that decide a run's arithmetic; a resume must match them exactly.</summary>
internal sealed record RunSettings(
    string? InitModel, BtokConfig Architecture, int Steps, double Lambda, string Mask, string Form, string NtpVocabulary, double NtpFraction,
    double Temperature, int BatchSize, int? GradCacheChunk, double? LearningRate, int? WarmupSteps, double WeightDecay,
    double ClipNorm, int LoraRank, double? LoraAlpha, string Freeze, int Seed, bool BFloat16, int? FramesPerWindow,
    string? TaskWeights = null, double Uniformity = 0, double StemKeep = 0, double MotionKeep = 0, int MotionKeepVideos = 0,
    string? StemWarmupWeights = null, bool OwnNegatives = false)
{
    public static RunSettings From(TrainingOptions o) => new(
        o.InitModel is null ? null : Path.GetFullPath(o.InitModel), BtokTrainer.StartConfig(o), o.Steps, o.Lambda, o.Mask.ToString(),
        o.Form.ToString(), o.NtpVocabulary.ToString(), o.NtpFraction, o.Temperature, o.BatchSize, o.GradCacheChunk, o.LearningRate, o.WarmupSteps,
        o.WeightDecay, o.ClipNorm, o.LoraRank, o.LoraAlpha, o.Freeze, o.Seed, o.BFloat16, o.FramesPerWindow,
        TaskWeightsText(o.TaskWeights), o.Uniformity, o.StemKeep, o.MotionKeep, o.MotionKeep > 0 ? o.MotionKeepVideos : 0,
        o.StemKeep > 0 ? TaskWeightsText(o.StemWarmupWeights) : null, o.OwnNegatives);

    /// <summary>
    /// "task=w,..." sorted by task, weights of 1 left out; null when every weight is 1 (also what a state.json from before
    /// task weights reads as, so those runs still resume).
    /// </summary>
    public static string? TaskWeightsText(IReadOnlyDictionary<string, int> weights)
    {
        string text = string.Join(",", weights.Where(w => w.Value != 1).OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => $"{w.Key}={w.Value}"));
        return text.Length == 0 ? null : text;
    }
}

/// <summary>state.json of a training checkpoint.</summary>
internal sealed record TrainerStateFile
{
    public const int CurrentFormatVersion = 1;
    public int FormatVersion { get; init; }
    public int Step { get; init; }
    /// <summary>Wall time the run had spent when saved (0 in files from before it was kept).</summary>
    public double ElapsedSeconds { get; init; }
    public string Data { get; init; } = "";
    public RunSettings? Settings { get; init; }
    public string RngState { get; init; } = "";
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(TrainerStateFile))]
internal sealed partial class TrainerJsonContext : JsonSerializerContext;

/// <summary>
/// The resumable state of a run in OUT/training/checkpoint: weights in training form (LoRA adapters unmerged, float32),
/// the AdamW state, the step, the torch RNG state, the settings and the data fingerprint.
/// </summary>
/// <remarks>
/// A save writes a complete new folder (checkpoint.tmp, state.json last) and swaps it in by renames, so a crash leaves
/// the previous checkpoint or the new one, never a mix. The data order is a function of (seed, step), so step + weights
/// + optimiser state is everything a bit-exact resume needs; the RNG state is kept for anything stochastic later.
/// </remarks>
internal sealed class TrainerCheckpoint(TrainingOptions options, string dataFingerprint)
{
    private const string WeightsFile = "weights.safetensors", OptimizerFile = "optimizer.bin", StateFile = "state.json";
    private readonly string _root = Path.Combine(options.OutputDirectory, "training");

    private string Current => Path.Combine(_root, "checkpoint");

    /// <summary>Refuses to start over an existing run unless resuming, and to resume where there is nothing to resume.</summary>
    public static void CheckOutput(TrainingOptions options)
    {
        var checkpoint = new TrainerCheckpoint(options, "");
        bool exists = checkpoint.Find() is not null;
        if (options.Resume && !exists)
            throw new ArgumentException($"--resume was given but '{options.OutputDirectory}' holds no training checkpoint (training/checkpoint/state.json); start without --resume.");
        if (!options.Resume && exists)
            throw new ArgumentException($"'{options.OutputDirectory}' already holds a training run; pass --resume to continue it, or choose another --out.");
    }

    /// <summary>Wall time the loaded checkpoint's run had spent (<see cref="Load"/>): a resumed run's clock continues from it.</summary>
    public TimeSpan SavedElapsed { get; private set; }

    /// <summary>Writes a complete checkpoint (with the heads of <paramref name="keepers"/>: the frozen warm-up head, the motion head).</summary>
    public void Save(BtokModel model, TorchSharp.Modules.AdamW optimizer, int step, TimeSpan elapsed, params StemWarmup?[] keepers)
    {
        Directory.CreateDirectory(_root);
        string temp = Path.Combine(_root, "checkpoint.tmp"), old = Path.Combine(_root, "checkpoint.old");
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        using (DisposeScope scope = NewDisposeScope())
        {
            var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach ((string name, Tensor t) in model.state_dict()) weights[name] = t.detach().to(ScalarType.Float32, CPU).contiguous();
            foreach ((string name, Tensor t) in keepers.SelectMany(k => k?.HeadState() ?? []))
                weights[name] = t.detach().to(ScalarType.Float32, CPU).contiguous();
            Safetensors.SaveStateDict(Path.Combine(temp, WeightsFile), weights);
        }
        optimizer.save_state_dict(Path.Combine(temp, OptimizerFile));
        var file = new TrainerStateFile
        {
            FormatVersion = TrainerStateFile.CurrentFormatVersion,
            Step = step,
            ElapsedSeconds = elapsed.TotalSeconds,
            Data = dataFingerprint,
            Settings = RunSettings.From(options),
            RngState = Convert.ToBase64String(RngBytes()),
        };
        using (var stream = new FileStream(Path.Combine(temp, StateFile), FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, file, TrainerJsonContext.Default.TrainerStateFile);
            stream.Flush(flushToDisk: true);
        }
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(Current)) Directory.Move(Current, old);
        Directory.Move(temp, Current);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>Restores weights, optimiser state and RNG; returns the step to continue from.</summary>
    /// <exception cref="ModelLoadException">The checkpoint is missing, damaged, or from a run with other settings or data.</exception>
    public int Load(BtokModel model, TorchSharp.Modules.AdamW optimizer, params StemWarmup?[] keepers)
    {
        string folder = Find() ?? throw new ModelLoadException($"'{_root}' holds no complete checkpoint; start the run again without --resume.");
        string statePath = Path.Combine(folder, StateFile);
        TrainerStateFile? file;
        try
        {
            using FileStream stream = File.OpenRead(statePath);
            file = JsonSerializer.Deserialize(stream, TrainerJsonContext.Default.TrainerStateFile);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            throw new ModelLoadException($"Training state '{statePath}' cannot be read ({ex.Message.ReplaceLineEndings(" ")}); start the run again without --resume.", ex);
        }
        if (file is null || file.FormatVersion != TrainerStateFile.CurrentFormatVersion || file.Settings is null)
            throw new ModelLoadException($"Training state '{statePath}' is not a version {TrainerStateFile.CurrentFormatVersion} MediaSdk checkpoint; start the run again without --resume.");
        string? difference = Difference(file.Settings, RunSettings.From(options));
        if (difference is not null)
            throw new ModelLoadException($"Cannot resume '{options.OutputDirectory}': {difference} differs from the saved run; pass the original options to resume, or choose another --out.");
        if (!string.Equals(file.Data, dataFingerprint, StringComparison.Ordinal))
            throw new ModelLoadException($"Cannot resume '{options.OutputDirectory}': the manifest '{options.Manifest}' changed since the run was saved; restore it, or choose another --out.");

        using (DisposeScope scope = NewDisposeScope())
        using (no_grad())
        {
            Dictionary<string, Tensor> saved = Safetensors.LoadStateDict(Path.Combine(folder, WeightsFile));
            foreach ((string name, Tensor target) in model.state_dict())
            {
                if (!saved.TryGetValue(name, out Tensor? source) || !source.shape.SequenceEqual(target.shape))
                    throw new ModelLoadException($"Training weights in '{folder}' lack '{name}' or have another shape; start the run again without --resume.");
                target.copy_(source);
            }
            try
            {
                foreach (StemWarmup? keeper in keepers) keeper?.LoadHead(saved);
            }
            catch (Exception ex) when (ex is KeyNotFoundException or ArgumentException)
            {
                throw new ModelLoadException($"Training weights in '{folder}' lack the head --stem-keep or --motion-keep needs, or it does not fit ({ex.Message}); start the run again without --resume.", ex);
            }
        }
        optimizer.load_state_dict(Path.Combine(folder, OptimizerFile));
        SetRng(Convert.FromBase64String(file.RngState));
        SavedElapsed = TimeSpan.FromSeconds(file.ElapsedSeconds);
        return file.Step;
    }

    internal string? Find()
    {
        foreach (string name in new[] { "checkpoint", "checkpoint.old" })
        {
            string folder = Path.Combine(_root, name);
            if (File.Exists(Path.Combine(folder, StateFile))) return folder;
        }
        return null;
    }

    private static string? Difference(RunSettings saved, RunSettings now)
    {
        using JsonDocument a = JsonDocument.Parse(JsonSerializer.Serialize(saved, TrainerJsonContext.Default.RunSettings));
        using JsonDocument b = JsonDocument.Parse(JsonSerializer.Serialize(now, TrainerJsonContext.Default.RunSettings));
        foreach (JsonProperty p in a.RootElement.EnumerateObject())
        {
            if (!b.RootElement.TryGetProperty(p.Name, out JsonElement other) || other.GetRawText() != p.Value.GetRawText())
                return $"'{p.Name}' ({p.Value.GetRawText()} saved, {(b.RootElement.TryGetProperty(p.Name, out JsonElement o) ? o.GetRawText() : "absent")} now)";
        }
        return null;
    }

    private static byte[] RngBytes()
    {
        using Tensor state = random.get_rng_state();
        return state.data<byte>().ToArray();
    }

    private static void SetRng(byte[] bytes)
    {
        if (bytes.Length == 0) return;
        using Tensor state = tensor(bytes, dtype: ScalarType.Byte);
        random.set_rng_state(state);
    }
}
