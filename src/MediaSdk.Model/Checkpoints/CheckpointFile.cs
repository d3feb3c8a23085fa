using System.Text.Json.Serialization;

namespace MediaSdk.Model.Checkpoints;

/// <summary>The content of a checkpoint's config.json.</summary>
internal sealed class CheckpointFile
{
    /// <summary>The only format this build reads and writes.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Marker naming the file's kind.</summary>
    public const string FormatName = "mediasdk-btok";

    public string? Format { get; set; }

    public int FormatVersion { get; set; }

    public BtokConfig? Config { get; set; }

    /// <summary>The generative head's token ids (BtokModel.OutputTokens), or null for the whole vocabulary.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int[]? OutputTokens { get; set; }
}

/// <summary>Source-generated JSON for config.json (reflection-free, so it works trimmed and under NativeAOT).</summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(CheckpointFile))]
internal sealed partial class CheckpointJsonContext : JsonSerializerContext;
