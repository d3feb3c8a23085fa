using System.Buffers;
using System.Diagnostics;

namespace MediaSdk;

/// <summary>
/// A preprocessed frame: a 3 x <see cref="Size"/> x <see cref="Size"/> CHW float tensor (RGB, normalised to [-1, 1]),
/// its presentation time and the wall-clock time it was received. The buffer is rented from a pool.
/// </summary>
/// <remarks>
/// Reference counted because overlapping clip windows share frames: <see cref="AddRef"/> adds an owner and each owner
/// calls <see cref="Dispose"/> once; the last one returns the buffer to the pool. <see cref="Outstanding"/> counts
/// frames not yet returned, so tests can assert that nothing leaked.
/// </remarks>
public sealed class PooledFrame : IDisposable
{
    private static long s_outstanding;
    private float[]? _buffer;
    private int _refCount;

    private PooledFrame(float[] buffer, int size, double pts, long receivedTimestamp)
    {
        _buffer = buffer;
        _refCount = 1;
        Size = size;
        Pts = pts;
        ReceivedTimestamp = receivedTimestamp;
    }

    /// <summary>Frames rented and not yet returned, process-wide.</summary>
    public static long Outstanding => Interlocked.Read(ref s_outstanding);

    /// <summary>Side of the square frame in pixels.</summary>
    public int Size { get; }

    /// <summary>Presentation time in seconds of media time (0 = the stream's first frame).</summary>
    public double Pts { get; }

    /// <summary>When the frame arrived, as a <see cref="Stopwatch.GetTimestamp"/> value.</summary>
    public long ReceivedTimestamp { get; }

    /// <summary>Number of floats in the tensor (3 * Size * Size).</summary>
    public int Length => 3 * Size * Size;

    /// <summary>The CHW tensor. Valid until the last owner disposes the frame.</summary>
    public Span<float> Pixels => (_buffer ?? throw new ObjectDisposedException(nameof(PooledFrame))).AsSpan(0, Length);

    /// <summary>Rents a frame; its pixels are uninitialised. The caller owns it and must dispose it.</summary>
    /// <param name="size">Side of the square frame in pixels.</param>
    /// <param name="pts">Presentation time in seconds of media time.</param>
    /// <param name="receivedTimestamp">Arrival time as a <see cref="Stopwatch.GetTimestamp"/> value.</param>
    public static PooledFrame Rent(int size, double pts, long receivedTimestamp)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        Interlocked.Increment(ref s_outstanding);
        return new PooledFrame(ArrayPool<float>.Shared.Rent(3 * size * size), size, pts, receivedTimestamp);
    }

    /// <summary>Adds an owner; that owner must call <see cref="Dispose"/> once.</summary>
    /// <returns>This frame.</returns>
    public PooledFrame AddRef()
    {
        if (Interlocked.Increment(ref _refCount) <= 1)
            throw new ObjectDisposedException(nameof(PooledFrame), "AddRef on a frame whose last owner already disposed it.");
        return this;
    }

    /// <summary>Releases one owner; the last one returns the buffer to the pool. Extra calls are ignored.</summary>
    public void Dispose()
    {
        int left = Interlocked.Decrement(ref _refCount);
        if (left == 0)
        {
            float[]? buffer = Interlocked.Exchange(ref _buffer, null);
            if (buffer is not null)
            {
                ArrayPool<float>.Shared.Return(buffer);
                Interlocked.Decrement(ref s_outstanding);
            }
        }
        else if (left < 0)
        {
            Interlocked.Exchange(ref _refCount, 0); // keep extra Dispose calls idempotent
        }
    }
}
