namespace MediaSdk;

/// <summary>One clip window: <see cref="WindowOptions.FramesPerWindow"/> preprocessed frames covering [Start, End).</summary>
/// <remarks>The window owns one reference to each frame; disposing it releases them. Not thread-safe.</remarks>
public sealed class ClipWindow : IDisposable
{
    private PooledFrame[]? _frames;

    /// <summary>Creates a window that takes ownership of one reference to each of <paramref name="frames"/>.</summary>
    public ClipWindow(StreamId stream, long index, double start, double end, bool partial, PooledFrame[] frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        Stream = stream;
        Index = index;
        Start = start;
        End = end;
        Partial = partial;
        _frames = frames;
        long last = 0;
        foreach (PooledFrame f in frames) last = Math.Max(last, f.ReceivedTimestamp);
        LastFrameReceivedTimestamp = last;
    }

    /// <summary>The stream the window belongs to.</summary>
    public StreamId Stream { get; }
    /// <summary>0 for the window starting at media time 0, then one per hop.</summary>
    public long Index { get; }
    /// <summary>Window start in seconds of media time.</summary>
    public double Start { get; }
    /// <summary>Window end in seconds of media time (Start + window length, also for a partial window).</summary>
    public double End { get; }
    /// <summary>True when the media ended before <see cref="End"/>.</summary>
    public bool Partial { get; }
    /// <summary>Latest arrival time of the window's frames (<see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long LastFrameReceivedTimestamp { get; }
    /// <summary>The frames in time order.</summary>
    public ReadOnlySpan<PooledFrame> Frames => _frames ?? throw new ObjectDisposedException(nameof(ClipWindow));

    /// <summary>Releases the window's reference to each frame.</summary>
    public void Dispose()
    {
        PooledFrame[]? frames = Interlocked.Exchange(ref _frames, null);
        if (frames is null) return;
        foreach (PooledFrame f in frames) f.Dispose();
    }
}
