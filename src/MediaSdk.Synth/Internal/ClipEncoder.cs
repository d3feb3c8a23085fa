using System.Diagnostics;
using System.Globalization;
using MediaSdk.Media;
using MediaSdk.Media.Internal;
using SkiaSharp;

namespace MediaSdk.Synth.Internal;

/// <summary>
/// Writes scenes' media: a PNG per image; for clips, raw RGB24 frames piped into a single-threaded, bit-exact libx264
/// so the same frames always encode to the same bytes. Starting ffmpeg costs about 0.3 s of CPU, more than encoding
/// a 2 s clip, so a batch of clips with the same size, rate and CRF is encoded by one ffmpeg into one stream with a
/// forced IDR frame at each clip start, and the segment muxer cuts it into one MP4 per clip there (closed GOPs: every
/// file decodes on its own to exactly its frames). Files are written under a temporary name and renamed, so a file at
/// its final path is always complete.
/// </summary>
internal static class ClipEncoder
{
    public static async Task WriteImageAsync(SceneRenderer renderer, SynthScene scene, string path, CancellationToken ct)
    {
        string partial = path + ".part";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        SKBitmap frame = renderer.Render(scene, 0);
        using (SKData png = frame.Encode(SKEncodedImageFormat.Png, 100))
        await using (FileStream file = File.Create(partial))
            await file.WriteAsync(png.AsSpan().ToArray(), ct).ConfigureAwait(false);
        File.Move(partial, path, overwrite: true);
    }

    /// <summary>Encodes <paramref name="scenes"/> (same width, height, fps and CRF) to <paramref name="paths"/> with one ffmpeg.</summary>
    public static async Task WriteClipsAsync(SceneRenderer renderer, IReadOnlyList<SynthScene> scenes, IReadOnlyList<string> paths, CancellationToken ct)
    {
        SynthScene s0 = scenes[0];
        if (scenes.Any(s => s.Width != s0.Width || s.Height != s0.Height || s.Fps != s0.Fps || s.Crf != s0.Crf))
            throw new ArgumentException("a clip batch must share width, height, fps and CRF");
        string folder = Path.GetDirectoryName(paths[0])!;
        Directory.CreateDirectory(folder);
        string stem = Path.Combine(folder, "." + Path.GetFileNameWithoutExtension(paths[0]) + "-batch");
        var starts = new List<int>();
        int total = 0;
        foreach (SynthScene s in scenes)
        {
            starts.Add(total);
            total += SceneRenderer.FrameCount(s);
        }
        string cuts = string.Join(',', starts.Skip(1).Select(n => n.ToString(CultureInfo.InvariantCulture)));
        string keys = "expr:" + string.Join('+', starts.Select(n => $"eq(n,{n.ToString(CultureInfo.InvariantCulture)})"));
        var args = new List<string>
        {
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{s0.Width}x{s0.Height}", "-r", s0.Fps.ToString(CultureInfo.InvariantCulture), "-i", "pipe:0",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", s0.Crf.ToString(CultureInfo.InvariantCulture),
            "-pix_fmt", "yuv420p", "-g", Math.Max(1, (int)Math.Round(s0.Fps)).ToString(CultureInfo.InvariantCulture),
            "-force_key_frames", keys,
            // One thread and bit-exact muxing: the same frames give the same bytes on every run.
            "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
        };
        if (scenes.Count == 1)
            args.AddRange(["-f", "mp4", stem + "-000.mp4"]);
        else
            args.AddRange(["-f", "segment", "-segment_format", "mp4", "-segment_frames", cuts, "-reset_timestamps", "1", stem + "-%03d.mp4"]);
        await RunAsync(renderer, scenes, args, total, ct).ConfigureAwait(false);
        for (int i = 0; i < scenes.Count; i++)
        {
            string part = $"{stem}-{i.ToString("D3", CultureInfo.InvariantCulture)}.mp4";
            if (!File.Exists(part))
                throw new InvalidOperationException($"ffmpeg wrote no segment {i} for {scenes[i].Id} ('{part}'); the clip batch did not split at its forced key frames.");
            File.Move(part, paths[i], overwrite: true);
        }
    }

    private static async Task RunAsync(SceneRenderer renderer, IReadOnlyList<SynthScene> scenes, List<string> args, int total, CancellationToken ct)
    {
        string ffmpeg = FfmpegBinaries.Resolve("ffmpeg", FfmpegOptions.Default);
        var psi = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)
            ?? throw new DependencyMissingException($"could not start ffmpeg ('{ffmpeg}'); check the install with `ffmpeg -version`.");
        Task<string> stderr = process.StandardError.ReadToEndAsync(ct);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(ct);
        SynthScene s0 = scenes[0];
        byte[] rgb = new byte[s0.Width * s0.Height * 3];
        try
        {
            Stream stdin = process.StandardInput.BaseStream;
            foreach (SynthScene s in scenes)
            {
                int frames = SceneRenderer.FrameCount(s);
                for (int i = 0; i < frames; i++)
                {
                    renderer.Render(s, i);
                    renderer.CopyRgb24(rgb);
                    await stdin.WriteAsync(rgb, ct).ConfigureAwait(false);
                }
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
            throw new InvalidOperationException($"ffmpeg failed ({process.ExitCode}) encoding {s0.Id} ({scenes.Count} clips, {total} frames): {err.ReplaceLineEndings(" ").Trim()}");
    }
}
