using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MediaSdk.Synth;

/// <summary>
/// Everything that shapes a generated benchmark: seed, vocabularies, held-out compositions, counts, durations, frame
/// size, encoding quality and nuisance probabilities. JSON (camelCase); a file may give only the fields it changes.
/// </summary>
public sealed record SynthConfig
{
    /// <summary>The default benchmark (sized to generate in about 15 minutes or less on 2 cores; docs/synth.md).</summary>
    public static SynthConfig Default { get; } = new();

    /// <summary>A few dozen items in seconds, for tests and CI: 128x128, short long-videos, the default vocabularies.</summary>
    public static SynthConfig Small { get; } = new()
    {
        Splits = new SynthSplits
        {
            Train = new SynthCounts { Images = 12, Clips = 16, Long = 2 },
            Val = new SynthCounts { Images = 4, Clips = 6, Long = 1 },
            Test = new SynthCounts { Images = 6, Clips = 8, Long = 2 },
        },
        LongMinSeconds = 6,
        LongMaxSeconds = 7,
        LongMinEvents = 3,
        LongMaxEvents = 3,
    };

    /// <summary>Seed of every random choice: the same seed and config give byte-identical output.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Object shapes (each must be one the renderer draws: circle, square, triangle, star, hexagon, cross, diamond, ring).</summary>
    public IReadOnlyList<string> Shapes { get; init; } = ["circle", "square", "triangle", "star", "hexagon", "cross", "diamond", "ring"];

    /// <summary>Object colours: name -> "#RRGGBB".</summary>
    public IReadOnlyDictionary<string, string> Colours { get; init; } = new Dictionary<string, string>
    {
        ["red"] = "#E02020", ["green"] = "#20B040", ["blue"] = "#2050F0", ["yellow"] = "#F0E020",
        ["orange"] = "#F08010", ["purple"] = "#9030C0", ["pink"] = "#F070B0", ["cyan"] = "#20D0E0",
        ["white"] = "#F8F8F8", ["black"] = "#101010", ["brown"] = "#8B4A1C", ["gray"] = "#909090",
    };

    /// <summary>Background colours: name -> "#RRGGBB"; muted, and kept apart from the object colours so objects stay visible.</summary>
    public IReadOnlyDictionary<string, string> BackgroundColours { get; init; } = new Dictionary<string, string>
    {
        ["navy"] = "#1C2A5A", ["olive"] = "#5E6030", ["teal"] = "#1E5F5F", ["maroon"] = "#5A1E28",
        ["slate"] = "#4A5568", ["beige"] = "#C8BC9C", ["dark green"] = "#1F4A2A", ["charcoal"] = "#3A3A3A",
    };

    /// <summary>Object sizes (each one of small, medium, large).</summary>
    public IReadOnlyList<string> Sizes { get; init; } = ["small", "medium", "large"];

    /// <summary>Surface textures (each one of solid, striped, dotted, checkered).</summary>
    public IReadOnlyList<string> Textures { get; init; } = ["solid", "striped", "dotted", "checkered"];

    /// <summary>Background styles (each one of plain, gradient, grid, noise).</summary>
    public IReadOnlyList<string> Backgrounds { get; init; } = ["plain", "gradient", "grid", "noise"];

    /// <summary>Object motions (each one of move-left, move-right, move-up, move-down, rotate, grow, shrink, bounce, appear, disappear, collide).</summary>
    public IReadOnlyList<string> Motions { get; init; } =
        ["move-left", "move-right", "move-up", "move-down", "rotate", "grow", "shrink", "bounce", "appear", "disappear", "collide"];

    /// <summary>Camera motions (each one of pan-left, pan-right, zoom-in, zoom-out, shake).</summary>
    public IReadOnlyList<string> CameraMotions { get; init; } = ["pan-left", "pan-right", "zoom-in", "zoom-out", "shake"];

    /// <summary>Lighting changes (each one of brighten, darken).</summary>
    public IReadOnlyList<string> Lighting { get; init; } = ["brighten", "darken"];

