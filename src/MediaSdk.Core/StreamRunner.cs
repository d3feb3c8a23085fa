using System.Diagnostics;
using System.Threading.Channels;
using MediaSdk.Contracts;

namespace MediaSdk.Core;

/// <summary>One stream: source -> frame channel -> window assembler -> window channel (read by the encoder loop).</summary>
internal sealed class StreamRunner : IFrameSink
{
    private readonly MediaSession _session;
    private readonly IFrameSource _source;
    private readonly Channel<FrameItem> _frames;
    private readonly KeyValuePair<string, object?> _tag;
    private long _framesReceived, _windowsEncoded, _windowsDropped, _dropsReported;
    private long _lastDropWarning;
    private CancellationTokenSource? _cts;

    public StreamRunner(MediaSession session, StreamId id, IFrameSource source, StreamOptions options, bool live)
    {
        _session = session;
        Id = id;
        _source = source;
        Options = options;
        Live = live;
        _tag = new("stream", id.Value);
        MediaSessionOptions so = session.Options;
        _frames = Channel.CreateBounded<FrameItem>(new BoundedChannelOptions(so.MaxQueuedFrames)
        {
            FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = false,
        });
        // File streams wait for the encoder; live streams drop their oldest pending window (never a frame inside one).
        Windows = Channel.CreateBounded<QueuedWindow>(
            new BoundedChannelOptions(so.MaxQueuedWindows)
            {
                FullMode = live ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
                SingleReader = true, SingleWriter = true,
            },
            live ? OnWindowDropped : null);
    }

    public StreamId Id { get; }
    public StreamOptions Options { get; }
    public bool Live { get; }
    public Channel<QueuedWindow> Windows { get; }
    public int QueuedFrames => _frames.Reader.Count;
    public Exception? Failure => Volatile.Read(ref _failure);
    private Exception? _failure;
    public float[]? LabelEmbeddings { get; set; }
    public Task Completion { get; private set; } = Task.CompletedTask;
    public StreamStats Stats => new(Interlocked.Read(ref _framesReceived), Interlocked.Read(ref _windowsEncoded), Interlocked.Read(ref _windowsDropped));

    public void CountEncoded() => Interlocked.Increment(ref _windowsEncoded);

    /// <summary>Ends this stream with <paramref name="error"/>: its source is cancelled and the error reported when it has stopped.</summary>
    public void Fail(Exception error)
    {
        if (Interlocked.CompareExchange(ref _failure, error, null) is not null) return;
        try { _cts?.Cancel(); }
        catch (ObjectDisposedException) { /* already finished */ }
    }

    public void Start(CancellationToken sessionToken)
    {
        // A stream can be failed from outside (the encoder cannot run) without touching the others.
        _cts = CancellationTokenSource.CreateLinkedTokenSource(sessionToken);
        CancellationToken ct = _cts.Token;
        Task<SourceCompletion?> source = RunSourceAsync(ct);
        Task assembler = Task.Run(() => AssembleAsync(source, ct), CancellationToken.None);
        Completion = assembler;
    }

    private async Task<SourceCompletion?> RunSourceAsync(CancellationToken ct)
    {
        try
        {
            await Task.Yield();
            SourceCompletion completion = await _source.RunAsync(this, ct).ConfigureAwait(false);
            _frames.Writer.TryComplete();
            return completion;
        }
        catch (Exception ex)
        {
            _frames.Writer.TryComplete(ex);
            throw;
        }
    }

