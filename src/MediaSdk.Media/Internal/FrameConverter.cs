namespace MediaSdk.Media.Internal;

/// <summary>Packed rgb24 bytes to the normalised CHW float tensor: (v / 255 - 0.5) / 0.5 per channel.</summary>
internal static class FrameConverter
{
    private static readonly float[] s_lut = BuildLut();

    private static float[] BuildLut()
    {
        var lut = new float[256];
        for (int v = 0; v < 256; v++) lut[v] = (v / 255f - 0.5f) / 0.5f;
        return lut;
    }

    /// <summary>Writes <paramref name="rgb"/> (HWC, 3 bytes per pixel) into <paramref name="chw"/> (3 planes). No allocation.</summary>
    public static void ToChw(ReadOnlySpan<byte> rgb, Span<float> chw)
    {
        int pixels = rgb.Length / 3;
        if (chw.Length < 3 * pixels) throw new ArgumentException("Tensor too small for the frame.", nameof(chw));
        float[] lut = s_lut;
        Span<float> r = chw[..pixels], g = chw.Slice(pixels, pixels), b = chw.Slice(2 * pixels, pixels);
        for (int i = 0, j = 0; i < pixels; i++, j += 3)
        {
            r[i] = lut[rgb[j]];
            g[i] = lut[rgb[j + 1]];
            b[i] = lut[rgb[j + 2]];
        }
    }
}
