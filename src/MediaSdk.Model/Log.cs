using Microsoft.Extensions.Logging;

namespace MediaSdk.Model;

/// <summary>Log messages of MediaSdk.Model. Event ids 3000-3099.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information,
        Message = "BTok encoder {ModelId}@{Version} ready: device {Device}, dtype {DType}, {Threads} threads")]
    public static partial void EncoderReady(ILogger logger, string modelId, string version, string device, string dtype, int threads);
}
