namespace MediaSdk.Synth;

/// <summary>
/// What the task suite needs from the generator's config: the vocabularies (class lists and answer options come from
/// them, so every query of a kind has the same fixed options) and the held-out compositions (queries about them are
/// tagged "heldout"; none may reach the training manifest).
/// </summary>
public sealed record TaskVocabulary
{
    /// <summary>Shape names (image classification classes, shape answers).</summary>
    public required IReadOnlyList<string> Shapes { get; init; }

    /// <summary>Colour names (colour answers).</summary>
    public required IReadOnlyList<string> Colours { get; init; }

    /// <summary>Motion names as in <see cref="SynthEvent.Motion"/> (video classification classes).</summary>
    public required IReadOnlyList<string> Motions { get; init; }

    /// <summary>Texture names as in <see cref="SynthObject.Texture"/> (pattern answers). Default: solid, striped, dotted, checkered.</summary>
    public IReadOnlyList<string> Textures { get; init; } = ["solid", "striped", "dotted", "checkered"];

    /// <summary>Words the text overlays draw from (word answers); empty: the distinct overlay texts of all scenes.</summary>
    public IReadOnlyList<string> Words { get; init; } = [];

    /// <summary>Attribute-object pairs never seen in training: (colour, shape) of any object.</summary>
    public IReadOnlyList<(string Colour, string Shape)> HeldOutColourShapes { get; init; } = [];

    /// <summary>Object-motion pairs never seen in training: (shape of the acting object, motion) of any event.</summary>
    public IReadOnlyList<(string Shape, string Motion)> HeldOutShapeMotions { get; init; } = [];
}

/// <summary>Sizes of the generated suite.</summary>
public sealed record TaskSuiteOptions
{
    /// <summary>The defaults.</summary>
    public static TaskSuiteOptions Default { get; } = new();

    /// <summary>Candidates per retrieval query (positive included), at most; fewer when the split has fewer distinct
    /// media. Default 100 (MMEB-V2 style: 100-1000).</summary>
    public int RetrievalCandidates { get; init; } = 100;

    /// <summary>Caption paraphrases per clip used as training pairs (video -> caption and caption -> video). Default 2.</summary>
    public int TrainCaptionPairs { get; init; } = 2;

    /// <summary>Caption paraphrases per train image (image -> caption and caption -> image). Default 1: the train
    /// split has twice as many images as clips, and this keeps image and video pairs about even.</summary>
    public int TrainImageCaptionPairs { get; init; } = 1;

    /// <summary>Image-colour and image-pattern label pairs beside each image-label pair (<see cref="SynthConfig.AttributeLabelPairs"/>). Default false.</summary>
    public bool AttributeLabelPairs { get; init; }

    /// <summary>Questions per train image used as QA pairs, at most (a seeded choice among its questions). Default 1.</summary>
    public int TrainImageQuestions { get; init; } = 1;

    /// <summary>Explicit hard negatives (other answer options) per training QA pair. Default 3.</summary>
    public int TrainQaNegatives { get; init; } = 3;

    /// <summary>Explicit hard negatives (other spans of the same long video) per training moment pair. Default 1: each is
    /// a whole video window to encode, so a moment batch with 3 cost ten times a caption batch.</summary>
    public int TrainMomentNegatives { get; init; } = 1;
}
