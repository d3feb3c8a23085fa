namespace MediaSdk.Synth;

/// <summary>
/// The whole benchmark in one call: renders and encodes the scenes (<see cref="SynthGenerator"/>), then derives the
/// task suite from their scene graphs (<see cref="TaskSuiteBuilder"/>): OUT/train.jsonl and OUT/{val,test}/bench.json.
/// What <c>mediasdk synth</c> runs.
/// </summary>
public static class SynthSuite
{
    /// <summary>Generates media, scenes.jsonl, the training manifest and the val/test benches into <paramref name="outputDirectory"/>.</summary>
    /// <exception cref="ArgumentException">The config is invalid or the folder holds something else.</exception>
    public static async Task<SynthResult> GenerateAsync(SynthConfig config, string outputDirectory,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        SynthResult result = await SynthGenerator.GenerateAsync(config, outputDirectory, progress, ct).ConfigureAwait(false);
        TaskSuiteBuilder.Write(result.Scenes, Vocabulary(config), outputDirectory, config.Seed,
            TaskSuiteOptions.Default with { AttributeLabelPairs = config.AttributeLabelPairs });
        return result;
    }

    /// <summary>The words the task builder phrases captions, labels, questions and answers with.</summary>
    public static TaskVocabulary Vocabulary(SynthConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var colourShapes = new List<(string, string)>();
        foreach (string pair in config.HeldOut.AttributeObject)
        {
            int split = pair.LastIndexOf(' ');
            colourShapes.Add((pair[..split], pair[(split + 1)..]));
        }
        var shapeMotions = new List<(string, string)>();
        foreach (string pair in config.HeldOut.ObjectMotion)
        {
            int split = pair.IndexOf(' ', StringComparison.Ordinal);
            shapeMotions.Add((pair[..split], pair[(split + 1)..]));
        }
        return new TaskVocabulary
        {
            Shapes = config.Shapes,
            Colours = [.. config.Colours.Keys],
            Motions = config.Motions,
            Textures = config.Textures,
            Words = config.Words,
            HeldOutColourShapes = colourShapes,
            HeldOutShapeMotions = shapeMotions,
        };
    }
}
