namespace MediaSdk;

/// <summary>How decoded frames become encoder input (ARCHITECTURE.md "Preprocessing").</summary>
/// <remarks>
/// RGB; the shorter side is resized to <see cref="Size"/> with area averaging, then centre-cropped to a square (or,
/// with <see cref="Letterbox"/>, the longer side is fitted and the rest padded with black); values are scaled to
/// [0, 1] and normalised with mean 0.5 and std 0.5 per channel into a CHW float tensor.
/// </remarks>
public sealed record PreprocessOptions
{
    private readonly int _size = 112;

    /// <summary>The defaults: 112 px, centre crop.</summary>
    public static PreprocessOptions Default { get; } = new();

    /// <summary>Side of the square model input in pixels. Default 112 (what the default encoder uses). 16..1024.</summary>
    public int Size
    {
        get => _size;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 16);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1024);
            _size = value;
        }
    }

    /// <summary>Fit the whole frame and pad with black instead of centre-cropping. Default false.</summary>
    public bool Letterbox { get; init; }
}
