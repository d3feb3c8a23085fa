using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MediaSdk.Training.Data;

/// <summary>One side of a manifest pair as written (paths resolved against the manifest's folder).</summary>
internal sealed record SideSpec(string? Video, double? Start, double? End, string? Image, string? Text, string? Instruction)
{
    /// <summary>True when the side has a video or an image.</summary>
    public bool IsVisual => Video is not null || Image is not null;

    /// <summary>The text its ids are made from: instruction, a space, text (either may be absent); null when neither is.</summary>
    public string? CombinedText => Instruction is null ? Text : Text is null ? Instruction : Instruction + " " + Text;
}

/// <summary>One manifest line, validated.</summary>
internal sealed record ManifestEntry(int Line, string Task, SideSpec Query, SideSpec Positive, IReadOnlyList<SideSpec> Negatives,
    string? TargetText, TargetSide From, string? Batch = null);

/// <summary>
/// Parses a JSONL training manifest (docs/training.md "Manifest (JSONL)") strictly: every line is read and every media
/// file checked before anything is decoded, and each problem is reported as <c>path:line: what, how to fix</c>.
/// </summary>
internal static class TrainingManifest
{
    /// <summary>The <c>task</c> of a line that names none.</summary>
    public const string DefaultTask = "default";

    private const string Example = """{"query": {"video": "clip.mp4", "start": 0, "end": 2}, "positive": {"text": "a dog runs"}}""";
    private static readonly string[] s_topFields = ["query", "positive", "negatives", "target", "task", "batch"];
    private static readonly string[] s_sideFields = ["video", "start", "end", "image", "text", "instruction"];
    private static readonly string[] s_targetFields = ["text", "from"];
    private static readonly string[] s_imageExtensions = [".png", ".jpg", ".jpeg"];

