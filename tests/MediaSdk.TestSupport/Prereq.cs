using Xunit;

namespace MediaSdk.TestSupport;

/// <summary>Prerequisite checks: a missing tool skips the test on a developer machine but fails it when CI=true.</summary>
public static class Prereq
{
    private static readonly Lazy<bool> s_ffmpeg = new(() => Tools.Find("ffmpeg") is not null && Tools.Find("ffprobe") is not null);
    private static readonly Lazy<bool> s_vulkan = new(() =>
        File.Exists("/usr/lib/x86_64-linux-gnu/libvulkan.so.1") || File.Exists("/usr/lib/libvulkan.so.1") ||
        File.Exists("/usr/lib64/libvulkan.so.1") || OperatingSystem.IsWindows() && File.Exists(Path.Combine(Environment.SystemDirectory, "vulkan-1.dll")));

    /// <summary>True when the environment variable CI is "true" (missing prerequisites then fail instead of skip).</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when ffmpeg and ffprobe are on PATH.</summary>
    public static bool HasFfmpeg => s_ffmpeg.Value;

    /// <summary>True when the Vulkan loader is installed (a device may still be missing).</summary>
    public static bool HasVulkanLoader => s_vulkan.Value;

    /// <summary>Skips (or, under CI, fails) the test unless ffmpeg and ffprobe are installed.</summary>
    public static void RequireFfmpeg() => Require(HasFfmpeg, "ffmpeg/ffprobe not found on PATH; install with `apt-get install ffmpeg`.");

    /// <summary>Skips (or, under CI, fails) the test unless the Vulkan loader is installed.</summary>
    public static void RequireVulkan() => Require(HasVulkanLoader,
        "Vulkan loader not found; install with `apt-get install mesa-vulkan-drivers libvulkan1`.");

    /// <summary>
    /// Skips (or, under CI, fails) the test when this process ignores SIGINT: children inherit that, so a CLI started
    /// from here cannot be interrupted. A non-interactive shell does it to every job it starts with <c>&amp;</c>.
    /// </summary>
    public static void RequireSigintDelivered() => Require(!SigintIgnored(),
        "SIGINT is ignored in the test process (started in the background by a non-interactive shell, e.g. `cmd &`), " +
        "so the CLI it starts cannot be interrupted; run the tests in the foreground or from a job-control shell.");

    private static bool SigintIgnored()
    {
        if (!OperatingSystem.IsLinux()) return false;
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
                return (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << 1)) != 0; // bit n-1 for signal n; SIGINT = 2
        return false;
    }

    /// <summary>Skips (or, under CI, fails) with <paramref name="reason"/> unless <paramref name="condition"/> holds.</summary>
    public static void Require(bool condition, string reason)
    {
        if (condition) return;
        if (IsCi) Assert.Fail("Missing prerequisite under CI=true: " + reason);
        Assert.Skip(reason);
    }
}
