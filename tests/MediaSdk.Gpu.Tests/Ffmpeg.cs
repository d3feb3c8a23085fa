using System.Diagnostics;

namespace MediaSdk.Gpu.Tests;

/// <summary>Runs the real ffmpeg; skips on a dev machine without it, fails under CI=true.</summary>
internal static class Ffmpeg
{
    private static readonly Lazy<bool> s_available = new(() =>
    {
        try
        {
            using Process p = Process.Start(new ProcessStartInfo("ffmpeg", "-hide_banner -version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    });

    public static void Require()
    {
        if (s_available.Value) return;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail("ffmpeg is not on PATH; install it (apt-get install -y ffmpeg). CI=true forbids skipping.");
        Assert.Skip("ffmpeg is not on PATH; install it to run this test.");
    }

    /// <summary>Runs ffmpeg with <paramref name="args"/> and returns its stdout bytes.</summary>
    public static async Task<byte[]> RunAsync(string args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("ffmpeg", "-hide_banner -loglevel error -nostdin " + args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process p = Process.Start(psi)!;
        using var ms = new MemoryStream();
        Task copy = p.StandardOutput.BaseStream.CopyToAsync(ms, ct);
        Task<string> err = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        await copy;
        string stderr = await err;
        if (p.ExitCode != 0) throw new InvalidOperationException($"ffmpeg {args} failed ({p.ExitCode}): {stderr}");
        return ms.ToArray();
    }
}
