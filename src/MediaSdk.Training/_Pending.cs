#pragma warning disable CS1591
// Temporary stand-ins for helper branches (wip/data, wip/lora, wip/report); deleted when they merge.
using MediaSdk.Model.Nn;

namespace MediaSdk.Training
{
    public sealed record TrainingStepRecord
    {
        public required int Step { get; init; }
        public required int TotalSteps { get; init; }
        public required double Loss { get; init; }
        public required double InfoNce { get; init; }
        public double? Ntp { get; init; }
        public required double LambdaEffective { get; init; }
        public required double Accuracy { get; init; }
        public required double LearningRate { get; init; }
        public required double GradNorm { get; init; }
        public required double StepMilliseconds { get; init; }
        public required double ElapsedSeconds { get; init; }
        public string? Task { get; init; }
        public double? EvalHit1 { get; init; }
    }

    internal sealed class TrainingLog(string path) : IDisposable
    {
        public void Write(TrainingStepRecord r) => File.AppendAllText(path, r.ToString() + "\n");
        public static IReadOnlyList<TrainingStepRecord> Read(string path) => [];
        public void Dispose() { }
    }

    internal static class TrainingCurves
    {
        public static void WritePng(IReadOnlyList<TrainingStepRecord> records, string path) { }
    }
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