    /// <summary>Words for text overlays: short (at most 4 characters) so large glyphs fit the frame.</summary>
    public IReadOnlyList<string> Words { get; init; } =
        ["STOP", "GO", "CAT", "SUN", "DOG", "BUS", "MAP", "RUN", "HOT", "ICE", "BOX", "KEY", "CAR", "FISH", "TREE", "STAR", "BIRD", "MOON", "SHIP", "BELL"];

    /// <summary>
    /// Also write image-colour and image-pattern training pairs: each labelled train image's main object's colour and
    /// pattern word against every other value, for the vision warm-up (docs/training.md, --stem-warmup-tasks). Only the
    /// training manifest changes; val and test stay byte-identical. Default true (world v1.2, the shipped model's world
    /// since recipe 7); false gives world v1.1's manifest.
    /// </summary>
    public bool AttributeLabelPairs { get; init; } = true;

    /// <summary>Compositions that never occur in the train split and are planted in val and test.</summary>
    public SynthHeldOut HeldOut { get; init; } = new();

    /// <summary>How many items each split has.</summary>
    public SynthSplits Splits { get; init; } = new();

    /// <summary>Frame width in pixels (even, 64..1024).</summary>
    public int Width { get; init; } = 128;

    /// <summary>Frame height in pixels (even, 64..1024).</summary>
    public int Height { get; init; } = 128;

    /// <summary>Frames per second of clips and long videos.</summary>
    public double Fps { get; init; } = 8;

    /// <summary>Length of a clip in seconds.</summary>
    public double ClipSeconds { get; init; } = 2;

    /// <summary>Shortest long video in seconds.</summary>
    public double LongMinSeconds { get; init; } = 12;

    /// <summary>Longest long video in seconds.</summary>
    public double LongMaxSeconds { get; init; } = 16;

    /// <summary>Fewest events in a long video.</summary>
    public int LongMinEvents { get; init; } = 3;

    /// <summary>Most events in a long video.</summary>
    public int LongMaxEvents { get; init; } = 4;

    /// <summary>Best h264 quality used (lowest CRF).</summary>
    public int CrfMin { get; init; } = 18;

    /// <summary>Worst h264 quality used (highest CRF).</summary>
    public int CrfMax { get; init; } = 32;

    /// <summary>Smallest per-pixel noise amplitude (fraction of full scale).</summary>
    public double NoiseMin { get; init; }

    /// <summary>Largest per-pixel noise amplitude (fraction of full scale).</summary>
    public double NoiseMax { get; init; } = 0.06;

    /// <summary>Probability that a clip or long video has a camera motion.</summary>
    public double CameraProbability { get; init; } = 0.25;

    /// <summary>Probability that a clip has an occluder passing in front of the subject.</summary>
    public double OcclusionProbability { get; init; } = 0.15;

    /// <summary>Probability that a clip or long video has a lighting change.</summary>
    public double LightingProbability { get; init; } = 0.2;

    /// <summary>Probability that an item has a text overlay.</summary>
    public double TextProbability { get; init; } = 0.3;

    /// <summary>Probability of objects beyond the subject (a second, then with half that chance a third).</summary>
    public double ExtraObjectProbability { get; init; } = 0.6;

    /// <summary>Probability that a non-subject object in a clip has its own (secondary) motion.</summary>
    public double SecondaryMotionProbability { get; init; } = 0.4;

