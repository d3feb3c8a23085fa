namespace MediaSdk;

/// <summary>
/// A borrowed, decoded frame handed over by a host: pixel bytes plus their layout. Valid only during the call it is
/// passed to; the SDK copies what it needs before returning.
/// </summary>
/// <remarks>
/// Plane layout: packed formats use one plane of <see cref="Height"/> rows of <see cref="Stride"/> bytes. NV12 and I420
/// store the Y plane (<see cref="Height"/> rows of <see cref="Stride"/> bytes) followed directly by the chroma planes,
/// whose stride is <see cref="ChromaStride"/> (default: <see cref="Stride"/> for NV12, or 2 * ceil(width/2) if that is
/// larger, i.e. odd widths; <see cref="Stride"/>/2 rounded up for I420) and whose height is <see cref="Height"/>/2 rounded up.
/// </remarks>
public readonly ref struct FrameView
{
    /// <summary>Creates a view over <paramref name="data"/>; see the type remarks for the expected layout.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is not positive, or the stride is smaller than a row.</exception>
    /// <exception cref="ArgumentException"><paramref name="data"/> is shorter than the layout needs.</exception>
    public FrameView(ReadOnlySpan<byte> data, int width, int height, PixelFormat format, int stride = 0, int chromaStride = 0,
        ColorMatrix matrix = ColorMatrix.Auto, ColorRange range = ColorRange.Limited)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        int minStride = MinimumStride(format, width);
        if (stride == 0) stride = minStride;
        if (stride < minStride)
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"Stride {stride} is smaller than one {format} row of width {width} ({minStride} bytes); pass the row pitch in bytes.");
        // An NV12 chroma row holds ceil(w/2) UV pairs, so an odd width needs one byte more than the luma row (ffmpeg's layout).
        if (chromaStride == 0) chromaStride = format switch { PixelFormat.Nv12 => Math.Max(stride, 2 * ((width + 1) / 2)), PixelFormat.I420 => (stride + 1) / 2, _ => 0 };
        int needed = RequiredBytes(format, width, height, stride, chromaStride);
        if (data.Length < needed)
            throw new ArgumentException($"Frame {width}x{height} {format} with stride {stride} needs {needed} bytes but {data.Length} were given; check the format, stride and height.", nameof(data));
        Data = data;
        Width = width;
        Height = height;
        Format = format;
        Stride = stride;
        ChromaStride = chromaStride;
        Matrix = matrix;
        Range = range;
    }

    /// <summary>The pixel bytes.</summary>
    public ReadOnlySpan<byte> Data { get; }
    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }
    /// <summary>Pixel layout.</summary>
    public PixelFormat Format { get; }
    /// <summary>Bytes per row of the first plane.</summary>
    public int Stride { get; }
    /// <summary>Bytes per row of each chroma plane (YUV formats only).</summary>
    public int ChromaStride { get; }
    /// <summary>YCbCr matrix (YUV formats only).</summary>
    public ColorMatrix Matrix { get; }
    /// <summary>YCbCr range (YUV formats only).</summary>
    public ColorRange Range { get; }

    /// <summary>The smallest valid stride of the first plane for <paramref name="format"/> at <paramref name="width"/>.</summary>
    public static int MinimumStride(PixelFormat format, int width) => format switch
    {
        PixelFormat.Rgba32 or PixelFormat.Bgra32 => width * 4,
        PixelFormat.Rgb24 => width * 3,
        PixelFormat.Nv12 or PixelFormat.I420 => width,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown pixel format."),
    };

    /// <summary>Bytes a frame of this layout occupies.</summary>
    public static int RequiredBytes(PixelFormat format, int width, int height, int stride, int chromaStride)
    {
        int chromaRows = (height + 1) / 2;
        return format switch
        {
            PixelFormat.Nv12 => stride * height + chromaStride * chromaRows,
            PixelFormat.I420 => stride * height + 2 * chromaStride * chromaRows,
            _ => stride * height,
        };
    }
}
