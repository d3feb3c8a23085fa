namespace MediaSdk.Benchmarks;

/// <summary>Test clips, generated once with ffmpeg into artifacts/bench/ and reused by later runs.</summary>
internal static class Clips
{
    /// <summary>A 1280x720 30 fps H.264 (libx264 veryfast, yuv420p) testsrc2 clip of <paramref name="seconds"/> s.</summary>
    public static async Task<string> Get720p30Async(BenchContext ctx, int seconds)
    {
        Directory.CreateDirectory(ctx.ArtifactsDir);
        string path = Path.Combine(ctx.ArtifactsDir, $"testsrc2-720p30-{seconds}s.mp4");
        if (File.Exists(path)) return path;
        string tmp = path + ".tmp.mp4";
        BenchContext.Log($"generating {Path.GetFileName(path)} (once)");
        await ProcessRunner.RunCheckedAsync(ctx.Ffmpeg,
        [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", $"testsrc2=size=1280x720:rate=30:duration={seconds}",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", tmp,
        ], TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        File.Move(tmp, path, overwrite: true);
        return path;
    }
}