    /// <summary>Items rendered at once (each runs one single-threaded ffmpeg).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Reads a config file; fields it leaves out keep their defaults.</summary>
    /// <exception cref="MediaNotFoundException">The file does not exist.</exception>
    /// <exception cref="MediaFormatException">The file is not valid JSON, has an unknown field, or a field is out of range (the message names it).</exception>
    public static SynthConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new MediaNotFoundException($"synth config '{path}' does not exist; pass an existing JSON file (see docs/synth.md) or leave --config out for the defaults.");
        SynthConfig? config;
        try
        {
            // Overlay the file on the default config's JSON: the source-generated reader sets every init-only
            // property, so a field missing from the file would otherwise become null instead of keeping its default.
            JsonNode? file = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            });
            if (file is not JsonObject overlay)
                throw new JsonException("the file must hold one JSON object");
            var merged = (JsonObject)JsonNode.Parse(Default.ToJson())!;
            Overlay(merged, overlay);
            config = merged.Deserialize(SynthJsonContext.Default.SynthConfig);
        }
        catch (JsonException e)
        {
            string field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at field '{e.Path.TrimStart('$', '.')}'";
            string what = e.Message.Split(". Path:")[0].Split(" Path:")[0].ReplaceLineEndings(" ");
            throw new MediaFormatException($"synth config '{path}' is not a valid config{field}: {what}. Fix the field or remove it to use its default.");
        }
        if (config is null)
            throw new MediaFormatException($"synth config '{path}' is JSON null; write an object such as {{\"seed\": 7}}.");
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new MediaFormatException($"synth config '{path}': {e.Message.Split(" (Parameter")[0]}");
        }
        return config;
    }

    private static void Overlay(JsonObject target, JsonObject source)
    {
        foreach ((string key, JsonNode? value) in source)
        {
            // Nested records merge field by field; colour tables and lists are replaced whole.
            if (value is JsonObject inner && target[key] is JsonObject existing && key is not ("colours" or "backgroundColours"))
                Overlay(existing, inner);
            else
                target[key] = value?.DeepClone();
        }
    }

    /// <summary>The config as indented JSON (what Load reads back to an equal config).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SynthJsonContext.Indented.SynthConfig);

    /// <summary>Checks every field; the message names the field and how to fix it.</summary>
    /// <exception cref="ArgumentException">A field is out of range or names something the renderer cannot draw.</exception>
    public void Validate()
    {
        Subset(Shapes, "shapes", KnownShapes);
        Subset(Sizes, "sizes", KnownSizes);
        Subset(Textures, "textures", KnownTextures);
        Subset(Backgrounds, "backgrounds", KnownBackgrounds);
        Subset(Motions, "motions", KnownMotions);
        Subset(CameraMotions, "cameraMotions", KnownCamera, allowEmpty: true);
        Subset(Lighting, "lighting", KnownLighting, allowEmpty: true);
        ColourTable(Colours, "colours", 2);
        ColourTable(BackgroundColours, "backgroundColours", 1);
        if (Words is null || Words.Count == 0 || Words.Any(w => string.IsNullOrWhiteSpace(w) || w.Length > 4))
            throw new ArgumentException("field 'words' must hold at least one word of 1-4 characters (longer words do not fit the frame at a legible size).");
        if (Width is < 64 or > 1024 || Width % 2 != 0 || Height is < 64 or > 1024 || Height % 2 != 0)
            throw new ArgumentException($"fields 'width'/'height' must be even numbers in 64..1024 (got {Width}x{Height}).");
        Range(Fps, 1, 60, "fps");
        Range(ClipSeconds, 0.5, 30, "clipSeconds");
        Range(LongMinSeconds, 3, 120, "longMinSeconds");
        Range(LongMaxSeconds, LongMinSeconds, 120, "longMaxSeconds");
        if (LongMinEvents < 1 || LongMaxEvents < LongMinEvents || LongMaxEvents > 8)
            throw new ArgumentException($"fields 'longMinEvents'/'longMaxEvents' must satisfy 1 <= min <= max <= 8 (got {LongMinEvents}/{LongMaxEvents}).");
        if (LongMinSeconds / LongMaxEvents < 1.2)
            throw new ArgumentException($"field 'longMinSeconds' ({LongMinSeconds}) is too short for {LongMaxEvents} events; allow at least 1.2 s per event.");
        if (CrfMin is < 0 or > 51 || CrfMax < CrfMin || CrfMax > 51)
            throw new ArgumentException($"fields 'crfMin'/'crfMax' must satisfy 0 <= min <= max <= 51 (got {CrfMin}/{CrfMax}).");
        Range(NoiseMin, 0, 1, "noiseMin");
        Range(NoiseMax, NoiseMin, 1, "noiseMax");
        Range(CameraProbability, 0, 1, "cameraProbability");
        Range(OcclusionProbability, 0, 1, "occlusionProbability");
        Range(LightingProbability, 0, 1, "lightingProbability");
        Range(TextProbability, 0, 1, "textProbability");
        Range(ExtraObjectProbability, 0, 1, "extraObjectProbability");
        Range(SecondaryMotionProbability, 0, 1, "secondaryMotionProbability");
        if (Workers is < 1 or > 64)
            throw new ArgumentException($"field 'workers' must be in 1..64 (got {Workers}).");
        if (HeldOut is null || Splits is null || Splits.Train is null || Splits.Val is null || Splits.Test is null)
            throw new ArgumentException("fields 'heldOut' and 'splits' (train, val, test) must be objects, not null.");
        Range(HeldOut.Fraction, 0, 1, "heldOut.fraction");
        foreach ((string name, SynthCounts c) in new[] { ("train", Splits.Train), ("val", Splits.Val), ("test", Splits.Test) })
            if (c.Images is < 0 or > 1_000_000 || c.Clips is < 0 or > 1_000_000 || c.Long is < 0 or > 1_000_000)
                throw new ArgumentException($"field 'splits.{name}' counts must be in 0..1000000 (got images {c.Images}, clips {c.Clips}, long {c.Long}).");
        foreach (string pair in HeldOut.AttributeObject ?? [])
        {
            string[] p = SplitPair(pair, "heldOut.attributeObject");
            if (!Colours.ContainsKey(p[0]) || !Shapes.Contains(p[1]))
                throw new ArgumentException($"field 'heldOut.attributeObject' entry '{pair}' must be \"<colour> <shape>\" from 'colours' and 'shapes'.");
        }
        foreach (string pair in HeldOut.ObjectMotion ?? [])
        {
            string[] p = SplitPair(pair, "heldOut.objectMotion");
            if (!Shapes.Contains(p[0]) || !Motions.Contains(p[1]))
                throw new ArgumentException($"field 'heldOut.objectMotion' entry '{pair}' must be \"<shape> <motion>\" from 'shapes' and 'motions'.");
        }
        if (Colours.Count * Shapes.Count - (HeldOut.AttributeObject?.Count ?? 0) < 4)
            throw new ArgumentException("field 'heldOut.attributeObject' leaves fewer than 4 colour+shape pairs for training; hold out fewer pairs.");
    }

    internal static readonly string[] KnownShapes = ["circle", "square", "triangle", "star", "hexagon", "cross", "diamond", "ring"];
    internal static readonly string[] KnownSizes = ["small", "medium", "large"];
    internal static readonly string[] KnownTextures = ["solid", "striped", "dotted", "checkered"];
    internal static readonly string[] KnownBackgrounds = ["plain", "gradient", "grid", "noise"];
    internal static readonly string[] KnownMotions =
        ["move-left", "move-right", "move-up", "move-down", "rotate", "grow", "shrink", "bounce", "appear", "disappear", "collide"];
    internal static readonly string[] KnownCamera = ["pan-left", "pan-right", "zoom-in", "zoom-out", "shake"];
    internal static readonly string[] KnownLighting = ["brighten", "darken"];

    private static string[] SplitPair(string pair, string field)
    {
        int space = pair?.LastIndexOf(' ') ?? -1;
        if (pair is null || space <= 0 || space == pair.Length - 1)
            throw new ArgumentException($"field '{field}' entry '{pair}' must be two words, e.g. \"red triangle\" or \"circle bounce\".");
        return [pair[..space], pair[(space + 1)..]];
    }

    private static void Subset(IReadOnlyList<string> values, string field, string[] known, bool allowEmpty = false)
    {
        if (values is null || (!allowEmpty && values.Count == 0))
            throw new ArgumentException($"field '{field}' must list at least one of: {string.Join(", ", known)}.");
        foreach (string v in values)
            if (!known.Contains(v))
                throw new ArgumentException($"field '{field}' has '{v}', which the renderer does not know; use only: {string.Join(", ", known)}.");
        if (values.Distinct().Count() != values.Count)
            throw new ArgumentException($"field '{field}' lists a value twice.");
    }

    private static void ColourTable(IReadOnlyDictionary<string, string> table, string field, int min)
    {
        if (table is null || table.Count < min)
            throw new ArgumentException($"field '{field}' must map at least {min} names to \"#RRGGBB\" colours.");
        foreach ((string name, string hex) in table)
            if (string.IsNullOrWhiteSpace(name) || !TryParseRgb(hex, out _))
                throw new ArgumentException($"field '{field}' entry '{name}' has colour '{hex}'; write it as \"#RRGGBB\".");
    }

    private static void Range(double value, double min, double max, string field)
    {
        if (double.IsNaN(value) || value < min || value > max)
            throw new ArgumentException($"field '{field}' must be in {min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)} (got {value.ToString(CultureInfo.InvariantCulture)}).");
    }

    /// <summary>Parses a colour already checked by <see cref="Validate"/>.</summary>
    internal static (byte R, byte G, byte B) ParseRgb(string hex) =>
        TryParseRgb(hex, out var rgb) ? rgb : throw new ArgumentException($"colour '{hex}' is not \"#RRGGBB\".");

    internal static bool TryParseRgb(string? hex, out (byte R, byte G, byte B) rgb)
    {
        rgb = default;
        if (hex is null || hex.Length != 7 || hex[0] != '#' ||
            !int.TryParse(hex.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v))
            return false;
        rgb = ((byte)(v >> 16), (byte)(v >> 8), (byte)v);
        return true;
    }
}

