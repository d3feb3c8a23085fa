using MediaSdk.Synth;
using MediaSdk.Synth.Internal;
using SkiaSharp;

namespace MediaSdk.Synth.Tests;

public sealed class RenderTests
{
    internal static SynthScene Scene(string kind = "image", IReadOnlyList<SynthObject>? objects = null, IReadOnlyList<SynthEvent>? events = null,
        IReadOnlyList<SynthText>? texts = null, double duration = 0, int crf = 0) => new()
        {
            Id = "unit-" + kind,
            Split = "test",
            Kind = kind,
            Media = kind == "image" ? "media/images/test/unit.png" : "media/clips/test/unit.mp4",
            Duration = duration,
            Width = 128,
            Height = 128,
            Fps = kind == "image" ? 0 : 8,
            Crf = crf,
            Background = "plain",
            BackgroundColour = "navy",
            Objects = objects ?? [],
            Events = events ?? [],
            Texts = texts ?? [],
        };

    internal static SynthObject RedSquare(double x = 0.5, double y = 0.5) =>
        new() { Id = 0, Shape = "square", Colour = "red", Size = "large", Texture = "solid", X = x, Y = y };

    private static (byte R, byte G, byte B) Pixel(SKBitmap bmp, int x, int y)
    {
        SKColor c = bmp.GetPixel(x, y);
        return (c.Red, c.Green, c.Blue);
    }

    [Fact]
    public void Render_RedSquareOnPlain_CentreIsRedCornerIsBackground()
    {
        using var r = new SceneRenderer(SynthConfig.Default);
        SKBitmap frame = r.Render(Scene(objects: [RedSquare()]), 0);
        Assert.Equal((0xE0, 0x20, 0x20), Pixel(frame, 64, 64));
        Assert.Equal((0x1C, 0x2A, 0x5A), Pixel(frame, 3, 3));
    }

    [Fact]
    public void Render_EveryShapeAndTexture_DrawsTheObjectColourNearItsCentre()
    {
        using var r = new SceneRenderer(SynthConfig.Default);
        foreach (string shape in SynthConfig.Default.Shapes)
            foreach (string texture in SynthConfig.Default.Textures)
            {
                var obj = new SynthObject { Id = 0, Shape = shape, Colour = "yellow", Size = "large", Texture = texture, X = 0.5, Y = 0.5 };
                SKBitmap frame = r.Render(Scene(objects: [obj]), 0);
                int yellow = 0;
                for (int y = 44; y < 84; y++)
                    for (int x = 44; x < 84; x++)
                        if (Pixel(frame, x, y) == (0xF0, 0xE0, 0x20)) yellow++;
                Assert.True(yellow > 120, $"{shape}/{texture}: only {yellow} object-coloured pixels near the centre");
            }
    }

    [Fact]
    public void Render_TextOverlay_GlyphsAtLeast20PxTallAtModelInputAndInsideFrame()
    {
        using var r = new SceneRenderer(SynthConfig.Default);
        foreach (string word in SynthConfig.Default.Words)
        foreach (double at in new[] { 0.13, 0.87 }) // the sampler's two places
        {
            SKBitmap frame = r.Render(Scene(texts: [new SynthText(word, "white", 0.5, at, 0, 0)]), 0);
            int top = int.MaxValue, bottom = -1, left = int.MaxValue, right = -1;
            for (int y = 0; y < frame.Height; y++)
                for (int x = 0; x < frame.Width; x++)
                    if (frame.GetPixel(x, y).Red > 150)
                        (top, bottom, left, right) = (Math.Min(top, y), Math.Max(bottom, y), Math.Min(left, x), Math.Max(right, x));
            double height = (bottom - top + 1) * (double)SceneRenderer.ModelInputSize / frame.Height;
            Assert.True(height >= 20, $"'{word}' is {height:F1} px tall at {SceneRenderer.ModelInputSize} px");
            Assert.True(left > 0 && right < frame.Width - 1 && top > 0 && bottom < frame.Height - 1, $"'{word}' at {at} is clipped: x {left}..{right}, y {top}..{bottom}");
        }
    }

    [Fact]
    public void Render_OverlappingObjects_SubjectOnTopUnlessOccluder()
    {
        using var r = new SceneRenderer(SynthConfig.Default);
        var blue = new SynthObject { Id = 1, Shape = "circle", Colour = "blue", Size = "large", Texture = "solid", X = 0.5, Y = 0.5 };
        SynthScene s = Scene(objects: [RedSquare(), blue]);
        Assert.Equal((0xE0, 0x20, 0x20), Pixel(r.Render(s, 0), 64, 64));
        Assert.Equal((0x20, 0x50, 0xF0), Pixel(r.Render(s with { Id = "occluded", Occluder = 1 }, 0), 64, 64));
    }

    [Fact]
    public void Render_AppearEvent_InvisibleBeforeVisibleAfter()
    {
        using var r = new SceneRenderer(SynthConfig.Default);
        SynthScene s = Scene("clip", [RedSquare()], [new SynthEvent(0.5, 0.75, 0, "appear")], duration: 2);
        Assert.Equal((0x1C, 0x2A, 0x5A), Pixel(r.Render(s, 2), 64, 64)); // t = 0.25 s
        Assert.Equal((0xE0, 0x20, 0x20), Pixel(r.Render(s, 8), 64, 64)); // t = 1 s
    }

    [Fact]
    public void Render_Noise_SameSceneSamePixelsOtherFrameOtherNoise()
    {
        using var r = new SceneRenderer(SynthConfig.Default);
        SynthScene s = Scene("clip", [RedSquare()], duration: 1) with { Noise = 0.05 };
        byte[] a = r.Render(s, 3).Bytes, b = r.Render(s, 3).Bytes, c = r.Render(s, 4).Bytes;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}
