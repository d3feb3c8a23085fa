using System.Collections.Concurrent;
using MediaSdk.Contracts;

namespace MediaSdk.Media.Tests;

/// <summary>A real IFrameSink for tests: records each frame's pts (and optionally its pixels), states, warnings and
/// discontinuities in order, and disposes frames as the pipeline would.</summary>
internal sealed class RecordingSink : IFrameSink
{
    private readonly bool _keepPixels;
    private readonly object _gate = new();
    public RecordingSink(bool keepPixels = false) => _keepPixels = keepPixels;

    private readonly List<double> _pts = [];
    private readonly List<StreamState> _states = [];

    /// <summary>Snapshot of the pts so far.</summary>
    public List<double> Pts
    {
        get
        {
            lock (_gate) return [.. _pts];
        }
    }

    /// <summary>Snapshot of the states so far.</summary>
    public List<StreamState> States
    {
        get
        {
            lock (_gate) return [.. _states];
        }
    }
    public List<long> Received { get; } = [];
    public List<float[]> Pixels { get; } = [];
    public ConcurrentQueue<string> Log { get; } = new();
    public List<string> Warnings { get; } = [];
    public int Discontinuities { get; private set; }
    public int FrameSize { get; private set; }

    /// <summary>Called after each frame is recorded (inside WriteAsync), with the frame count so far.</summary>
    public Func<int, ValueTask>? OnFrame { get; init; }

    public int Count
    {
        get
        {
            lock (_gate) return _pts.Count;
        }
    }

    public double LastPts
    {
        get
        {
            lock (_gate) return _pts.Count == 0 ? double.NaN : _pts[^1];
        }
    }

    public async ValueTask WriteAsync(PooledFrame frame, CancellationToken ct)
    {
        int count;
        using (frame)
        {
            lock (_gate)
            {
                _pts.Add(frame.Pts);
                Received.Add(frame.ReceivedTimestamp);
                FrameSize = frame.Size;
                if (_keepPixels) Pixels.Add(frame.Pixels.ToArray());
                count = _pts.Count;
            }
            Log.Enqueue($"frame {frame.Pts:0.###}");
        }
        if (OnFrame is not null) await OnFrame(count);
    }

    public void OnStateChanged(StreamState state, string? detail = null)
    {
        lock (_gate) _states.Add(state);
        Log.Enqueue($"state {state} {detail}");
    }

    public void OnWarning(string message)
    {
        lock (_gate) Warnings.Add(message);
        Log.Enqueue("warning " + message);
    }

    public void OnDiscontinuity()
    {
        lock (_gate) Discontinuities++;
        Log.Enqueue("discontinuity");
    }

    /// <summary>Mean of channel <paramref name="c"/> of frame <paramref name="i"/> over a square patch around (x, y).</summary>
    public float Sample(int i, int c, int x, int y, int r = 2)
    {
        float[] p = Pixels[i];
        int s = FrameSize;
        double sum = 0;
        int n = 0;
        for (int yy = y - r; yy <= y + r; yy++)
            for (int xx = x - r; xx <= x + r; xx++)
            {
                sum += p[c * s * s + yy * s + xx];
                n++;
            }
        return (float)(sum / n);
    }
}
