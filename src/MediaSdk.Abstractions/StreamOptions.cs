using System.Collections.Immutable;

namespace MediaSdk;

/// <summary>Per-stream behaviour: windowing, source reading and tagging.</summary>
public sealed record StreamOptions
{
    /// <summary>All defaults.</summary>
    public static StreamOptions Default { get; } = new();

    /// <summary>Stream name used in events. Null: derived from the source (file name, or URL host and port).</summary>
    public string? Name { get; init; }

    /// <summary>Windowing. Default <see cref="WindowOptions.Default"/>.</summary>
    public WindowOptions Window { get; init; } = WindowOptions.Default;

    /// <summary>Source reading (file/URL streams only). Default <see cref="SourceOptions.Default"/>.</summary>
    public SourceOptions Source { get; init; } = SourceOptions.Default;

    /// <summary>Labels scored against every window. Empty: windows carry embeddings but no tags.</summary>
    public ImmutableArray<string> Labels { get; init; } = [];

    /// <summary>How many of the best-scoring labels a window event lists. Default 3.</summary>
    public int TopTags { get; init; } = 3;

    /// <summary>
    /// Prompt each label is wrapped in before it is embedded; <c>{0}</c> is the label. Default "{0}", the label as given:
    /// a BTok model trained on label pairs (the default model's) embeds the label text alone, and a wrapper it never saw
    /// ("a video of {0}") flattens its scores. Set a wrapper only for a model trained with one.
    /// </summary>
    public string LabelPrompt { get; init; } = "{0}";
}
