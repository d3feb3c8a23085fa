using System.Diagnostics;
using MediaSdk.Contracts;
using Microsoft.Extensions.Logging;

namespace MediaSdk.Media.Internal;

/// <summary>
/// A live URL: connects with capped exponential backoff, reads frames as they arrive, and reconnects after a disconnect
/// or a stall. Media time is the sample grid of the first connection; after a reconnect it continues from the wall-clock
/// time elapsed since the first frame, aligned to the grid (docs/media.md).
/// </summary>
internal sealed class LiveFrameSource : IFrameSource
{
    private static readonly TimeSpan s_firstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_reconnectBackoffCap = TimeSpan.FromSeconds(10);
    private readonly MediaInput _input;
    private readonly SourceOptions _options;
    private readonly FrameRequest _request;
    private readonly string _ffmpegPath;
    private readonly ILogger _logger;

    public LiveFrameSource(MediaInput input, SourceOptions options, FrameRequest request, string ffmpegPath, ILogger logger)
    {
        _input = input;
        _options = options;
        _request = request;
        _ffmpegPath = ffmpegPath;
        _logger = logger;
    }

    public string DisplayName => _input.DisplayName;

    public bool IsLive => true;

    /// <summary>Pid of the running ffmpeg (0 when none); for tests.</summary>
    internal int CurrentProcessId { get; private set; }

