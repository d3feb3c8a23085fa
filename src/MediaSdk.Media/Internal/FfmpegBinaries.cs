using System.Collections.Concurrent;

namespace MediaSdk.Media.Internal;

/// <summary>Finds the ffmpeg and ffprobe executables (cheap and cached).</summary>
internal static class FfmpegBinaries
{
    private static readonly ConcurrentDictionary<string, string?> s_cache = new(StringComparer.Ordinal);

    /// <summary>Full path of <paramref name="tool"/> (ffmpeg or ffprobe).</summary>
    /// <exception cref="DependencyMissingException">It is not installed.</exception>
    public static string Resolve(string tool, FfmpegOptions options)
    {
        string key = tool + "|" + options.BinaryFolder;
        string? found = s_cache.GetOrAdd(key, _ => Find(tool, options.BinaryFolder));
        if (found is null)
        {
            s_cache.TryRemove(key, out _); // let a later install be found without a restart
            string where = options.BinaryFolder is null ? "on PATH" : $"in '{options.BinaryFolder}'";
            throw new DependencyMissingException(
                $"{tool} was not found {where}; install it with `apt-get install ffmpeg` (Debian/Ubuntu) or set FfmpegOptions.BinaryFolder.");
        }
        return found;
    }

    private static string? Find(string tool, string? folder)
    {
        string exe = OperatingSystem.IsWindows() ? tool + ".exe" : tool;
        if (folder is not null)
        {
            string candidate = Path.Combine(folder, exe);
            return File.Exists(candidate) ? candidate : null;
        }
        string? path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path)) return null;
        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