/// <summary>Held-out compositions: absent from train (for every object and event), planted in val and test.</summary>
public sealed record SynthHeldOut
{
    /// <summary>"colour shape" pairs, e.g. "red triangle".</summary>
    public IReadOnlyList<string> AttributeObject { get; init; } =
        ["red triangle", "blue star", "green hexagon", "yellow cross", "purple circle", "orange diamond"];

    /// <summary>"shape motion" pairs, e.g. "circle bounce".</summary>
    public IReadOnlyList<string> ObjectMotion { get; init; } =
        ["circle bounce", "square rotate", "triangle move-left", "star grow", "hexagon move-up", "diamond shrink"];

    /// <summary>Share of val/test items whose subject is built around a held-out pair (others may hold one by chance).</summary>
    public double Fraction { get; init; } = 0.3;
}

/// <summary>Item counts of the three splits.</summary>
public sealed record SynthSplits
{
    /// <summary>Training items.</summary>
    public SynthCounts Train { get; init; } = new() { Images = 6000, Clips = 3000, Long = 240 };

    /// <summary>Validation items (hyperparameters are chosen here).</summary>
    public SynthCounts Val { get; init; } = new() { Images = 200, Clips = 300, Long = 30 };

    /// <summary>Test items (reported once).</summary>
    public SynthCounts Test { get; init; } = new() { Images = 200, Clips = 300, Long = 30 };
}

/// <summary>Item counts of one split.</summary>
public sealed record SynthCounts
{
    /// <summary>Still images (PNG).</summary>
    public int Images { get; init; }

    /// <summary>Short clips with one main event.</summary>
    public int Clips { get; init; }

    /// <summary>Long videos with several events (moment retrieval).</summary>
    public int Long { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(SynthConfig))]
[JsonSerializable(typeof(SynthScene))]
internal sealed partial class SynthJsonContext : JsonSerializerContext
{
    private static SynthJsonContext? s_indented;

    /// <summary>The same options, indented (config.json).</summary>
    public static SynthJsonContext Indented => s_indented ??= new SynthJsonContext(new JsonSerializerOptions(Default.Options) { WriteIndented = true });
}