    private async Task AssembleAsync(Task<SourceCompletion?> source, CancellationToken ct)
    {
        var pending = new List<ClipWindow>(4);
        using var assembler = new WindowAssembler(Id, Options.Window, Live, pending.Add);
        try
        {
            ChannelReader<FrameItem> reader = _frames.Reader;
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out FrameItem item))
                {
                    if (item.Frame is null) { assembler.Discontinuity(); continue; }
                    assembler.Add(item.Frame);
                    await FlushAsync(pending, ct).ConfigureAwait(false);
                }
            }
            SourceCompletion? completion = await source.ConfigureAwait(false);
            assembler.Complete(completion?.Duration);
            await FlushAsync(pending, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Session disposal: no failure event.
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _failure, ex, null);
        }
        finally
        {
            foreach (ClipWindow w in pending) w.Dispose();
            while (_frames.Reader.TryRead(out FrameItem item)) item.Frame?.Dispose();
            try { await source.ConfigureAwait(false); } catch (Exception) { /* already recorded through the frame channel */ }
            Windows.Writer.TryComplete();
            _session.Signal();
        }
    }

    private async ValueTask FlushAsync(List<ClipWindow> pending, CancellationToken ct)
    {
        for (int i = 0; i < pending.Count; i++)
        {
            ClipWindow w = pending[i];
            pending[i] = null!;
            _session.Metrics.Assemble.Record(Stopwatch.GetElapsedTime(w.LastFrameReceivedTimestamp).TotalMilliseconds, _tag);
            var queued = new QueuedWindow(w, Stopwatch.GetTimestamp());
            try
            {
                await Windows.Writer.WriteAsync(queued, ct).ConfigureAwait(false);
            }
            catch
            {
                w.Dispose();
                for (int j = i + 1; j < pending.Count; j++) pending[j].Dispose();
                pending.Clear();
                throw;
            }
            _session.Signal();
        }
        pending.Clear();
    }

    private void OnWindowDropped(QueuedWindow dropped)
    {
        dropped.Window.Dispose();
        long total = Interlocked.Increment(ref _windowsDropped);
        _session.Metrics.Dropped.Add(1, _tag);
        long now = Stopwatch.GetTimestamp();
        long last = Interlocked.Read(ref _lastDropWarning);
        // At most one warning per second, summarising the drops since the previous one.
        if (last == 0 || Stopwatch.GetElapsedTime(last, now) >= TimeSpan.FromSeconds(1))
        {
            Interlocked.Exchange(ref _lastDropWarning, now);
            long since = total - Interlocked.Exchange(ref _dropsReported, total);
            _session.Publish(new WarningEvent(Id, $"Stream {Id}: dropped {since} clip window(s) because the encoder is behind ({total} in total); reduce streams, window rate or model size."));
            _session.LogDrops(Id, since);
        }
    }

    ValueTask IFrameSink.WriteAsync(PooledFrame frame, CancellationToken ct)
    {
        Interlocked.Increment(ref _framesReceived);
        _session.Metrics.Frames.Add(1, _tag);
        if (_frames.Writer.TryWrite(new FrameItem(frame))) return ValueTask.CompletedTask;
        return WriteSlowAsync(frame, ct);
    }

    private async ValueTask WriteSlowAsync(PooledFrame frame, CancellationToken ct)
    {
        try { await _frames.Writer.WriteAsync(new FrameItem(frame), ct).ConfigureAwait(false); }
        catch { frame.Dispose(); throw; }
    }

    void IFrameSink.OnStateChanged(StreamState state, string? detail) => _session.Publish(new StateEvent(Id, state, detail));

    void IFrameSink.OnWarning(string message) => _session.Publish(new WarningEvent(Id, message));

    void IFrameSink.OnDiscontinuity()
    {
        // A marker in the frame channel keeps its order relative to frames; reconnects are rare, so blocking is fine.
        if (!_frames.Writer.TryWrite(new FrameItem(null)))
            _frames.Writer.WriteAsync(new FrameItem(null)).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Releases whatever is still queued (after the encoder loop stopped).</summary>
    public void DrainQueues()
    {
        while (Windows.Reader.TryRead(out QueuedWindow w)) w.Window.Dispose();
        while (_frames.Reader.TryRead(out FrameItem item)) item.Frame?.Dispose();
    }

    internal readonly record struct FrameItem(PooledFrame? Frame);
}

/// <summary>A window and when it entered the window channel.</summary>
internal readonly record struct QueuedWindow(ClipWindow Window, long QueuedTimestamp);
