namespace MediaSdk;

/// <summary>Pixel layouts a host may push (see <see cref="FrameView"/>).</summary>
public enum PixelFormat
{
    /// <summary>8-bit R, G, B, A per pixel.</summary>
    Rgba32,
    /// <summary>8-bit B, G, R, A per pixel.</summary>
    Bgra32,
    /// <summary>8-bit R, G, B per pixel, packed.</summary>
    Rgb24,
    /// <summary>Y plane, then one interleaved UV plane at half width and height.</summary>
    Nv12,
    /// <summary>Y plane, then U and V planes at half width and height (yuv420p).</summary>
    I420,
}

/// <summary>The YCbCr to RGB matrix of a YUV frame.</summary>
public enum ColorMatrix
{
    /// <summary>BT.709 for frames taller than 576 lines, BT.601 otherwise (the usual convention when metadata is missing).</summary>
    Auto,
    /// <summary>ITU-R BT.601 (SD).</summary>
    Bt601,
    /// <summary>ITU-R BT.709 (HD).</summary>
    Bt709,
}

/// <summary>The value range of a YUV frame.</summary>
public enum ColorRange
{
    /// <summary>Limited ("TV", "mpeg") range: Y in 16..235, UV in 16..240.</summary>
    Limited,
    /// <summary>Full ("PC", "jpeg") range: 0..255.</summary>
    Full,
}