    private static readonly JsonDocumentOptions s_json = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 16,
    };

    /// <summary>Reads and validates every line of <paramref name="manifestPath"/>.</summary>
    /// <exception cref="TrainingDataException">The manifest is missing, empty or has a bad line (the first problem is
    /// reported; the message counts the others).</exception>
    public static async Task<IReadOnlyList<ManifestEntry>> ParseAsync(string manifestPath, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(manifestPath);
        string full = Path.GetFullPath(manifestPath);
        if (!File.Exists(full))
            throw new TrainingDataException(manifestPath, 0,
                Directory.Exists(full) ? "is a folder, not a manifest file; pass the .jsonl file itself." : "manifest file not found; check the path.");
        string folder = Path.GetDirectoryName(full) ?? Directory.GetCurrentDirectory();

        var entries = new List<ManifestEntry>();
        var errors = new List<TrainingDataException>();
        int lineNo = 0;
        using (var reader = new StreamReader(full, Encoding.UTF8, detectEncodingFromByteOrderMarks: true))
        {
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                try
                {
                    entries.Add(ParseLine(new LineContext(manifestPath, lineNo, folder), line));
                }
                catch (TrainingDataException ex)
                {
                    errors.Add(ex);
                }
            }
        }
        if (errors.Count > 0)
        {
            TrainingDataException first = errors[0];
            if (errors.Count == 1) throw first;
            string others = string.Join(", ", errors.Skip(1).Take(10).Select(e => e.Line.ToString(CultureInfo.InvariantCulture)));
            throw new TrainingDataException(manifestPath, first.Line,
                $"{Problem(first)} ({errors.Count - 1} more bad line(s): {others}{(errors.Count > 11 ? ", ..." : "")}; nothing was decoded)", first);
        }
        if (entries.Count == 0)
            throw new TrainingDataException(manifestPath, Math.Max(lineNo, 1),
                $"the manifest has no examples; write one JSON object per line, e.g. {Example}");
        return entries;
    }

    private static string Problem(TrainingDataException ex) => ex.Message[(ex.ManifestPath.Length + 2 + ex.Line.ToString(CultureInfo.InvariantCulture).Length + 1)..];

    internal readonly record struct LineContext(string Manifest, int Line, string Folder)
    {
        public TrainingDataException Error(string problem) => new(Manifest, Line, problem);
    }

    private static ManifestEntry ParseLine(LineContext at, string line)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line, s_json);
        }
        catch (JsonException ex)
        {
            throw at.Error($"not valid JSON at character {ex.BytePositionInLine + 1} ({FirstSentence(ex.Message)}); each non-blank line must be one JSON object (JSONL has no comments), e.g. {Example}");
        }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw at.Error($"the line is a JSON {Kind(root)}, not an object; each line must be one object, e.g. {Example}");
            CheckFields(at, root, s_topFields, "the line");

            SideSpec query = root.TryGetProperty("query", out JsonElement q)
                ? ParseSide(at, q, "query")
                : throw at.Error("missing \"query\"; every line needs a \"query\" and a \"positive\" side.");
            SideSpec positive = root.TryGetProperty("positive", out JsonElement p)
                ? ParseSide(at, p, "positive")
                : throw at.Error("missing \"positive\"; every line needs a \"query\" and a \"positive\" side.");

            var negatives = new List<SideSpec>();
            if (root.TryGetProperty("negatives", out JsonElement negs))
            {
                if (negs.ValueKind != JsonValueKind.Array)
                    throw at.Error($"\"negatives\" is a {Kind(negs)}; it must be an array of sides, e.g. [{{\"text\": \"a cat\"}}] (or leave it out).");
                int i = 0;
                foreach (JsonElement n in negs.EnumerateArray()) negatives.Add(ParseSide(at, n, $"negatives[{i++}]"));
            }

            string task = OptionalName(at, root, "task", $"such as \"video-caption\" (or leave it out for \"{DefaultTask}\")") ?? DefaultTask;
            string? batch = OptionalName(at, root, "batch", "naming the batches the pair joins, such as \"image-caption\" (or leave it out: the pair's task)");

            string? targetText = null;
            TargetSide from = DefaultFrom(query, positive);
            if (root.TryGetProperty("target", out JsonElement target))
            {
                if (target.ValueKind != JsonValueKind.Object)
                    throw at.Error($"\"target\" is a {Kind(target)}; it must be an object such as {{\"text\": \"a dog runs\", \"from\": \"query\"}}.");
                CheckFields(at, target, s_targetFields, "\"target\"");
                targetText = target.TryGetProperty("text", out JsonElement tt) && tt.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(tt.GetString())
                    ? tt.GetString()!
                    : throw at.Error($"\"target.text\" is {(target.TryGetProperty("text", out JsonElement x) ? Describe(x) : "missing")}; it must be the non-empty text the bottleneck tokens should generate.");
                if (target.TryGetProperty("from", out JsonElement f))
                {
                    from = f.ValueKind == JsonValueKind.String ? f.GetString() switch
                    {
                        "query" => TargetSide.Query,
                        "positive" => TargetSide.Positive,
                        _ => throw at.Error($"\"target.from\" is \"{f.GetString()}\"; it must be \"query\" or \"positive\" (or leave it out: the visual side generates)."),
                    } : throw at.Error($"\"target.from\" is {Describe(f)}; it must be \"query\" or \"positive\".");
                }
            }
            return new ManifestEntry(at.Line, task, query, positive, negatives, targetText, from, batch);
        }
    }

    /// <summary>Without "from", the visual side generates; when both or neither are visual, the query does.</summary>
    private static TargetSide DefaultFrom(SideSpec query, SideSpec positive) =>
        positive.IsVisual && !query.IsVisual ? TargetSide.Positive : TargetSide.Query;

    internal static SideSpec ParseSide(LineContext at, JsonElement side, string name)
    {
        if (side.ValueKind != JsonValueKind.Object)
            throw at.Error($"\"{name}\" is {Describe(side)}; it must be an object with \"video\", \"image\" and/or \"text\", e.g. {{\"text\": \"a dog runs\"}}.");
        CheckFields(at, side, s_sideFields, $"\"{name}\"");
        string? video = OptionalString(at, side, name, "video");
        string? image = OptionalString(at, side, name, "image");
        string? text = OptionalString(at, side, name, "text");
        string? instruction = OptionalString(at, side, name, "instruction");
        double? start = OptionalSeconds(at, side, name, "start");
        double? end = OptionalSeconds(at, side, name, "end");

        if (video is not null && image is not null)
            throw at.Error($"\"{name}\" has both \"video\" and \"image\"; a side holds one of them (put the other in its own example).");
        if (video is null && image is null && text is null)
            throw at.Error($"\"{name}\" has no content; give it a \"video\", an \"image\" or a \"text\" (an \"instruction\" alone is not enough).");
        if ((start is not null || end is not null) && video is null)
            throw at.Error($"\"{name}\" has \"start\"/\"end\" but no \"video\"; they select a span of a video, so remove them or add a \"video\".");
        if (start is not null && end is not null && end <= start)
            throw at.Error($"\"{name}\": \"end\" ({end.Value.ToString(CultureInfo.InvariantCulture)}) must be greater than \"start\" ({start.Value.ToString(CultureInfo.InvariantCulture)}).");
        if (end is not null && start is null) start = 0;
        if (start is not null && end is null)
            throw at.Error($"\"{name}\" has \"start\" but no \"end\"; give both (seconds), or neither to use the whole clip.");

        if (video is not null) video = ResolveMedia(at, name, "video", video);
        if (image is not null)
        {
            if (!s_imageExtensions.Contains(Path.GetExtension(image).ToLowerInvariant()))
                throw at.Error($"\"{name}.image\" '{image}' is not a .png or .jpg file; convert it (e.g. `ffmpeg -i in.webp out.png`) or use \"video\".");
            image = ResolveMedia(at, name, "image", image);
        }
        return new SideSpec(video, start, end, image, text, instruction);
    }

    private static string ResolveMedia(LineContext at, string side, string field, string path)
    {
        string full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(at.Folder, path));
        if (Directory.Exists(full))
            throw at.Error($"\"{side}.{field}\" '{path}' is a folder ({full}); name a media file.");
        if (!File.Exists(full))
            throw at.Error($"\"{side}.{field}\" '{path}' not found (looked at {full}); relative paths resolve against the manifest's folder.");
        return full;
    }

    /// <summary>A top-level name field ("task", "batch"): absent, or a non-empty string.</summary>
    private static string? OptionalName(LineContext at, JsonElement root, string field, string hint)
    {
        if (!root.TryGetProperty(field, out JsonElement v)) return null;
        return v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString())
            ? v.GetString()
            : throw at.Error($"\"{field}\" is {Describe(v)}; it must be a non-empty string {hint}.");
    }

    private static string? OptionalString(LineContext at, JsonElement side, string name, string field)
    {
        if (!side.TryGetProperty(field, out JsonElement v)) return null;
        return v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString())
            ? v.GetString()
            : throw at.Error($"\"{name}.{field}\" is {Describe(v)}; it must be a non-empty string (or leave it out).");
    }

    private static double? OptionalSeconds(LineContext at, JsonElement side, string name, string field)
    {
        if (!side.TryGetProperty(field, out JsonElement v)) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d) && d >= 0 && d <= 86_400
            ? d
            : throw at.Error($"\"{name}.{field}\" is {Describe(v)}; it must be a number of seconds >= 0, e.g. 1.5.");
    }

    /// <summary>Rejects unknown and duplicate fields: a misspelt field must not be silently ignored.</summary>
    internal static void CheckFields(LineContext at, JsonElement obj, string[] allowed, string where)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty prop in obj.EnumerateObject())
        {
            if (!allowed.Contains(prop.Name, StringComparer.Ordinal))
                throw at.Error($"unknown field \"{prop.Name}\" in {where}; allowed: {string.Join(", ", allowed)} (check the spelling; names are case-sensitive).");
            if (!seen.Add(prop.Name))
                throw at.Error($"field \"{prop.Name}\" appears twice in {where}; keep one.");
        }
    }

    internal static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "value",
    };

    internal static string Describe(JsonElement e)
    {
        string raw = e.GetRawText();
        if (raw.Length > 40) raw = raw[..37] + "...";
        return e.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(e.GetString()) ? "an empty string" : $"{raw} (a {Kind(e)})";
    }

    internal static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" LineNumber", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }
}
