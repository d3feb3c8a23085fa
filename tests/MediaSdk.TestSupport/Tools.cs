using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MediaSdk.TestSupport;

/// <summary>Small helpers: find executables, run a tool to completion, free ports, child processes via /proc.</summary>
public static class Tools
{
    /// <summary>Full path of <paramref name="tool"/> on PATH, or null.</summary>
    public static string? Find(string tool)
    {
        string exe = OperatingSystem.IsWindows() ? tool + ".exe" : tool;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string p = Path.Combine(dir, exe);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Runs <paramref name="tool"/> with <paramref name="args"/> and returns (exit code, stdout, stderr).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string tool, IEnumerable<string> args, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(Find(tool) ?? tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(ct);
        Task<string> stderr = p.StandardError.ReadToEndAsync(ct);
        try
        {
            await p.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreeTcpPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>A UDP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreeUdpPort()
    {
        using var s = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.Client.LocalEndPoint!).Port;
    }

    /// <summary>Pids of live (not zombie) direct child processes of this process whose name is <paramref name="name"/>
    /// (Linux /proc; empty elsewhere).</summary>
    public static IReadOnlyList<int> ChildProcesses(string name = "ffmpeg") => ChildProcesses(Environment.ProcessId, name);

    /// <summary>Pids of live (not zombie) direct children of process <paramref name="parent"/> named <paramref name="name"/>.</summary>
    public static IReadOnlyList<int> ChildProcesses(int parent, string name)
    {
        var result = new List<int>();
        if (!Directory.Exists("/proc")) return result;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            // Format: pid (comm) state ppid ...; comm may contain spaces, so split after the last ')'.
            int open = stat.IndexOf('(', StringComparison.Ordinal), close = stat.LastIndexOf(')');
            if (open < 0 || close < open) continue;
            string comm = stat[(open + 1)..close];
            string[] rest = stat[(close + 2)..].Split(' ');
            if (rest.Length < 2 || rest[0] is "Z" or "X") continue;
            if (comm == name && int.TryParse(rest[1], out int ppid) && ppid == parent) result.Add(pid);
        }
        return result;
    }

    /// <summary>True when a process with <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && stat.Length > close + 2 && stat[close + 2] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Polls until no ffmpeg child of this process is alive, or the timeout passes; returns those left.</summary>
    public static async Task<IReadOnlyList<int>> WaitForNoChildrenAsync(string name = "ffmpeg", int timeoutMs = 3000, IReadOnlyCollection<int>? ignore = null)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var left = ChildProcesses(name).Where(p => ignore is null || !ignore.Contains(p)).ToList();
            if (left.Count == 0 || sw.ElapsedMilliseconds > timeoutMs) return left;
            await Task.Delay(50);
        }
    }
}
