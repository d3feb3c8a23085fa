using System.Collections.Immutable;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MediaSdk.Contracts;
using MediaSdk.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaSdk;

/// <summary>
/// Runs streams (files, URLs, pushed frames) through windowing and one shared encoder and reports results as events.
/// </summary>
/// <remarks>
/// <para>Each stream: source -> bounded frame channel -> window assembler -> bounded window channel. One encoder loop on a
/// dedicated thread serves every stream's window channel round-robin (the encoder is synchronous and not thread-safe).
/// File streams apply back-pressure; live streams drop their oldest pending window and report it.</para>
/// <para>A stream's failure ends that stream only (an <see cref="ErrorEvent"/> then a <see cref="StateEvent"/> Failed).
/// <see cref="MediaSessionOptions.EncoderThreads"/> is applied by whoever creates the encoder, not here.</para>
/// <para>Metrics: Meter "MediaSdk" (see docs/pipeline.md). The encoder, factory and preprocessor stay owned by the caller.</para>
/// </remarks>
public sealed class MediaSession : IAsyncDisposable
{
    private readonly IClipEncoder _encoder;
    private readonly IWindowExplainer? _explainer;
    private readonly bool _ownsEncoder;
    private readonly IFrameSourceFactory? _factory;
    private readonly IFramePreprocessor _preprocessor;
    private readonly ILogger _logger;
    private readonly Channel<MediaEvent> _events;
    private readonly CancellationTokenSource _cts = new();
    private readonly Lock _gate = new();
    private readonly List<StreamRunner> _streams = [];
    private readonly Dictionary<StreamId, StreamRunner> _byId = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _work = new(0);
    private readonly Thread _encoderThread;
    private readonly float[] _embedding;
    private bool _completeAdding;
    private int _disposed;
    private int _readerTaken;

