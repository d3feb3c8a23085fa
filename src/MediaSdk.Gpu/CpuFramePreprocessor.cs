using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MediaSdk.Contracts;

namespace MediaSdk.Gpu;

/// <summary>
/// The in-process implementation of ARCHITECTURE.md "Preprocessing" for frames a host pushes: YUV to RGB (BT.601/BT.709,
/// limited/full range), shorter side resized to <see cref="PreprocessOptions.Size"/> with area averaging, centre crop
/// (or letterbox), normalised to [-1, 1] as a CHW float tensor.
/// </summary>
/// <remarks>
/// <para>Agrees with the chain MediaSdk.Media's file sources run,
/// <c>scale=in_color_matrix=..:in_range=..:in_h_chr_pos=0:in_v_chr_pos=0:flags=bilinear+accurate_rnd+full_chroma_int,format=rgb24,scale=W:H:flags=area+full_chroma_inp+full_chroma_int,crop=S:S</c>,
/// to within 0.02 max / 0.005 mean absolute difference after normalisation (tested against a real ffmpeg for I420 and
/// NV12, BT.601 and BT.709, limited and full range, even and odd sizes).
/// The scaled size is <see cref="ScaledSize"/>; the crop offset is (scaled - size) / 2 rounded half to even, as ffmpeg's
/// crop filter does.</para>
/// <para>Chroma of 4:2:0 input is interpolated bilinearly with chroma sample (i, j) sited on luma (2i, 2j), which is
/// what that first scale does (the explicit siting makes it independent of the frame's chroma-location metadata).
/// Area resize is an exact box filter with fractional pixel coverage
/// when downscaling (like ffmpeg <c>flags=area</c> and OpenCV INTER_AREA) and bilinear with half-pixel centres when
/// upscaling.</para>
/// <para>Thread-safe and stateless; scratch comes from <see cref="ArrayPool{T}"/>, so a warm call allocates nothing.</para>
/// </remarks>
public sealed class CpuFramePreprocessor : IFramePreprocessor
{
    /// <summary>The shared instance (the type holds no state).</summary>
    public static CpuFramePreprocessor Instance { get; } = new();

