using System.Diagnostics;
using System.Globalization;
using MediaSdk.Media;
using MediaSdk.Media.Internal;
using SkiaSharp;

namespace MediaSdk.Synth.Internal;

/// <summary>
/// Writes one scene's media: a PNG for an image; for a clip, raw RGB24 frames piped into a single-threaded,
/// bit-exact libx264 so the same scene always encodes to the same bytes. Files are written under a temporary name
/// and renamed, so a file at its final path is always complete.
/// </summary>
internal static class ClipEncoder
{
    public static async Task WriteAsync(SceneRenderer renderer, SynthScene scene, string path, CancellationToken ct)
    {
        string partial = path + ".part";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (scene.Kind == "image")
        {
            SKBitmap frame = renderer.Render(scene, 0);
            using (SKData png = frame.Encode(SKEncodedImageFormat.Png, 100))
            await using (FileStream file = File.Create(partial))
                await file.WriteAsync(png.AsSpan().ToArray(), ct).ConfigureAwait(false);
        }
        else
        {
            await EncodeAsync(renderer, scene, partial, ct).ConfigureAwait(false);
        }
        File.Move(partial, path, overwrite: true);
    }

    private static async Task EncodeAsync(SceneRenderer renderer, SynthScene s, string output, CancellationToken ct)
    {
        string ffmpeg = FfmpegBinaries.Resolve("ffmpeg", FfmpegOptions.Default);
        string fps = s.Fps.ToString(CultureInfo.InvariantCulture);
        var psi = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[]
        {
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{s.Width}x{s.Height}", "-r", fps, "-i", "pipe:0",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", s.Crf.ToString(CultureInfo.InvariantCulture),
            "-pix_fmt", "yuv420p", "-g", Math.Max(1, (int)Math.Round(s.Fps)).ToString(CultureInfo.InvariantCulture),
            // One thread and bit-exact muxing: the same frames give the same bytes on every run.
            "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
            "-f", "mp4", output,
        })
            psi.ArgumentList.Add(a);

        using var process = Process.Start(psi)
            ?? throw new DependencyMissingException($"could not start ffmpeg ('{ffmpeg}'); check the install with `ffmpeg -version`.");
        Task<string> stderr = process.StandardError.ReadToEndAsync(ct);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(ct);
        byte[] rgb = new byte[s.Width * s.Height * 3];
        int frames = SceneRenderer.FrameCount(s);
        try
        {
            Stream stdin = process.StandardInput.BaseStream;
            for (int i = 0; i < frames; i++)
            {
                renderer.Render(s, i);
                renderer.CopyRgb24(rgb);
                await stdin.WriteAsync(rgb, ct).ConfigureAwait(false);
            }
            await stdin.FlushAsync(ct).ConfigureAwait(false);
            process.StandardInput.Close();
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            if (e is OperationCanceledException) throw;
        }
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        string err = await stderr.ConfigureAwait(false);
        await stdout.ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"ffmpeg failed ({process.ExitCode}) encoding {s.Id} to '{output}': {err.ReplaceLineEndings(" ").Trim()}");
    }
}