    public async Task<SourceCompletion> RunAsync(IFrameSink sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        double? interval = _request.SampleInterval;
        // Live input is not probed (that would cost a connection): the colour matrix follows the frame's own metadata.
        string filter = FfmpegCommand.Filter(_request.Preprocess, interval, shift: 0, padEnd: false, "auto", range: null);
        List<string> args = FfmpegCommand.Build(_input, _options, _request, filter, seek: null, length: null, maxFrames: null, live: true);
        int size = _request.Preprocess.Size;
        byte[] buffer = new byte[3 * size * size];
        double? maxMedia = _options.Duration?.TotalSeconds;

        sink.OnStateChanged(StreamState.Connecting, _input.Original);
        var clock = Stopwatch.StartNew();
        TimeSpan connectDeadline = _options.ConnectTimeout;
        TimeSpan backoff = s_firstBackoff;
        bool everLive = false;
        long firstFrameTimestamp = 0;
        long nextIndex = 0;          // global sample index of the next frame (sampled mode)
        TimeSpan? reconnectStarted = null;
        string lastReason = "no frame arrived";
        string lastFfmpegError = ""; // an attempt cut short by the deadline may say nothing; keep the last useful words

        while (true)
        {
            ct.ThrowIfCancellationRequested();
            // How long this attempt may wait for its first frame.
            TimeSpan firstFrameWait = everLive
                ? Min(_options.StallTimeout, Remaining(_options.ReconnectFor, reconnectStarted, clock))
                : connectDeadline - clock.Elapsed;
            if (firstFrameWait <= TimeSpan.Zero) throw Unreachable(everLive, lastReason, clock);

            long frames = 0;
            long segmentBase = nextIndex;
            FfmpegProcess process = FfmpegProcess.Start(_ffmpegPath, args, _logger, DisplayName);
            CurrentProcessId = process.Id;
            bool stalled;
            try
            {
                using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(ct);
                // Cancellation, a stall or the connect deadline all end ffmpeg; the read then sees end of stream.
                using CancellationTokenRegistration kill = watchdog.Token.Register(static p => ((FfmpegProcess)p!).Kill(), process);
                watchdog.CancelAfter(firstFrameWait);
                Stream output = process.Output;
                while (true)
                {
                    int read = await output.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, CancellationToken.None).ConfigureAwait(false);
                    if (read < buffer.Length) break;
                    long now = Stopwatch.GetTimestamp();
                    watchdog.CancelAfter(_options.StallTimeout);
                    if (frames == 0)
                    {
                        if (!everLive)
                        {
                            firstFrameTimestamp = now;
                            everLive = true;
                        }
                        else
                        {
                            // Continue media time from the wall clock so windows keep moving forward, on the sample grid.
                            double elapsed = Stopwatch.GetElapsedTime(firstFrameTimestamp, now).TotalSeconds;
                            if (interval is double iv) segmentBase = Math.Max(nextIndex, (long)Math.Ceiling(elapsed / iv - 1e-9));
                            sink.OnDiscontinuity();
                        }
                        reconnectStarted = null;
                        backoff = s_firstBackoff;
                        Log.Live(_logger, DisplayName);
                        sink.OnStateChanged(StreamState.Live, _input.Original);
                    }
                    double pts = interval is double t
                        ? (segmentBase + frames + 0.5) * t
                        : Stopwatch.GetElapsedTime(firstFrameTimestamp, now).TotalSeconds;
                    if (maxMedia is double max && pts >= max)
                        return new SourceCompletion(max);
                    var frame = PooledFrame.Rent(size, pts, now);
                    FrameConverter.ToChw(buffer, frame.Pixels);
                    frames++;
                    if (interval is not null) nextIndex = segmentBase + frames;
                    await sink.WriteAsync(frame, ct).ConfigureAwait(false);
                }
                stalled = watchdog.IsCancellationRequested && !ct.IsCancellationRequested;
                int exitCode = await process.WaitForExitAsync().ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                Log.FfmpegExited(_logger, DisplayName, exitCode, frames);
            }
            finally
            {
                CurrentProcessId = 0;
                await process.DisposeAsync().ConfigureAwait(false);
            }

            string error = process.LastError;
            if (error.Length > 0) lastFfmpegError = error;
            string ffmpegSaid = lastFfmpegError.Length > 0 ? $"ffmpeg: {Short(lastFfmpegError)}" : "";
            lastReason = stalled
                ? (frames == 0 ? $"no frame within {firstFrameWait.TotalSeconds:0.#} s" : $"no data for {_options.StallTimeout.TotalSeconds:0.#} s") +
                  (ffmpegSaid.Length > 0 ? "; " + ffmpegSaid : "")
                : (ffmpegSaid.Length > 0 ? ffmpegSaid : "the stream ended");
            if (frames > 0)
            {
                // Was live, lost it: report once per outage, then retry with a fresh backoff.
                reconnectStarted = clock.Elapsed;
                lastFfmpegError = "";
                Log.Reconnecting(_logger, DisplayName, lastReason);
                sink.OnStateChanged(StreamState.Reconnecting, lastReason);
            }
            else if (!everLive && clock.Elapsed >= connectDeadline)
            {
                throw Unreachable(everLive, lastReason, clock);
            }
            else if (everLive && Remaining(_options.ReconnectFor, reconnectStarted, clock) <= TimeSpan.Zero)
            {
                throw Unreachable(everLive, lastReason, clock);
            }

            TimeSpan cap = everLive ? Min(_options.MaxBackoff, s_reconnectBackoffCap) : _options.MaxBackoff;
            TimeSpan delay = Min(backoff, cap);
            if (!everLive) delay = Min(delay, connectDeadline - clock.Elapsed);
            if (delay > TimeSpan.Zero)
            {
                Log.AttemptFailed(_logger, DisplayName, lastReason, delay.TotalMilliseconds);
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
            backoff = Min(backoff * 2, cap);
        }
    }

    private MediaUnreachableException Unreachable(bool everLive, string reason, Stopwatch clock) => everLive
        ? new MediaUnreachableException(
            $"Live stream '{_input.Original}' stayed unreachable for {_options.ReconnectFor?.TotalSeconds:0.#} s after it disconnected ({reason}); check that the sender is running, or raise ReconnectFor.")
        : new MediaUnreachableException(
            $"Could not connect to '{_input.Original}' within {clock.Elapsed.TotalSeconds:0.#} s ({reason}); check that the sender is running and the address and port are right, or raise ConnectTimeout.");

    private static TimeSpan Remaining(TimeSpan? limit, TimeSpan? started, Stopwatch clock) =>
        limit is not TimeSpan l || started is not TimeSpan s ? TimeSpan.MaxValue : l - (clock.Elapsed - s);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Short(string s) => s.Length <= 200 ? s : s[..197] + "...";
}
