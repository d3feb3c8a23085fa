namespace MediaSdk.Synth;

/// <summary>
/// The scene graph of one generated clip or image: everything the renderer drew, in words and numbers. Captions,
/// questions and answers, class labels and event times are derived from it (never from pixels). One JSON object per
/// line in scenes.jsonl.
/// </summary>
public sealed record SynthScene
{
    /// <summary>Unique id, e.g. "train-clip-000123".</summary>
    public required string Id { get; init; }

    /// <summary>"train", "val" or "test".</summary>
    public required string Split { get; init; }

    /// <summary>"image" (one PNG), "clip" (a short video with one main event) or "long" (several events, for moment retrieval).</summary>
    public required string Kind { get; init; }

    /// <summary>Media path relative to the synth output folder (clips/..mp4 or images/..png).</summary>
    public required string Media { get; init; }

    /// <summary>Seconds (0 for an image).</summary>
    public double Duration { get; init; }

    /// <summary>Frame size in pixels.</summary>
    public int Width { get; init; }

    /// <summary>Frame size in pixels.</summary>
    public int Height { get; init; }

    /// <summary>Frames per second (0 for an image).</summary>
    public double Fps { get; init; }

    /// <summary>h264 CRF the clip was encoded with (0 for an image).</summary>
    public int Crf { get; init; }

    /// <summary>Background style: "plain", "gradient", "grid" or "noise".</summary>
    public required string Background { get; init; }

    /// <summary>Background colour name (from the config's colour vocabulary).</summary>
    public required string BackgroundColour { get; init; }

    /// <summary>The objects; Objects[0] is the subject that captions, labels and most questions are about.</summary>
    public required IReadOnlyList<SynthObject> Objects { get; init; }

    /// <summary>Timed events (motions, appear/disappear, collisions) in start order.</summary>
    public required IReadOnlyList<SynthEvent> Events { get; init; }

    /// <summary>Large text overlays.</summary>
    public IReadOnlyList<SynthText> Texts { get; init; } = [];

    /// <summary>Camera motion: "none", "pan-left", "pan-right", "zoom-in", "zoom-out" or "shake".</summary>
    public string Camera { get; init; } = "none";

    /// <summary>Lighting: "constant", "brighten" or "darken" over the clip.</summary>
    public string Lighting { get; init; } = "constant";

    /// <summary>Per-pixel noise amplitude in [0, 1] added after rendering.</summary>
    public double Noise { get; init; }

    /// <summary>Id of the object that passes in front of the subject for part of the clip, or null.</summary>
    public int? Occluder { get; init; }
}

/// <summary>One drawn object and its appearance. Positions are fractions of the frame (0..1), at the clip's start.</summary>
public sealed record SynthObject
{
    /// <summary>Index in <see cref="SynthScene.Objects"/>.</summary>
    public required int Id { get; init; }

    /// <summary>Shape name from the config vocabulary (circle, square, triangle, star, ...).</summary>
    public required string Shape { get; init; }

    /// <summary>Colour name from the config vocabulary.</summary>
    public required string Colour { get; init; }

    /// <summary>"small", "medium" or "large".</summary>
    public required string Size { get; init; }

    /// <summary>"solid", "striped", "dotted" or "checkered".</summary>
    public required string Texture { get; init; }

    /// <summary>Centre x at t = 0, as a fraction of the width.</summary>
    public double X { get; init; }

    /// <summary>Centre y at t = 0, as a fraction of the height.</summary>
    public double Y { get; init; }
}

/// <summary>What an object does between two times.</summary>
/// <param name="Start">Seconds from the clip's start.</param>
/// <param name="End">Seconds from the clip's start (exclusive).</param>
/// <param name="Object">The acting object's id.</param>
/// <param name="Motion">A motion from the config vocabulary: "move-left", "move-right", "move-up", "move-down", "rotate",
/// "grow", "shrink", "bounce", "appear", "disappear", "collide" (with <paramref name="Other"/>).</param>
/// <param name="Other">The second object of a collision, else null.</param>
public sealed record SynthEvent(double Start, double End, int Object, string Motion, int? Other = null);

/// <summary>A text overlay shown between two times (large glyphs: at least 20 px tall at model resolution).</summary>
public sealed record SynthText(string Text, string Colour, double X, double Y, double Start, double End);
