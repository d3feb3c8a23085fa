namespace MediaSdk;

/// <summary>How a stream is cut into clip windows (ARCHITECTURE.md, "Defaults that every path shares").</summary>
/// <remarks>
/// Windows start at media time 0 (the stream's first frame) and every <see cref="Hop"/> after it. Window [s, s+L) is
/// emitted when s+L &lt;= duration; the window after the last full one is emitted as partial when it covers at least
/// L/2; media shorter than L yields one partial window if it has a frame. Frame i of a window is the decoded frame
/// nearest to s + (i + 0.5) * L / N.
/// </remarks>
public sealed record WindowOptions
{
    private readonly TimeSpan _length = TimeSpan.FromSeconds(2);
    private readonly TimeSpan _hop = TimeSpan.FromSeconds(1);
    private readonly int _framesPerWindow = 8;

    /// <summary>The defaults: 2 s windows every 1 s with 8 frames each (what the default model was trained on).</summary>
    public static WindowOptions Default { get; } = new();

    /// <summary>Window length L. Default 2 s.</summary>
    public TimeSpan Length
    {
        get => _length;
        init { ThrowIfNotPositive(value, nameof(Length)); _length = value; }
    }

    /// <summary>Time between window starts H. Default 1 s (windows overlap by half).</summary>
    public TimeSpan Hop
    {
        get => _hop;
        init { ThrowIfNotPositive(value, nameof(Hop)); _hop = value; }
    }

    /// <summary>Frames per window N. Default 8 (the encoder's input size). 1..64.</summary>
    public int FramesPerWindow
    {
        get => _framesPerWindow;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 64);
            _framesPerWindow = value;
        }
    }

    /// <summary>Seconds between the sample points of one window (L / N).</summary>
    public double SampleInterval => Length.TotalSeconds / FramesPerWindow;

    /// <summary>
    /// True when every window's sample points lie on one grid (H is a whole multiple of L/N), so a source can sample at
    /// 1 / <see cref="SampleInterval"/> frames per second and deliver exactly the frames windows need.
    /// </summary>
    public bool SamplesOnGrid
    {
        get
        {
            double ratio = Hop.TotalSeconds / SampleInterval;
            return Math.Abs(ratio - Math.Round(ratio)) < 1e-9 && Math.Round(ratio) >= 1;
        }
    }

    private static void ThrowIfNotPositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromHours(1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between 0 and 1 hour (exclusive of 0).");
    }
}
