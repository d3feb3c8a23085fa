using MediaSdk.Model;

namespace MediaSdk.Training.Tests;

/// <summary>The small encoder shape the training tests share: d 64, 2 layers, 2 heads, 32 px frames, 2 frames, K 2.</summary>
internal static class SmallModels
{
    /// <summary>Full GPT-2 vocabulary (for tests that tokenize real text).</summary>
    public static readonly BtokConfig Gpt2Vocabulary = BtokConfig.Default with
    {
        DModel = 64,
        Layers = 2,
        Heads = 2,
        FfnDim = 128,
        PatchSize = 16,
        ImageSize = 32,
        MaxFrames = 2,
        BottleneckTokens = 2,
    };

    /// <summary>A 97-token vocabulary: the tied head stays cheap for tests that use random ids.</summary>
    public static readonly BtokConfig SmallVocabulary = Gpt2Vocabulary with { VocabSize = 97 };
}
