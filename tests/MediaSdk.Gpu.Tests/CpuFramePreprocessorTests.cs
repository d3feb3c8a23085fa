namespace MediaSdk.Gpu.Tests;

public sealed class CpuFramePreprocessorTests
{
    private static byte[] Gradient(int w, int h)
    {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = 3 * (y * w + x);
                rgb[i] = (byte)(x * 255 / (w - 1)); rgb[i + 1] = (byte)(y * 255 / (h - 1)); rgb[i + 2] = 200;
            }
        return rgb;
    }

    /// <summary>Each format (the YUV ones included) and size measured on its own, so one case's zero cannot hide
    /// another's allocation; 1280x720 is the size the benchmark reported allocations for.</summary>
    [Theory]
    [InlineData(PixelFormat.I420, 1280, 720, false)]
    [InlineData(PixelFormat.Nv12, 1280, 720, false)]
    [InlineData(PixelFormat.I420, 640, 480, true)]
    [InlineData(PixelFormat.Nv12, 641, 479, true)]
    [InlineData(PixelFormat.Rgb24, 320, 200, false)]
    [InlineData(PixelFormat.Rgba32, 1280, 720, false)]
    public void Preprocess_WarmCalls_AllocateNothing(PixelFormat format, int width, int height, bool letterbox)
    {
        byte[] data = new byte[4 * (width + 1) * (height + 1)]; // enough for every format's default strides
        new Random(1).NextBytes(data);
        float[] dst = new float[3 * 112 * 112];
        var options = new PreprocessOptions { Letterbox = letterbox };
        for (int i = 0; i < 3; i++) CpuFramePreprocessor.Instance.Preprocess(new FrameView(data, width, height, format), options, dst);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) CpuFramePreprocessor.Instance.Preprocess(new FrameView(data, width, height, format), options, dst);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Preprocess_Letterbox_PadsBlackAndCentresImage()
    {
        // 200x100 white -> fitted to 64x32, centred vertically: rows 16..47 white (+1), the rest black (-1).
        byte[] rgb = new byte[200 * 100 * 3];
        Array.Fill(rgb, (byte)255);
        float[] dst = new float[3 * 64 * 64];
        CpuFramePreprocessor.Instance.Preprocess(new FrameView(rgb, 200, 100, PixelFormat.Rgb24), new PreprocessOptions { Size = 64, Letterbox = true }, dst);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++)
                    Assert.Equal(y is >= 16 and < 48 ? 1f : -1f, dst[c * 4096 + y * 64 + x], 1e-5f);
    }

    [Fact]
    public void Preprocess_IntegerFactor_EqualsBoxAverage()
    {
        // 64x32 -> shorter side 16: factor 2 exactly, so each output pixel is the mean of a 2x2 block; crop offset 8.
        byte[] rgb = Gradient(64, 32);
        float[] dst = new float[3 * 16 * 16];
        CpuFramePreprocessor.Instance.Preprocess(new FrameView(rgb, 64, 32, PixelFormat.Rgb24), new PreprocessOptions { Size = 16 }, dst);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 16; y++)
                for (int x = 0; x < 16; x++)
                {
                    int sx = 2 * (x + 8), sy = 2 * y;
                    float mean = (rgb[3 * (sy * 64 + sx) + c] + rgb[3 * (sy * 64 + sx + 1) + c] + rgb[3 * ((sy + 1) * 64 + sx) + c] + rgb[3 * ((sy + 1) * 64 + sx + 1) + c]) / 4f;
                    Assert.Equal(mean / 127.5f - 1f, dst[c * 256 + y * 16 + x], 1e-4f);
                }
    }

    [Fact]
    public void Preprocess_Bt601LimitedGrey_MapsToFullRange()
    {
        // Y=16 is black and Y=235 white in limited range; neutral chroma gives equal R, G, B.
        byte[] yuv = new byte[32 * 32 * 3 / 2];
        Array.Fill(yuv, (byte)128);
        yuv.AsSpan(0, 32 * 16).Fill(16);
        yuv.AsSpan(32 * 16, 32 * 16).Fill(235);
        float[] dst = new float[3 * 16 * 16];
        CpuFramePreprocessor.Instance.Preprocess(new FrameView(yuv, 32, 32, PixelFormat.I420, matrix: ColorMatrix.Bt601), new PreprocessOptions { Size = 16 }, dst);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(-1f, dst[c * 256 + 2 * 16 + 5], 1e-4f);
            Assert.Equal(1f, dst[c * 256 + 12 * 16 + 5], 1e-4f);
        }
    }

    [Fact]
    public void FrameView_Nv12OddWidthDefaultChromaStride_IsTwoCeilHalfWidth()
    {
        // ffmpeg writes ceil(33/2) = 17 UV pairs (34 bytes) per NV12 chroma row; the default must match that layout.
        byte[] data = new byte[FrameView.RequiredBytes(PixelFormat.Nv12, 33, 20, 33, 34)];
        var view = new FrameView(data, 33, 20, PixelFormat.Nv12);
        Assert.Equal(34, view.ChromaStride);
        Assert.Equal(36, new FrameView(new byte[36 * 20 * 3 / 2], 33, 20, PixelFormat.Nv12, stride: 36).ChromaStride);
        float[] dst = new float[3 * 16 * 16];
        CpuFramePreprocessor.Instance.Preprocess(view, new PreprocessOptions { Size = 16 }, dst);
    }

    [Fact]
    public void Preprocess_Nv12ChromaStrideShorterThanRow_ThrowsClearError()
    {
        byte[] data = new byte[FrameView.RequiredBytes(PixelFormat.Nv12, 33, 20, 33, 34)];
        float[] dst = new float[3 * 16 * 16];
        var ex = Assert.Throws<ArgumentException>(() => CpuFramePreprocessor.Instance.Preprocess(new FrameView(data, 33, 20, PixelFormat.Nv12, chromaStride: 33), new PreprocessOptions { Size = 16 }, dst));
        Assert.Contains("chromaStride", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Preprocess_DestinationTooSmall_Throws()
    {
        byte[] rgb = Gradient(32, 32);
        Assert.Throws<ArgumentException>(() => CpuFramePreprocessor.Instance.Preprocess(new FrameView(rgb, 32, 32, PixelFormat.Rgb24), new PreprocessOptions { Size = 16 }, new float[10]));
    }
}
