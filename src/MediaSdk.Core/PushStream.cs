using System.Diagnostics;
using MediaSdk.Contracts;

namespace MediaSdk;

/// <summary>A stream whose frames the host decodes itself and pushes; create it with <see cref="MediaSession.AddPushStream"/>.</summary>
/// <remarks>
/// Frames are preprocessed synchronously inside <see cref="PushAsync"/> (the <see cref="FrameView"/> is only valid
/// during the call) and then queued. One pusher at a time. Timestamps are relative to the first pushed frame.
/// </remarks>
public sealed class PushStream
{
    private readonly IFramePreprocessor _preprocessor;
    private readonly PreprocessOptions _preprocess;
    private readonly Source _source;
    private double _firstPts = double.NaN;
    private double _lastPts = double.NaN;

    internal PushStream(StreamId id, IFramePreprocessor preprocessor, PreprocessOptions preprocess, bool live)
    {
        Id = id;
        _preprocessor = preprocessor;
        _preprocess = preprocess;
        _source = new Source(id.Value, live);
    }

    /// <summary>The stream's id, stamped on its events.</summary>
    public StreamId Id { get; }

    internal IFrameSource FrameSource => _source;

    internal void Attach(IFrameSink sink) => _source.Sink = sink;

    /// <summary>Preprocesses <paramref name="frame"/> and queues it; waits when the queue is full.</summary>
    /// <param name="frame">The decoded frame; copied before this method returns.</param>
    /// <param name="pts">Presentation time; must increase from frame to frame.</param>
    /// <param name="ct">Cancels waiting for queue space.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pts"/> does not increase.</exception>
    /// <exception cref="InvalidOperationException">The stream was completed or the session is gone.</exception>
    public ValueTask PushAsync(in FrameView frame, TimeSpan pts, CancellationToken ct = default)
    {
        IFrameSink sink = (_source.Done.Task.IsCompleted ? null : _source.Sink) ?? throw new InvalidOperationException($"Push stream {Id} is not running (completed, failed, or its session was disposed); create a new push stream.");
        double seconds = pts.TotalSeconds;
        if (!double.IsNaN(_lastPts) && seconds <= _lastPts)
            throw new ArgumentOutOfRangeException(nameof(pts), pts, $"Push stream {Id}: pts {pts} does not increase (previous {TimeSpan.FromSeconds(_lastPts)}); push frames in presentation order.");
        if (double.IsNaN(_firstPts)) _firstPts = seconds;
        _lastPts = seconds;
        PooledFrame pooled = PooledFrame.Rent(_preprocess.Size, seconds - _firstPts, Stopwatch.GetTimestamp());
        try
        {
            _preprocessor.Preprocess(frame, _preprocess, pooled.Pixels);
        }
        catch
        {
            pooled.Dispose();
            throw;
        }
        return sink.WriteAsync(pooled, ct); // the sink owns the frame from here, also when it throws
    }

    /// <summary>Ends the stream: its last windows are emitted (duration = last pts + one frame interval).</summary>
    public void Complete() => _source.Done.TrySetResult(new SourceCompletion(null));

    private sealed class Source(string name, bool live) : IFrameSource
    {
        public TaskCompletionSource<SourceCompletion> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public volatile IFrameSink? Sink;
        public string DisplayName => name;
        public bool IsLive => live;

        public async Task<SourceCompletion> RunAsync(IFrameSink sink, CancellationToken ct)
        {
            try
            {
                return await Done.Task.WaitAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                Sink = null;
                Done.TrySetCanceled(CancellationToken.None);
            }
        }
    }
}
