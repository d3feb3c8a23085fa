using Microsoft.Extensions.Logging;

namespace MediaSdk.Training;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} training pairs from {Manifest}")]
    public static partial void DataLoaded(ILogger logger, int count, string manifest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training {Parameters} parameters on {Device} from step {Start} to {Steps}")]
    public static partial void TrainingStarts(ILogger logger, long parameters, string device, int start, int steps);

    [LoggerMessage(Level = LogLevel.Information, Message = "Vision warm-up: {Steps} steps on {Count} label pairs, {Classes} labels")]
    public static partial void StemWarmupStarts(ILogger logger, int steps, int count, int classes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Vision warm-up step {Step}/{Steps}: loss {Loss:F3}, accuracy {Accuracy:F3}{PerTask}")]
    public static partial void StemWarmupProgress(ILogger logger, int step, int steps, double loss, double accuracy, string perTask);

    [LoggerMessage(Level = LogLevel.Information, Message = "Exported the model to {Directory}")]
    public static partial void ModelExported(ILogger logger, string directory);
}