    /// <summary>
    /// Size of the frame after resizing with the shorter side (crop) or the longer side (letterbox) set to
    /// <paramref name="size"/>; the other side is scaled proportionally and rounded half away from zero (at least 1).
    /// </summary>
    /// <remarks>ffmpeg-based sources must use the same numbers in their <c>scale=W:H</c> so every path agrees.</remarks>
    public static (int Width, int Height) ScaledSize(int width, int height, int size, bool letterbox)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        bool widthIsReference = letterbox ? width >= height : width <= height;
        if (widthIsReference)
            return (size, Math.Max(1, (int)Math.Round((double)height * size / width, MidpointRounding.AwayFromZero)));
        return (Math.Max(1, (int)Math.Round((double)width * size / height, MidpointRounding.AwayFromZero)), size);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 3 * size * size.</exception>
    public void Preprocess(in FrameView frame, PreprocessOptions options, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(options);
        int size = options.Size;
        int plane = size * size;
        if (destination.Length < 3 * plane)
            throw new ArgumentException($"Destination holds {destination.Length} floats but a 3x{size}x{size} tensor needs {3 * plane}; rent a PooledFrame of size {size}.", nameof(destination));
        destination = destination[..(3 * plane)];
        if (frame.Format is PixelFormat.Nv12 or PixelFormat.I420)
        {
            int chromaRow = frame.Format == PixelFormat.Nv12 ? 2 * ((frame.Width + 1) / 2) : (frame.Width + 1) / 2;
            if (frame.ChromaStride < chromaRow)
                throw new ArgumentException($"Chroma stride {frame.ChromaStride} of a {frame.Width}x{frame.Height} {frame.Format} frame is smaller than one chroma row ({chromaRow} bytes); pass chromaStride to FrameView.", nameof(frame));
        }

        (int sw, int sh) = ScaledSize(frame.Width, frame.Height, size, options.Letterbox);
        // Map scaled columns/rows to destination: crop takes the centre of the scaled image, letterbox centres it.
        int srcX0, srcY0, dstX0, dstY0, cw, ch;
        if (options.Letterbox)
        {
            srcX0 = 0; srcY0 = 0; cw = sw; ch = sh;
            dstX0 = (size - sw) / 2; dstY0 = (size - sh) / 2;
        }
        else
        {
            srcX0 = CropOffset(sw, size); srcY0 = CropOffset(sh, size); cw = size; ch = size;
            dstX0 = 0; dstY0 = 0;
        }

        int maxTapsX = MaxTaps(frame.Width, sw);
        int maxTapsY = MaxTaps(frame.Height, sh);
        int[] xStart = ArrayPool<int>.Shared.Rent(cw);
        int[] xCount = ArrayPool<int>.Shared.Rent(cw);
        float[] xWeights = ArrayPool<float>.Shared.Rent(cw * maxTapsX);
        int[] yStart = ArrayPool<int>.Shared.Rent(ch);
        int[] yCount = ArrayPool<int>.Shared.Rent(ch);
        float[] yWeights = ArrayPool<float>.Shared.Rent(ch * maxTapsY);
        int width = frame.Width;
        float[] rgbRow = ArrayPool<float>.Shared.Rent(3 * width); // planar R, G, B of one source row
        float[] cache = ArrayPool<float>.Shared.Rent(2 * 3 * cw); // two horizontally resampled rows
        float[] chromaScratch = ArrayPool<float>.Shared.Rent(2 * ((width + 1) / 2)); // U, V of one row, vertically interpolated
        try
        {
            BuildWeights(frame.Width, sw, srcX0, cw, maxTapsX, xStart, xCount, xWeights);
            BuildWeights(frame.Height, sh, srcY0, ch, maxTapsY, yStart, yCount, yWeights);
            int colFirst = xStart[0];
            int colEnd = xStart[cw - 1] + xCount[cw - 1];
            ColorCoefficients coeffs = ColorCoefficients.For(frame);

            destination.Fill(-1f); // letterbox padding is black, (0 - 0.5) / 0.5
            Span<float> rowA = cache.AsSpan(0, 3 * cw);
            Span<float> rowB = cache.AsSpan(3 * cw, 3 * cw);
            int cachedA = -1, cachedB = -1;
            bool nextIsA = true;
            for (int oy = 0; oy < ch; oy++)
            {
                int dstRow = (dstY0 + oy) * size + dstX0;
                Span<float> outR = destination.Slice(dstRow, cw);
                Span<float> outG = destination.Slice(plane + dstRow, cw);
                Span<float> outB = destination.Slice(2 * plane + dstRow, cw);
                outR.Clear(); outG.Clear(); outB.Clear();
                int taps = yCount[oy];
                for (int t = 0; t < taps; t++)
                {
                    int sy = yStart[oy] + t;
                    Span<float> h;
                    if (sy == cachedA) h = rowA;
                    else if (sy == cachedB) h = rowB;
                    else
                    {
                        // Rows are visited in increasing order and consecutive output rows share at most two source
                        // rows, so keeping the last two resampled rows means each source row is converted once.
                        h = nextIsA ? rowA : rowB;
                        if (nextIsA) cachedA = sy; else cachedB = sy;
                        nextIsA = !nextIsA;
                        ConvertRow(frame, sy, colFirst, colEnd, coeffs, rgbRow, chromaScratch);
                        ResampleRow(rgbRow, width, colFirst, cw, xStart, xCount, xWeights, maxTapsX, h);
                    }
                    float w = yWeights[oy * maxTapsY + t];
                    Accumulate(outR, h[..cw], w);
                    Accumulate(outG, h.Slice(cw, cw), w);
                    Accumulate(outB, h.Slice(2 * cw, cw), w);
                }
                Normalise(outR); Normalise(outG); Normalise(outB);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(xStart);
            ArrayPool<int>.Shared.Return(xCount);
            ArrayPool<float>.Shared.Return(xWeights);
            ArrayPool<int>.Shared.Return(yStart);
            ArrayPool<int>.Shared.Return(yCount);
            ArrayPool<float>.Shared.Return(yWeights);
            ArrayPool<float>.Shared.Return(rgbRow);
            ArrayPool<float>.Shared.Return(cache);
            ArrayPool<float>.Shared.Return(chromaScratch);
        }
    }

    /// <summary>ffmpeg's crop evaluates (in_w - out_w) / 2 and rounds it half to even (lrint): 37.5 -> 38, 36.5 -> 36.</summary>
    private static int CropOffset(int scaled, int size) => (int)Math.Round((scaled - size) / 2.0, MidpointRounding.ToEven);

    private static int MaxTaps(int src, int dst) => src > dst ? (int)Math.Ceiling((double)src / dst) + 2 : 2;

    /// <summary>Weights mapping scaled positions [first, first+count) to source pixels.</summary>
    private static void BuildWeights(int src, int dst, int first, int count, int maxTaps, int[] start, int[] counts, float[] weights)
    {
        double scale = (double)src / dst;
        for (int j = 0; j < count; j++)
        {
            int o = first + j;
            Span<float> w = weights.AsSpan(j * maxTaps, maxTaps);
            if (scale >= 1)
            {
                // Exact box: output pixel o covers source [o*scale, (o+1)*scale); each source pixel weighs its overlap.
                double a = o * scale, b = Math.Min(src, (o + 1) * scale);
                int k0 = (int)Math.Floor(a);
                int k1 = Math.Min(src, (int)Math.Ceiling(b));
                int n = 0;
                double sum = 0;
                for (int k = k0; k < k1; k++)
                {
                    double overlap = Math.Min(b, k + 1) - Math.Max(a, k);
                    if (overlap <= 1e-9) { if (n == 0) { k0++; } continue; }
                    w[n++] = (float)overlap;
                    sum += overlap;
                }
                for (int i = 0; i < n; i++) w[i] = (float)(w[i] / sum);
                start[j] = k0;
                counts[j] = n;
            }
            else
            {
                // Upscaling: bilinear with half-pixel centres (what INTER_AREA and swscale's area do when enlarging).
                double c = Math.Clamp((o + 0.5) * scale - 0.5, 0, src - 1);
                int k0 = Math.Min((int)c, Math.Max(0, src - 2));
                float f = (float)(c - k0);
                start[j] = k0;
                if (src == 1) { counts[j] = 1; w[0] = 1; }
                else { counts[j] = 2; w[0] = 1 - f; w[1] = f; }
            }
        }
    }

    /// <summary>Converts source row <paramref name="y"/>, columns [x0, x1), to planar RGB floats in 0..255.</summary>
    private static void ConvertRow(in FrameView frame, int y, int x0, int x1, in ColorCoefficients k, float[] rgb, float[] chroma)
    {
        int width = frame.Width;
        Span<float> r = rgb.AsSpan(0, width), g = rgb.AsSpan(width, width), b = rgb.AsSpan(2 * width, width);
        ReadOnlySpan<byte> data = frame.Data;
        switch (frame.Format)
        {
            case PixelFormat.Rgb24:
            {
                ReadOnlySpan<byte> row = data.Slice(y * frame.Stride, width * 3);
                for (int x = x0; x < x1; x++) { r[x] = row[3 * x]; g[x] = row[3 * x + 1]; b[x] = row[3 * x + 2]; }
                return;
            }
            case PixelFormat.Rgba32:
            {
                ReadOnlySpan<byte> row = data.Slice(y * frame.Stride, width * 4);
                for (int x = x0; x < x1; x++) { r[x] = row[4 * x]; g[x] = row[4 * x + 1]; b[x] = row[4 * x + 2]; }
                return;
            }
            case PixelFormat.Bgra32:
            {
                ReadOnlySpan<byte> row = data.Slice(y * frame.Stride, width * 4);
                for (int x = x0; x < x1; x++) { b[x] = row[4 * x]; g[x] = row[4 * x + 1]; r[x] = row[4 * x + 2]; }
                return;
            }
        }

        // 4:2:0: chroma is interpolated bilinearly exactly as swscale (ffmpeg 5.1) does for
        // scale=in_h_chr_pos=0:in_v_chr_pos=0:flags=bilinear+full_chroma_int (see FfmpegCommand.Filter), measured
        // against it with random chroma: chroma sample (i, j) sits on luma (2i, 2j). Vertically luma row y reads
        // chroma row y/2 (odd rows: the mean of the two neighbours), except that swscale's 2-tap vertical filter never
        // reaches the last chroma row alone: rows from 2 * chromaRows - 3 on read the mean of the last two.
        // Horizontally luma column x reads chroma column (x + 0.5) * step - 0.25 with step = ceil(w/2)/w rounded to
        // 1/65536 (exactly 0.5 for even widths), clamped to the last column. Not reproduced: for some odd heights
        // (719, 601) swscale's vertical position jumps half a chroma row over the last ~10 rows (docs/pipeline.md).
        int chromaWidth = (width + 1) / 2;
        int chromaRows = (frame.Height + 1) / 2;
        int cy0 = y >> 1;
        int cy1 = Math.Min(cy0 + (y & 1), chromaRows - 1);
        if (chromaRows >= 2 && y >= 2 * chromaRows - 3) { cy0 = chromaRows - 2; cy1 = chromaRows - 1; }
        int chromaBase = frame.Stride * frame.Height;
        int cs = frame.ChromaStride;
        ReadOnlySpan<byte> luma = data.Slice(y * frame.Stride, width);
        Span<float> u = chroma.AsSpan(0, chromaWidth), v = chroma.AsSpan(chromaWidth, chromaWidth);
        // Only the chroma columns the luma range [x0, x1) reads.
        int c0 = ChromaColumn(x0, width, chromaWidth, out _);
        int c1 = Math.Min(chromaWidth, ChromaColumn(x1 - 1, width, chromaWidth, out _) + 2);
        if (frame.Format == PixelFormat.Nv12)
        {
            ReadOnlySpan<byte> top = data.Slice(chromaBase + cy0 * cs, 2 * chromaWidth);
            ReadOnlySpan<byte> bottom = data.Slice(chromaBase + cy1 * cs, 2 * chromaWidth);
            for (int i = c0; i < c1; i++)
            {
                u[i] = 0.5f * (top[2 * i] + bottom[2 * i]);
                v[i] = 0.5f * (top[2 * i + 1] + bottom[2 * i + 1]);
            }
        }
        else
        {
            int vBase = chromaBase + cs * chromaRows;
            ReadOnlySpan<byte> ua = data.Slice(chromaBase + cy0 * cs, chromaWidth), ub = data.Slice(chromaBase + cy1 * cs, chromaWidth);
            ReadOnlySpan<byte> va = data.Slice(vBase + cy0 * cs, chromaWidth), vb = data.Slice(vBase + cy1 * cs, chromaWidth);
            for (int i = c0; i < c1; i++)
            {
                u[i] = 0.5f * (ua[i] + ub[i]);
                v[i] = 0.5f * (va[i] + vb[i]);
            }
        }

        if ((width & 1) == 0)
        {
            // Step 0.5: even columns sit on a chroma sample, odd ones halfway to the next (the last one clamps).
            for (int x = x0; x < x1; x++)
            {
                int i = x >> 1;
                float cu = u[i], cv = v[i];
                if ((x & 1) != 0 && i + 1 < chromaWidth) { cu = 0.5f * (cu + u[i + 1]); cv = 0.5f * (cv + v[i + 1]); }
                ToRgb(luma[x], cu, cv, k, out r[x], out g[x], out b[x]);
            }
        }
        else
        {
            for (int x = x0; x < x1; x++)
            {
                int i = ChromaColumn(x, width, chromaWidth, out float f);
                float cu = u[i], cv = v[i];
                if (f > 0) { cu += f * (u[i + 1] - cu); cv += f * (v[i + 1] - cv); }
                ToRgb(luma[x], cu, cv, k, out r[x], out g[x], out b[x]);
            }
        }
    }

    /// <summary>The chroma column left of luma column <paramref name="x"/> and the weight of the next one (odd widths;
    /// swscale's horizontal chroma step is ceil(w/2)/w in 16.16 fixed point, rounded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ChromaColumn(int x, int width, int chromaWidth, out float frac)
    {
        long step = (((long)chromaWidth << 16) + (width >> 1)) / width;
        double c = (x + 0.5) * step / 65536.0 - 0.25;
        int i = (int)Math.Floor(c);
        if (i < 0) { frac = 0; return 0; }
        if (i >= chromaWidth - 1) { frac = 0; return chromaWidth - 1; }
        frac = (float)(c - i);
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ToRgb(byte y, float u, float v, in ColorCoefficients k, out float r, out float g, out float b)
    {
        float yy = (y - k.YOffset) * k.YScale;
        float cu = (u - 128f) * k.CScale;
        float cv = (v - 128f) * k.CScale;
        r = Math.Clamp(yy + k.Rv * cv, 0f, 255f);
        g = Math.Clamp(yy - k.Gu * cu - k.Gv * cv, 0f, 255f);
        b = Math.Clamp(yy + k.Bu * cu, 0f, 255f);
    }

    private static void ResampleRow(float[] rgb, int width, int colFirst, int cw, int[] xStart, int[] xCount, float[] xWeights, int maxTaps, Span<float> dst)
    {
        _ = colFirst;
        for (int c = 0; c < 3; c++)
        {
            ReadOnlySpan<float> src = rgb.AsSpan(c * width, width);
            Span<float> d = dst.Slice(c * cw, cw);
            for (int j = 0; j < cw; j++)
            {
                int s = xStart[j], n = xCount[j];
                ReadOnlySpan<float> w = xWeights.AsSpan(j * maxTaps, n);
                float acc = 0;
                for (int t = 0; t < n; t++) acc += w[t] * src[s + t];
                d[j] = acc;
            }
        }
    }

    private static void Accumulate(Span<float> acc, ReadOnlySpan<float> row, float w)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && acc.Length >= Vector<float>.Count)
        {
            Span<Vector<float>> va = MemoryMarshal.Cast<float, Vector<float>>(acc);
            ReadOnlySpan<Vector<float>> vr = MemoryMarshal.Cast<float, Vector<float>>(row);
            var vw = new Vector<float>(w);
            for (int j = 0; j < va.Length; j++) va[j] += vr[j] * vw;
            i = va.Length * Vector<float>.Count;
        }
        for (; i < acc.Length; i++) acc[i] += row[i] * w;
    }

