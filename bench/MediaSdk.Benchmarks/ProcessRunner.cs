using System.Diagnostics;
using System.Text;

namespace MediaSdk.Benchmarks;

/// <summary>One timed child process: wall time from just before start to exit, and when each stdout line arrived.</summary>
internal sealed record ProcessResult(int ExitCode, double Seconds, IReadOnlyList<(double Seconds, string Line)> Lines, string StdErr)
{
    /// <summary>Seconds from start to the first stdout line matching <paramref name="match"/>, or null.</summary>
    public double? FirstLine(Func<string, bool> match)
    {
        foreach ((double t, string line) in Lines)
            if (match(line)) return t;
        return null;
    }

    public double? LastLine => Lines.Count > 0 ? Lines[^1].Seconds : null;
}

internal static class ProcessRunner
{
    /// <summary>Shell-quoted command line, for the report.</summary>
    public static string Quote(string file, IEnumerable<string> args) =>
        string.Join(' ', new[] { file }.Concat(args).Select(QuoteOne));

    private static string QuoteOne(string a) =>
        a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./:=,+@%".Contains(c)) ? a : "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>Runs to exit; the clock starts right before <see cref="Process.Start()"/>. Kills the process tree after <paramref name="timeout"/>.</summary>
    public static async Task<ProcessResult> RunAsync(string file, IReadOnlyList<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken ct = default)
    {
        using var process = new Process { StartInfo = StartInfo(file, args) };
        if (environment is not null)
            foreach ((string k, string v) in environment) process.StartInfo.Environment[k] = v;
        var lines = new List<(double, string)>();
        var stderr = new StringBuilder();
        long t0 = Stopwatch.GetTimestamp();
        process.Start();
        process.StandardInput.Close();
        Task readOut = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                double t = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                lock (lines) lines.Add((t, line));
            }
        }, ct);
        Task readErr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                lock (stderr) { if (stderr.Length < 20_000) stderr.AppendLine(line); }
        }, ct);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Quote(file, args)} did not finish within {timeout.TotalSeconds:0} s; stderr: {Tail(stderr.ToString())}");
        }
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        await Task.WhenAll(readOut, readErr).ConfigureAwait(false);
        return new ProcessResult(process.ExitCode, seconds, lines, stderr.ToString());
    }

    /// <summary>Runs and throws when the exit code is not 0.</summary>
    public static async Task<ProcessResult> RunCheckedAsync(string file, IReadOnlyList<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken ct = default)
    {
        ProcessResult r = await RunAsync(file, args, timeout, environment, ct).ConfigureAwait(false);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{Quote(file, args)} exited with {r.ExitCode}: {Tail(r.StdErr)}");
        return r;
    }

    public static string Tail(string s)
    {
        s = s.Trim();
        return s.Length <= 600 ? s : "..." + s[^600..];
    }
}
