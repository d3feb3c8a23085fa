using System.Globalization;
using System.Runtime.InteropServices;

namespace MediaSdk.Benchmarks;

/// <summary>What every benchmark shares: the repository, the tools, the machine, and the size of the run.</summary>
internal sealed class BenchContext
{
    public required string RepoRoot { get; init; }
    public required string Cli { get; init; }
    public required string Ffmpeg { get; init; }
    public required bool Quick { get; init; }
    public required string CommandLine { get; init; }
    public required string Machine { get; init; }

    public string ArtifactsDir => Path.Combine(RepoRoot, "artifacts", "bench");

    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static void Log(string message) => Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {message}");

    /// <summary>Walks up from the working directory (then the binary's folder) to the folder holding MediaSdk.sln.</summary>
    public static string FindRepoRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "MediaSdk.sln"))) return d.FullName;
        }
        throw new DirectoryNotFoundException("MediaSdk.sln not found above the working directory or the benchmark binary; run from the repository.");
    }

    /// <summary>CPU model (/proc/cpuinfo), cores, OS (/etc/os-release), kernel, .NET and ffmpeg versions.</summary>
    public static string DescribeMachine(string ffmpeg)
    {
        string cpu = "unknown CPU";
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) cpu = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException) { }
        string os = RuntimeInformation.OSDescription;
        try
        {
            string? pretty = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            if (pretty is not null) os = pretty["PRETTY_NAME=".Length..].Trim('"') + $" (kernel {Environment.OSVersion.Version})";
        }
        catch (IOException) { }
        string ffv = "unknown";
        try
        {
            ProcessResult r = ProcessRunner.RunAsync(ffmpeg, ["-hide_banner", "-version"], TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            if (r.Lines.Count > 0) ffv = r.Lines[0].Line.Split(' ').ElementAtOrDefault(2) ?? ffv;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or TimeoutException) { }
        bool bf16 = false;
        try { bf16 = File.ReadAllText("/proc/cpuinfo").Contains(" avx512_bf16", StringComparison.Ordinal); } catch (IOException) { }
        return $"{cpu}, {Environment.ProcessorCount} cores{(bf16 ? " (avx512_bf16)" : "")}, {os}, .NET {Environment.Version}, ffmpeg {ffv}";
    }
}
