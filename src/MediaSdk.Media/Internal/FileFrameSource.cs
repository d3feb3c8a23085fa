using System.Diagnostics;
using MediaSdk.Contracts;
using Microsoft.Extensions.Logging;

namespace MediaSdk.Media.Internal;

/// <summary>A file (or a non-live URL) read once from start to end, with back-pressure from the sink.</summary>
internal sealed class FileFrameSource : IFrameSource
{
    private readonly MediaInput _input;
    private readonly SourceOptions _options;
    private readonly FrameRequest _request;
    private readonly FfmpegOptions _ffmpeg;
    private readonly string _ffmpegPath;
    private readonly ILogger _logger;

    public FileFrameSource(MediaInput input, SourceOptions options, FrameRequest request, FfmpegOptions ffmpeg, string ffmpegPath, bool isLive, ILogger logger)
    {
        _input = input;
        _options = options;
        _request = request;
        _ffmpeg = ffmpeg;
        _ffmpegPath = ffmpegPath;
        IsLive = isLive;
        _logger = logger;
    }

    public string DisplayName => _input.DisplayName;

    public bool IsLive { get; }

    /// <summary>Pid of the running ffmpeg (0 when none); for tests.</summary>
    internal int CurrentProcessId { get; private set; }

    public async Task<SourceCompletion> RunAsync(IFrameSink sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        MediaInfo info = await MediaProbe.ProbeAsync(_input, _ffmpeg, ct).ConfigureAwait(false);

        double start = Math.Max(0, _options.Start?.TotalSeconds ?? 0);
        double? limit = null;
        if (_options.End is TimeSpan end) limit = Math.Max(0, end.TotalSeconds - start);
        if (_options.Duration is TimeSpan dur) limit = limit is null ? dur.TotalSeconds : Math.Min(limit.Value, dur.TotalSeconds);
        // Expected media length after the seek point, when the container says how long the video is.
        double? expected = info.Duration > 0 ? Math.Max(0, info.Duration - start) : null;
        if (limit is double l) expected = expected is null ? l : Math.Min(expected.Value, l);
        if (expected is <= 0)
        {
            sink.OnWarning($"'{DisplayName}': nothing to decode: start {start:0.###} s is at or past the end of the video ({info.Duration:0.###} s).");
            return new SourceCompletion(start);
        }

        bool sampled = _request.SampleInterval is not null;
        double frameInterval = info.Fps > 0 ? 1.0 / info.Fps : 1.0 / 25;
        // Sampled: the frame nearest each sample time. Every frame: CFR at the average rate, slot k = frame k.
        double interval = _request.SampleInterval ?? frameInterval;
        double shift = sampled ? frameInterval / 2 : 0;
        double offset = sampled ? interval / 2 : 0;
        // Samples the media covers: every k with sample time < expected (ceil(D/T - 0.5) sampled, ceil(D/T) otherwise).
        long? cap = expected is double e ? (long)Math.Ceiling(e / interval - (sampled ? 0.5 : 0) - 1e-9) : null;

        int codedHeight = Math.Abs(info.Rotation) % 180 == 90 ? info.Width : info.Height;
        string filter = FfmpegCommand.Filter(_request.Preprocess, interval, shift, padEnd: true,
            FfmpegCommand.Matrix(info.ColorMatrix, codedHeight), FfmpegCommand.Range(info.ColorRange));
        List<string> args = FfmpegCommand.Build(_input, _options, _request, filter, start, limit, cap, live: false);

        int size = _request.Preprocess.Size;
        byte[] buffer = new byte[3 * size * size];
        long frames = 0;
        FfmpegProcess process = FfmpegProcess.Start(_ffmpegPath, args, _logger, DisplayName);
        CurrentProcessId = process.Id;
        int exitCode;
        try
        {
            using (ct.Register(static p => ((FfmpegProcess)p!).Kill(), process))
            {
                Stream output = process.Output;
                while (true)
                {
                    int read = await output.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, CancellationToken.None).ConfigureAwait(false);
                    if (read < buffer.Length) break;
                    if (cap is long c && frames >= c) continue; // drain what the end padding produced beyond the cap
                    var frame = PooledFrame.Rent(size, start + offset + frames * interval, Stopwatch.GetTimestamp());
                    FrameConverter.ToChw(buffer, frame.Pixels);
                    frames++;
                    await sink.WriteAsync(frame, ct).ConfigureAwait(false);
                }
            }
            exitCode = await process.WaitForExitAsync().ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
        finally
        {
            CurrentProcessId = 0;
            await process.DisposeAsync().ConfigureAwait(false);
        }
        Log.FfmpegExited(_logger, DisplayName, exitCode, frames);

        string error = process.LastError;
        if (frames == 0)
            throw new MediaFormatException(
                $"No video frame could be decoded from '{_input.FfmpegInput}' (ffmpeg exit code {exitCode}: {Short(error)}); check that the file is a complete, supported video.");

        double decoded = frames * interval;
        if (expected is double exp && cap is long want && frames < want && exp - decoded > Math.Max(1.5 * interval, 0.5))
        {
            string msg = $"'{DisplayName}' looks truncated or damaged: decoded {decoded:0.###} s of {exp:0.###} s" +
                (error.Length > 0 ? $" (ffmpeg: {Short(error)})" : "") + "; the rest of the file is skipped.";
            Log.SourceWarning(_logger, DisplayName, msg);
            sink.OnWarning(msg);
            return new SourceCompletion(start + decoded);
        }
        if (exitCode != 0 && error.Length > 0)
            sink.OnWarning($"'{DisplayName}': ffmpeg reported errors while decoding: {Short(error)}");
        return new SourceCompletion(start + (expected ?? decoded));
    }

    private static string Short(string s) => s.Length <= 200 ? s : s[..197] + "...";
}
