#pragma warning disable CS1591
// Temporary stand-ins for helper branches (wip/data, wip/lora, wip/report); deleted when they merge.
using MediaSdk.Model.Nn;

namespace MediaSdk.Training
{
}

namespace MediaSdk.Training.Data
{
    internal sealed record TrainingDataOptions(int ImageSize, int FramesPerWindow, int MaxTextTokens, string? CacheDirectory);
    internal static class TrainingData
    {
        public static Task<IReadOnlyList<TrainingExample>> LoadAsync(string manifestPath, TrainingDataOptions options, IProgress<(int Done, int Total)>? progress = null, CancellationToken ct = default)
            => throw new NotImplementedException();
    }
}
