using MediaSdk.Synth;
using MediaSdk.Synth.Internal;
using MediaSdk.TestSupport;

namespace MediaSdk.Synth.Tests;

/// <summary>Generates the small config twice (two folders) once for the class.</summary>
public sealed class SmallRunsFixture : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("msdk-synth-").FullName;
    public SynthResult? First { get; private set; }
    public SynthResult? Second { get; private set; }
    public Exception? Error { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (!Prereq.HasFfmpeg) return;
        try
        {
            First = await SynthGenerator.GenerateAsync(SynthConfig.Small, Path.Combine(Root, "a"));
            Second = await SynthGenerator.GenerateAsync(SynthConfig.Small, Path.Combine(Root, "b"));
        }
        catch (Exception e)
        {
            Error = e;
        }
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return ValueTask.CompletedTask;
    }
}

public sealed class GenerationTests(SmallRunsFixture runs) : IClassFixture<SmallRunsFixture>
{
    private (SynthResult A, SynthResult B) Runs()
    {
        Prereq.RequireFfmpeg();
        if (runs.Error is not null) throw new InvalidOperationException("generation failed: " + runs.Error.Message, runs.Error);
        return (runs.First!, runs.Second!);
    }

    /// <summary>Decodes a video to packed RGB24 bytes through ffmpeg.</summary>
    internal static async Task<byte[]> DecodeAsync(string video, string scratch)
    {
        string raw = Path.Combine(scratch, Path.GetFileName(video) + "." + Guid.NewGuid().ToString("N")[..6] + ".rgb");
        var (code, _, err) = await Tools.RunAsync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", video,
            "-f", "rawvideo", "-pix_fmt", "rgb24", raw], TestContext.Current.CancellationToken);
        Assert.True(code == 0, err);
        byte[] bytes = await File.ReadAllBytesAsync(raw, TestContext.Current.CancellationToken);
        File.Delete(raw);
        return bytes;
    }

    [Fact(Timeout = 120_000)]
    public async Task GenerateAsync_SameConfigTwice_ByteIdenticalScenesAndMedia()
    {
        var (a, b) = Runs();
        Assert.Equal(await File.ReadAllBytesAsync(a.ScenesPath, TestContext.Current.CancellationToken),
            await File.ReadAllBytesAsync(b.ScenesPath, TestContext.Current.CancellationToken));
        Assert.Equal(SynthGenerator.ToJsonl(SynthGenerator.SampleScenes(SynthConfig.Small)), await File.ReadAllTextAsync(a.ScenesPath, TestContext.Current.CancellationToken));
        foreach (SynthScene s in a.Scenes)
        {
            byte[] x = await File.ReadAllBytesAsync(Path.Combine(a.OutputDirectory, s.Media), TestContext.Current.CancellationToken);
            byte[] y = await File.ReadAllBytesAsync(Path.Combine(b.OutputDirectory, s.Media), TestContext.Current.CancellationToken);
            Assert.True(x.AsSpan().SequenceEqual(y), $"{s.Media} differs between two runs");
        }
        Assert.Equal(a.Scenes.Count, a.Rendered);
        Assert.True(a.MediaBytes > 0);
    }

    [Fact(Timeout = 120_000)]
    public async Task GenerateAsync_Clip_DecodesToIdenticalFramesOfTheRightCount()
    {
        var (a, b) = Runs();
        // Clips are encoded in batches and cut into files at forced key frames: each file must hold exactly its frames.
        foreach (SynthScene s in a.Scenes.Where(s => s.Kind == "clip").Take(3).Concat(a.Scenes.Where(s => s.Kind == "long")))
        {
            byte[] x = await DecodeAsync(Path.Combine(a.OutputDirectory, s.Media), runs.Root);
            byte[] y = await DecodeAsync(Path.Combine(b.OutputDirectory, s.Media), runs.Root);
            Assert.Equal(x, y);
            int frameBytes = s.Width * s.Height * 3;
            Assert.Equal(SceneRenderer.FrameCount(s) * frameBytes, x.Length);
            // Its first and last decoded frames are its own (not a batch neighbour's), up to h264 loss and noise.
            using var renderer = new SceneRenderer(SynthConfig.Small);
            byte[] expected = new byte[frameBytes];
            foreach (int f in new[] { 0, SceneRenderer.FrameCount(s) - 1 })
            {
                renderer.Render(s, f);
                renderer.CopyRgb24(expected);
                double mad = 0;
                for (int i = 0; i < frameBytes; i++) mad += Math.Abs(expected[i] - x[(f * frameBytes) + i]);
                mad /= frameBytes;
                Assert.True(mad < 14, $"{s.Id} frame {f}: mean abs difference {mad:F1} from its render");
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task GenerateAsync_WritesConfigScenesAndMediaLayout()
    {
        var (a, _) = Runs();
        Assert.Equal(SynthConfig.Small.ToJson(), await File.ReadAllTextAsync(Path.Combine(a.OutputDirectory, "config.json"), TestContext.Current.CancellationToken));
        IReadOnlyList<SynthScene> read = SynthGenerator.ReadScenes(a.OutputDirectory);
        Assert.Equal(a.Scenes.Select(SynthGenerator.ToJson), read.Select(SynthGenerator.ToJson));
        Assert.All(read, s => Assert.True(File.Exists(Path.Combine(a.OutputDirectory, s.Media)), s.Media));
        Assert.True(File.Exists(Path.Combine(a.OutputDirectory, "media/images/train/train-image-000000.png")));
        Assert.True(File.Exists(Path.Combine(a.OutputDirectory, "media/clips/test/test-long-000001.mp4")));
        Assert.Empty(Directory.EnumerateFiles(a.OutputDirectory, "*.part", SearchOption.AllDirectories));
    }

    [Fact(Timeout = 60_000)]
    public async Task GenerateAsync_SameConfigFolder_ReusesFiles()
    {
        var (a, _) = Runs();
        string leftover = Path.Combine(a.OutputDirectory, "media/clips/train/.train-clip-000000-batch-000.mp4");
        await File.WriteAllTextAsync(leftover, "interrupted", TestContext.Current.CancellationToken);
        // The worker count does not change the output, so a run with another count continues the same folder.
        SynthResult again = await SynthGenerator.GenerateAsync(SynthConfig.Small with { Workers = 1 }, a.OutputDirectory, ct: TestContext.Current.CancellationToken);
        Assert.Equal(0, again.Rendered);
        Assert.Equal(a.Scenes.Count, again.Reused);
        Assert.False(File.Exists(leftover));
    }

    [Fact(Timeout = 60_000)]
    public async Task GenerateAsync_FolderOfOtherConfigOrFiles_ThrowsOneLine()
    {
        var (a, _) = Runs();
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            SynthGenerator.GenerateAsync(SynthConfig.Small with { Seed = 9 }, a.OutputDirectory, ct: TestContext.Current.CancellationToken));
        Assert.Contains(a.OutputDirectory, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);

        string other = Path.Combine(runs.Root, "other");
        Directory.CreateDirectory(other);
        await File.WriteAllTextAsync(Path.Combine(other, "notes.txt"), "mine", TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<ArgumentException>(() => SynthGenerator.GenerateAsync(SynthConfig.Small, other, ct: TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = 60_000)]
    public async Task Encode_MoveRightClip_SubjectCentroidMovesRightThroughFfmpeg()
    {
        Prereq.RequireFfmpeg();
        string dir = Directory.CreateTempSubdirectory("msdk-synth-move-").FullName;
        try
        {
            SynthScene s = RenderTests.Scene("clip", [RenderTests.RedSquare(0.25, 0.5) with { Size = "medium" }],
                [new SynthEvent(0.1, 1.8, 0, "move-right")], duration: 2, crf: 20);
            using var renderer = new SceneRenderer(SynthConfig.Default);
            string path = Path.Combine(dir, "move.mp4");
            await ClipEncoder.WriteClipsAsync(renderer, [s], [path], TestContext.Current.CancellationToken);
            byte[] rgb = await DecodeAsync(path, dir);
            int frameBytes = s.Width * s.Height * 3, frames = rgb.Length / frameBytes;
            Assert.Equal(16, frames);
            double first = RedCentroidX(rgb.AsSpan(0, frameBytes), s.Width);
            double last = RedCentroidX(rgb.AsSpan((frames - 1) * frameBytes, frameBytes), s.Width);
            Assert.InRange(first, 0.2 * s.Width, 0.3 * s.Width);
            Assert.True(last - first > 0.3 * s.Width, $"centroid moved {first:F1} -> {last:F1}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double RedCentroidX(ReadOnlySpan<byte> rgb, int width)
    {
        double sum = 0;
        int n = 0;
        for (int i = 0, p = 0; i < rgb.Length; i += 3, p++)
            if (rgb[i] > 160 && rgb[i + 1] < 90 && rgb[i + 2] < 110)
            {
                sum += p % width;
                n++;
            }
        Assert.True(n > 50, $"only {n} red pixels");
        return sum / n;
    }
}