    private static void Normalise(Span<float> values)
    {
        // (v / 255 - 0.5) / 0.5 == v / 127.5 - 1
        const float Scale = 1f / 127.5f;
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            Span<Vector<float>> vv = MemoryMarshal.Cast<float, Vector<float>>(values);
            var vs = new Vector<float>(Scale);
            for (int j = 0; j < vv.Length; j++) vv[j] = vv[j] * vs - Vector<float>.One;
            i = vv.Length * Vector<float>.Count;
        }
        for (; i < values.Length; i++) values[i] = values[i] * Scale - 1f;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct ColorCoefficients
    {
        public float YOffset { get; init; }
        public float YScale { get; init; }
        public float CScale { get; init; }
        public float Rv { get; init; }
        public float Gu { get; init; }
        public float Gv { get; init; }
        public float Bu { get; init; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ColorCoefficients For(in FrameView frame)
        {
            ColorMatrix m = frame.Matrix == ColorMatrix.Auto ? (frame.Height > 576 ? ColorMatrix.Bt709 : ColorMatrix.Bt601) : frame.Matrix;
            (double kr, double kb) = m == ColorMatrix.Bt709 ? (0.2126, 0.0722) : (0.299, 0.114);
            double kg = 1 - kr - kb;
            bool full = frame.Range == ColorRange.Full;
            return new ColorCoefficients
            {
                YOffset = full ? 0f : 16f,
                YScale = full ? 1f : (float)(255.0 / 219.0),
                CScale = full ? 1f : (float)(255.0 / 224.0),
                Rv = (float)(2 * (1 - kr)),
                Bu = (float)(2 * (1 - kb)),
                Gu = (float)(2 * kb * (1 - kb) / kg),
                Gv = (float)(2 * kr * (1 - kr) / kg),
            };
        }
    }
}