    /// <summary>Creates a session over <paramref name="encoder"/>.</summary>
    /// <param name="encoder">The shared encoder; used from one thread only.</param>
    /// <param name="sourceFactory">Creates sources for <see cref="AddSource(string, StreamOptions?)"/>; null if only sources and push streams are added.</param>
    /// <param name="preprocessor">Preprocesses pushed frames.</param>
    /// <param name="options">Resource caps; null: <see cref="MediaSessionOptions.Default"/>.</param>
    /// <param name="loggerFactory">Logging; null: none.</param>
    /// <param name="ownsEncoder">True: the session disposes <paramref name="encoder"/> when it is disposed.</param>
    /// <exception cref="ArgumentException"><see cref="MediaSessionOptions.ExplainWindows"/> is on but the encoder does not implement <see cref="IWindowExplainer"/>.</exception>
    public MediaSession(IClipEncoder encoder, IFrameSourceFactory? sourceFactory, IFramePreprocessor preprocessor,
        MediaSessionOptions? options = null, ILoggerFactory? loggerFactory = null, bool ownsEncoder = false)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(preprocessor);
        _encoder = encoder;
        _ownsEncoder = ownsEncoder;
        _factory = sourceFactory;
        _preprocessor = preprocessor;
        Options = options ?? MediaSessionOptions.Default;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.MaxQueuedFrames, "options.MaxQueuedFrames");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.MaxQueuedWindows, "options.MaxQueuedWindows");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.MaxQueuedEvents, "options.MaxQueuedEvents");
        if (Options.ExplainWindows)
        {
            // Checked once here, before any stream starts, rather than failing every window.
            _explainer = encoder as IWindowExplainer ?? throw new ArgumentException(
                $"MediaSessionOptions.ExplainWindows is on but encoder {encoder.GetType().Name} (model {encoder.Model}) cannot decode text from its windows (it does not implement IWindowExplainer); use a BTok encoder or turn ExplainWindows off.",
                nameof(options));
        }
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<MediaSession>();
        _events = Channel.CreateBounded<MediaEvent>(new BoundedChannelOptions(Options.MaxQueuedEvents)
        {
            FullMode = BoundedChannelFullMode.Wait, SingleReader = true,
        });
        _embedding = new float[encoder.Dimension];
        Metrics = new PipelineMetrics(() => Gauge(static s => s.QueuedFrames), () => Gauge(static s => s.Windows.Reader.Count));
        _encoderThread = new Thread(EncoderLoop) { IsBackground = true, Name = "MediaSdk encoder" };
        _encoderThread.Start();
    }

    /// <summary>The model that produces this session's embeddings (stamped on every window event).</summary>
    public ModelStamp Model => _encoder.Model;

    internal MediaSessionOptions Options { get; }
    internal PipelineMetrics Metrics { get; }

    /// <summary>Adds a file or URL through the source factory.</summary>
    /// <returns>The new stream's id (its unique name).</returns>
    /// <exception cref="InvalidOperationException">No factory was given, or <see cref="CompleteAdding"/> was called.</exception>
    /// <exception cref="MediaInputException">The factory rejected the input (propagated as is).</exception>
    public StreamId AddSource(string input, StreamOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        if (_factory is null)
            throw new InvalidOperationException("This session has no IFrameSourceFactory; pass one to the MediaSession constructor (e.g. the ffmpeg factory) or add an IFrameSource.");
        options ??= StreamOptions.Default;
        CheckWindow(options); // before a source (and its process) exists
        var request = new FrameRequest(_encoder.Preprocess,
            options.Window.SamplesOnGrid ? options.Window.SampleInterval : null,
            Options.FfmpegThreads ?? Math.Min(Environment.ProcessorCount, 2));
        IFrameSource source = _factory.Create(input, options.Source, request);
        return AddSource(source, options);
    }

    /// <summary>Adds a source the caller created.</summary>
    /// <returns>The new stream's id (its unique name).</returns>
    public StreamId AddSource(IFrameSource source, StreamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= StreamOptions.Default;
        return Add(source, options, options.Source.Live ?? source.IsLive, null).Id;
    }

    /// <summary>Adds a stream whose frames the host pushes.</summary>
    /// <param name="options">Stream options; the name defaults to "push".</param>
    /// <param name="live">True: drop windows when the encoder is behind instead of making <see cref="PushStream.PushAsync"/> wait longer.</param>
    public PushStream AddPushStream(StreamOptions? options = null, bool live = false)
    {
        options ??= StreamOptions.Default;
        PushStream? push = null;
        StreamRunner runner = Add(null, options, live, id =>
        {
            push = new PushStream(id, _preprocessor, _encoder.Preprocess, live);
            return push.FrameSource;
        });
        push!.Attach(runner);
        return push;
    }

    private void CheckWindow(StreamOptions options)
    {
        if (options.Window.FramesPerWindow > _encoder.MaxFramesPerWindow)
            throw new ArgumentOutOfRangeException(nameof(options), options.Window.FramesPerWindow,
                $"WindowOptions.FramesPerWindow is {options.Window.FramesPerWindow} but model {_encoder.Model} takes at most {_encoder.MaxFramesPerWindow} frames per window; lower it.");
    }

    private StreamRunner Add(IFrameSource? source, StreamOptions options, bool live, Func<StreamId, IFrameSource>? makeSource)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        CheckWindow(options);
        StreamRunner runner;
        lock (_gate)
        {
            if (_completeAdding) throw new InvalidOperationException("CompleteAdding() was called; no stream can be added to this session.");
            string baseName = options.Name ?? source?.DisplayName ?? "push";
            string name = baseName;
            for (int i = 2; !_names.Add(name); i++) name = string.Create(CultureInfo.InvariantCulture, $"{baseName}-{i}");
            var id = new StreamId(name);
            source ??= makeSource!(id);
            runner = new StreamRunner(this, id, source, options, live);
            _streams.Add(runner);
            _byId.Add(id, runner);
        }
        Log.StreamAdded(_logger, runner.Id, live);
        runner.Start(_cts.Token);
        return runner;
    }

    /// <summary>No more streams will be added: <see cref="ReadEventsAsync"/> ends once every stream has ended.</summary>
    public void CompleteAdding()
    {
        lock (_gate) _completeAdding = true;
        Signal();
    }

    /// <summary>The session's events in the order they happen (per stream: windows in order, then the final state).</summary>
    /// <remarks>One reader only. Ends after <see cref="CompleteAdding"/> once every stream has ended, or at disposal.</remarks>
    public async IAsyncEnumerable<MediaEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _readerTaken, 1) != 0)
            throw new InvalidOperationException("ReadEventsAsync supports a single reader; read the events once and fan them out.");
        ChannelReader<MediaEvent> reader = _events.Reader;
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (reader.TryRead(out MediaEvent? e)) yield return e;
        }
    }

    /// <summary>Counters of <paramref name="stream"/>.</summary>
    /// <exception cref="KeyNotFoundException">The stream is not part of this session.</exception>
    public StreamStats GetStats(StreamId stream)
    {
        lock (_gate)
        {
            return _byId.TryGetValue(stream, out StreamRunner? r)
                ? r.Stats
                : throw new KeyNotFoundException($"Stream '{stream}' is not part of this session; use the id AddSource returned.");
        }
    }

    /// <summary>Cancels every stream, waits for sources to stop (ffmpeg processes exit) and releases queued windows.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _cts.CancelAsync().ConfigureAwait(false);
        StreamRunner[] streams;
        lock (_gate) streams = [.. _streams];
        foreach (StreamRunner s in streams)
        {
            try { await s.Completion.ConfigureAwait(false); } catch (Exception) { /* failures were reported as events */ }
        }
        Signal();
        await Task.Run(() => _encoderThread.Join()).ConfigureAwait(false);
        foreach (StreamRunner s in streams) s.DrainQueues();
        _events.Writer.TryComplete();
        Metrics.Dispose();
        _cts.Dispose();
        if (_ownsEncoder) _encoder.Dispose();
    }

    internal void Signal() => _work.Release();

    internal void Publish(MediaEvent e)
    {
        if (_events.Writer.TryWrite(e)) return;
        try
        {
            // The reader is slow: wait (events are never dropped), unless the session is going away.
            _events.Writer.WriteAsync(e, _cts.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) { }
        catch (ChannelClosedException) { }
    }

    internal void LogDrops(StreamId id, long count) => Log.WindowsDropped(_logger, id, count);

    private IEnumerable<Measurement<int>> Gauge(Func<StreamRunner, int> value)
    {
        StreamRunner[] streams;
        lock (_gate) streams = [.. _streams];
        foreach (StreamRunner s in streams) yield return new Measurement<int>(value(s), new KeyValuePair<string, object?>("stream", s.Id.Value));
    }

    private void EncoderLoop()
    {
        var active = new List<StreamRunner>();
        int seen = 0, cursor = 0;
        CancellationToken ct = _cts.Token;
        while (!ct.IsCancellationRequested)
        {
            int first = active.Count;
            lock (_gate)
            {
                for (; seen < _streams.Count; seen++) active.Add(_streams[seen]);
                if (_completeAdding && active.Count == 0) break;
            }
            // Embed a new stream's labels now, while its source connects and its first window fills (about one
            // window length), so the first window's latency does not include them.
            for (int i = first; i < active.Count && !ct.IsCancellationRequested; i++) EnsureLabels(active[i]);
            bool served = false;
            // Round-robin: one window from each stream in turn, starting after the last one served.
            for (int i = 0; i < active.Count && !ct.IsCancellationRequested; i++)
            {
                int idx = (cursor + i) % active.Count;
                StreamRunner s = active[idx];
                if (s.Windows.Reader.TryRead(out QueuedWindow qw))
                {
                    Encode(s, qw);
                    cursor = idx + 1;
                    served = true;
                    break;
                }
                if (s.Windows.Reader.Completion.IsCompleted)
                {
                    Finish(s);
                    active.RemoveAt(idx);
                    served = true;
                    break;
                }
            }
            if (!served)
            {
                try { _work.Wait(ct); } catch (OperationCanceledException) { break; }
            }
        }
        if (!ct.IsCancellationRequested) _events.Writer.TryComplete();
    }

    private void Encode(StreamRunner s, QueuedWindow qw)
    {
        ClipWindow w = qw.Window;
        var tag = new KeyValuePair<string, object?>("stream", s.Id.Value);
        if (s.Failure is not null)
        {
            w.Dispose(); // the stream is being failed; its queued windows are dropped
            return;
        }
        try
        {
            long start = Stopwatch.GetTimestamp();
            Metrics.QueueWait.Record(Stopwatch.GetElapsedTime(qw.QueuedTimestamp, start).TotalMilliseconds, tag);
            string? explanation = null;
            if (_explainer is not null) explanation = _explainer.EncodeAndExplain(w.Frames, _embedding);
            else _encoder.EncodeFrames(w.Frames, _embedding);
            Metrics.Encode.Record(Stopwatch.GetElapsedTime(start).TotalMilliseconds, tag);
            ImmutableArray<TagScore> tags = Score(s);
            ReadOnlyMemory<float> embedding = Options.IncludeEmbeddings ? _embedding.ToArray() : ReadOnlyMemory<float>.Empty;
            double latency = Stopwatch.GetElapsedTime(w.LastFrameReceivedTimestamp).TotalMilliseconds;
            s.CountEncoded();
            Publish(new WindowEvent(s.Id, w.Index, w.Start, w.End, w.Partial, tags, latency, _encoder.Model, embedding) { Explanation = explanation });
            Metrics.EndToEnd.Record(latency, tag);
        }
        catch (Exception ex) when (IsEncoderUnusable(ex))
        {
            s.Fail(ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.EncoderFailed(_logger, s.Id, ex);
            Publish(new WarningEvent(s.Id, $"Stream {s.Id}: encoding window {w.Index} ({w.Start:F2}-{w.End:F2} s) failed: {ex.Message}"));
        }
        finally
        {
            w.Dispose();
        }
    }

    private ImmutableArray<TagScore> Score(StreamRunner s)
    {
        ImmutableArray<string> labels = s.Options.Labels;
        if (labels.IsDefaultOrEmpty) return [];
        int d = _encoder.Dimension;
        float[] table = EnsureLabels(s)!;
        if (table.Length == 0) return []; // embedding the labels failed; a warning said so
        var scores = new TagScore[labels.Length];
        ReadOnlySpan<float> e = _embedding;
        for (int i = 0; i < labels.Length; i++)
            scores[i] = new TagScore(labels[i], Cosine(e, table.AsSpan(i * d, d)));
        Array.Sort(scores, static (a, b) => b.Score.CompareTo(a.Score));
        return [.. scores.AsSpan(0, Math.Min(Math.Max(s.Options.TopTags, 0), scores.Length))];
    }

    /// <summary>Embeds the stream's labels once, on the encoder thread (the encoder is not thread-safe).</summary>
    private float[]? EnsureLabels(StreamRunner s)
    {
        ImmutableArray<string> labels = s.Options.Labels;
        if (labels.IsDefaultOrEmpty || s.LabelEmbeddings is not null) return s.LabelEmbeddings;
        int d = _encoder.Dimension;
        var table = new float[labels.Length * d];
        try
        {
            for (int i = 0; i < labels.Length; i++)
                _encoder.EncodeText(string.Format(CultureInfo.InvariantCulture, s.Options.LabelPrompt, labels[i]), table.AsSpan(i * d, d));
        }
        catch (Exception ex) when (IsEncoderUnusable(ex))
        {
            s.Fail(ex);
            table = [];
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.EncoderFailed(_logger, s.Id, ex);
            Publish(new WarningEvent(s.Id, $"Stream {s.Id}: embedding its labels failed ({ex.Message}); windows carry no tags."));
            table = [];
        }
        return s.LabelEmbeddings = table;
    }

    /// <summary>The model could not be loaded or its device is missing: no window of any stream can be encoded.</summary>
    private static bool IsEncoderUnusable(Exception ex) => ex is ModelLoadException or DeviceUnavailableException;

    private static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : (float)(dot / Math.Sqrt(na * nb));
    }

    private void Finish(StreamRunner s)
    {
        StreamStats stats = s.Stats;
        if (s.Failure is { } ex)
        {
            MediaSdkException error = ex as MediaSdkException
                ?? new MediaSdkException($"Stream {s.Id} failed: {ex.Message} ({ex.GetType().Name}); see the inner exception.", ex);
            // Expected failures (bad input, unreachable URL) are reported without a stack trace; the event carries the
            // exception for hosts that want it. Anything else is a bug and keeps its trace in the log.
            Log.StreamFailed(_logger, s.Id, error.Message, ex is MediaSdkException ? null : ex);
            Publish(new ErrorEvent(s.Id, error));
            Publish(new StateEvent(s.Id, StreamState.Failed, error.Message));
        }
        else
        {
            Log.StreamEnded(_logger, s.Id, stats.WindowsEncoded, stats.WindowsDropped);
            Publish(new StateEvent(s.Id, StreamState.Ended));
        }
    }
}
