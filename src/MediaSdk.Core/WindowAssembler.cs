namespace MediaSdk.Core;

/// <summary>
/// Cuts one stream's frames into clip windows (ARCHITECTURE.md "Defaults"): windows start at 0 and every hop; frame i of
/// window s is the frame nearest to s + (i + 0.5) * L / N by timestamp (a tie picks the earlier frame).
/// </summary>
/// <remarks>
/// Single-threaded. Owns every frame handed to <see cref="Add"/>; each emitted window owns one reference per slot.
/// A window is emitted when it is resolved: for live streams when a frame at or after its last sample point arrived;
/// for files when a frame at or after its end arrived (so a file's duration can still make it partial). At
/// <see cref="Complete"/> the rest follows the duration rule.
/// </remarks>
internal sealed class WindowAssembler : IDisposable
{
    private readonly StreamId _stream;
    private readonly double _length, _hop, _step;
    private readonly int _n;
    private readonly bool _live;
    private readonly Action<ClipWindow> _emit;
    private readonly List<PooledFrame> _frames = new(64);
    private readonly double[] _deltas = new double[16];
    private int _deltaCount;
    private long _next;            // index of the next window to emit
    private bool _resync = true;   // the next frame decides where windowing (re)starts
    private double _lastPts = double.NaN;

    public WindowAssembler(StreamId stream, WindowOptions options, bool live, Action<ClipWindow> emit)
    {
        _stream = stream;
        _length = options.Length.TotalSeconds;
        _hop = options.Hop.TotalSeconds;
        _n = options.FramesPerWindow;
        _step = _length / _n;
        _live = live;
        _emit = emit;
    }

    /// <summary>Frames currently held.</summary>
    public int Buffered => _frames.Count;

    private double Start(long k) => k * _hop;
    private double Sample(long k, int i) => Start(k) + (i + 0.5) * _step;

    /// <summary>Takes ownership of <paramref name="frame"/> and emits every window it resolves.</summary>
    public void Add(PooledFrame frame)
    {
        double pts = frame.Pts;
        if (!double.IsNaN(_lastPts) && pts <= _lastPts)
        {
            frame.Dispose(); // out of order or duplicate: the windows before it are already decided
            return;
        }
        if (!double.IsNaN(_lastPts)) _deltas[_deltaCount++ % _deltas.Length] = pts - _lastPts;
        _lastPts = pts;
        if (_resync)
        {
            _resync = false;
            // The first window whose first sample point is not before this frame (half a sample step of slack): a
            // source sampling on the grid delivers its first frame at start + step/2, which must open window 0.
            _next = Math.Max(_next, (long)Math.Ceiling((pts - 0.5 * _step) / _hop - 1e-9));
        }
        _frames.Add(frame);
        while (true)
        {
            double needed = _live ? Sample(_next, _n - 1) : Start(_next) + _length;
            if (pts < needed - 1e-9) break;
            EmitWindow(_next, partial: false);
            _next++;
        }
        Prune();
    }

    /// <summary>Abandons windows waiting for frames; windowing resumes at the first start at or after the next frame.</summary>
    public void Discontinuity()
    {
        foreach (PooledFrame f in _frames) f.Dispose();
        _frames.Clear();
        _resync = true;
        _lastPts = double.NaN;
        _deltaCount = 0;
    }

    /// <summary>Media ended: emits what the duration rule allows, then releases every frame.</summary>
    /// <param name="duration">The source's duration; null: last pts plus the median frame interval.</param>
    public void Complete(double? duration)
    {
        if (_frames.Count > 0)
        {
            double d = duration ?? _lastPts + MedianDelta();
            bool emittedAny = _next > 0;
            while (_frames.Count > 0)
            {
                double s = Start(_next);
                if (s + _length <= d + 1e-9) { EmitWindow(_next, partial: false); emittedAny = true; }
                else
                {
                    // The window after the last full one is partial if it covers at least L/2; media shorter than L
                    // yields one partial window whenever it has a frame.
                    if (d - s >= _length / 2 - 1e-9 || (!emittedAny && s < d)) EmitWindow(_next, partial: true);
                    break;
                }
                _next++;
            }
        }
        Dispose();
    }

    private double MedianDelta()
    {
        int n = Math.Min(_deltaCount, _deltas.Length);
        if (n == 0) return _step; // one frame: assume one sample interval
        Span<double> tmp = stackalloc double[16];
        _deltas.AsSpan(0, n).CopyTo(tmp);
        tmp[..n].Sort();
        return tmp[n / 2];
    }

    private void EmitWindow(long k, bool partial)
    {
        var picked = new PooledFrame[_n];
        int j = 0;
        for (int i = 0; i < _n; i++)
        {
            double t = Sample(k, i);
            while (j < _frames.Count && _frames[j].Pts < t) j++;
            int best;
            if (j == 0) best = 0;
            else if (j == _frames.Count) best = j - 1;
            else best = (t - _frames[j - 1].Pts) <= (_frames[j].Pts - t) ? j - 1 : j; // tie -> earlier
            picked[i] = _frames[best].AddRef();
        }
        _emit(new ClipWindow(_stream, k, Start(k), Start(k) + _length, partial, picked));
    }

    /// <summary>Drops frames no future window can pick: keep the last frame at or before the next first sample.</summary>
    private void Prune()
    {
        double t0 = Sample(_next, 0);
        int keepFrom = 0;
        for (int i = 0; i < _frames.Count; i++)
        {
            if (_frames[i].Pts <= t0) keepFrom = i; else break;
        }
        if (keepFrom == 0) return;
        for (int i = 0; i < keepFrom; i++) _frames[i].Dispose();
        _frames.RemoveRange(0, keepFrom);
    }

    public void Dispose()
    {
        foreach (PooledFrame f in _frames) f.Dispose();
        _frames.Clear();
    }
}
