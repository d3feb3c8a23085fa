using System.Text.Json;
using MediaSdk.Model.Nn;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MediaSdk.Model.Checkpoints;

/// <summary>
/// Checkpoint I/O: a directory with config.json (<see cref="CheckpointFile"/>) and model.safetensors (float32 weights
/// named as <see cref="BtokModel"/>'s state dict). Writes go to a temp file that is then renamed over the target.
/// </summary>
internal static class Checkpoint
{
    public const string ConfigFileName = "config.json";
    public const string WeightsFileName = "model.safetensors";

    /// <summary>Reads and validates config.json in <paramref name="directory"/>.</summary>
    /// <exception cref="ModelLoadException">The directory or file is missing, unreadable, garbled or invalid.</exception>
    public static BtokConfig ReadConfig(string directory) => ReadFile(directory).Config!;

    /// <summary>Reads and validates config.json (the config and the optional output tokens).</summary>
    /// <exception cref="ModelLoadException">The directory or file is missing, unreadable, garbled or invalid.</exception>
    public static CheckpointFile ReadFile(string directory)
    {
        if (!Directory.Exists(directory))
            throw new ModelLoadException($"Model directory '{directory}' does not exist; pass a folder holding {ConfigFileName} and {WeightsFileName}.");
        string path = Path.Combine(directory, ConfigFileName);
        if (!File.Exists(path))
            throw new ModelLoadException($"Model config '{path}' is missing; the model folder needs {ConfigFileName} and {WeightsFileName} (save one with BtokEncoder.Save).");

        CheckpointFile? file;
        try
        {
            using FileStream stream = File.OpenRead(path);
            file = JsonSerializer.Deserialize(stream, CheckpointJsonContext.Default.CheckpointFile);
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException($"Model config '{path}' is not valid JSON ({OneLine(ex.Message)}); restore it from the original checkpoint.", ex);
        }
        catch (IOException ex)
        {
            throw new ModelLoadException($"Model config '{path}' cannot be read ({OneLine(ex.Message)}); check the file and its permissions.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ModelLoadException($"Model config '{path}' cannot be read ({OneLine(ex.Message)}); check the file permissions.", ex);
        }

        if (file is null || !string.Equals(file.Format, CheckpointFile.FormatName, StringComparison.Ordinal) || file.Config is null)
            throw new ModelLoadException($"Model config '{path}' is not a MediaSdk BTok config (expected \"format\": \"{CheckpointFile.FormatName}\" and a \"config\" object); point --model at a BTok checkpoint.");
        if (file.FormatVersion != CheckpointFile.CurrentFormatVersion)
            throw new ModelLoadException($"Model config '{path}' has format version {file.FormatVersion} but this build reads version {CheckpointFile.CurrentFormatVersion}; use a matching MediaSdk version.");
        try
        {
            file.Config.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ModelLoadException($"Model config '{path}' is invalid: {OneLine(ex.Message)}", ex);
        }
        return file;
    }

    /// <summary>Copies the weights in model.safetensors into <paramref name="model"/> (CPU, float32), checking names and shapes.</summary>
    /// <exception cref="ModelLoadException">The file is missing, garbled, or does not match the config.</exception>
    public static void LoadWeights(BtokModel model, string directory)
    {
        string path = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(path))
            throw new ModelLoadException($"Model weights '{path}' are missing; the model folder needs {WeightsFileName} next to {ConfigFileName}.");

        using DisposeScope scope = NewDisposeScope();
        Dictionary<string, Tensor> loaded;
        try
        {
            loaded = Safetensors.LoadStateDict(path);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // PyBridge throws a mix of JSON, IO, format and torch exceptions for a damaged file.
            throw new ModelLoadException($"Model weights '{path}' cannot be read as safetensors ({OneLine(ex.Message)}); restore the file from the original checkpoint.", ex);
        }

        int[]? outputTokens = ReadFile(directory).OutputTokens;
        try
        {
            model.OutputTokens = outputTokens;
        }
        catch (ArgumentException ex)
        {
            throw new ModelLoadException($"Model config '{Path.Combine(directory, ConfigFileName)}' has invalid outputTokens: {OneLine(ex.Message)}", ex);
        }

        Dictionary<string, Tensor> expected = model.state_dict();
        foreach (string name in loaded.Keys)
        {
            if (!expected.ContainsKey(name))
                throw new ModelLoadException($"Model weights '{path}' hold '{name}', which config.json's architecture does not have; the weights and config.json come from different models.");
        }
        using (no_grad())
        {
            foreach ((string name, Tensor target) in expected)
            {
                if (!loaded.TryGetValue(name, out Tensor? source))
                    throw new ModelLoadException($"Model weights '{path}' lack '{name}'; the weights and config.json come from different models.");
                if (!source.shape.SequenceEqual(target.shape))
                    throw new ModelLoadException($"Model weights '{path}': '{name}' has shape [{string.Join(", ", source.shape)}] but config.json needs [{string.Join(", ", target.shape)}]; the weights and config.json come from different models.");
                if (!source.is_floating_point())
                    throw new ModelLoadException($"Model weights '{path}': '{name}' is {source.dtype}, not a floating-point tensor; restore the file from the original checkpoint.");
                target.copy_(source);
            }
        }
    }

    /// <summary>Writes config.json and model.safetensors into <paramref name="directory"/>, each via temp file + rename.</summary>
    /// <remarks>
    /// Weights are written first and the config last, so a crash leaves either the old pair or new weights with the old
    /// config (which the shape check then rejects with a clear message), never a half-written file. Weights are stored
    /// as float32 (or float16) on the CPU whatever the encoder runs in.
    /// </remarks>
    /// <param name="model">The network to write.</param>
    /// <param name="directory">The checkpoint folder (created if needed).</param>
    /// <param name="halfPrecision">Store the weights as float16 (half the size; loading converts back to the model's
    /// float32, so the loaded weights are the float16-rounded values).</param>
    public static void Save(BtokModel model, string directory, bool halfPrecision = false)
    {
        ScalarType storage = halfPrecision ? ScalarType.Float16 : ScalarType.Float32;
        Directory.CreateDirectory(directory);
        string weights = Path.Combine(directory, WeightsFileName);
        string weightsTemp = weights + $".{Environment.ProcessId}.tmp";
        using (DisposeScope scope = NewDisposeScope())
        {
            var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach ((string name, Tensor t) in model.state_dict())
            {
                state[name] = t.dtype == storage && t.device_type == DeviceType.CPU
                    ? t
                    : t.detach().to(storage, CPU);
            }
            WriteThenRename(weightsTemp, weights, stream => Safetensors.SaveStateDict(stream, state, leaveOpen: true));
        }

        string config = Path.Combine(directory, ConfigFileName);
        var file = new CheckpointFile
        {
            Format = CheckpointFile.FormatName,
            FormatVersion = CheckpointFile.CurrentFormatVersion,
            Config = model.Config,
            OutputTokens = model.OutputTokens,
        };
        WriteThenRename(config + $".{Environment.ProcessId}.tmp", config,
            stream => JsonSerializer.Serialize(stream, file, CheckpointJsonContext.Default.CheckpointFile));
    }

    private static void WriteThenRename(string temp, string target, Action<Stream> write)
    {
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
