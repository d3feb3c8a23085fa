using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace MediaSdk.Tests;

/// <summary>Runs the real mediasdk CLI (built next to this test assembly) as a child process and records its output.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<(TimeSpan At, string Line)> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _streamsOpen = 2;

    private CliProcess(Process process) => _process = process;

    /// <summary>Time since the process was started.</summary>
    public Stopwatch Clock { get; } = new();

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public IReadOnlyList<(TimeSpan At, string Line)> StdoutLines => [.. _stdout];
    public string Stderr => string.Join('\n', _stderr);

    /// <summary>jsonl events printed so far.</summary>
    public IReadOnlyList<JsonElement> Events =>
        [.. _stdout.Where(l => l.Line.StartsWith('{')).Select(l => JsonDocument.Parse(l.Line).RootElement.Clone())];

    public static CliProcess Start(params string[] args)
    {
        string dir = AppContext.BaseDirectory;
        var psi = new ProcessStartInfo(Path.Combine(dir, "MediaSdk.Cli"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var cli = new CliProcess(p);
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) cli.StreamClosed();
            else cli._stdout.Enqueue((cli.Clock.Elapsed, e.Data));
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) cli.StreamClosed();
            else cli._stderr.Enqueue(e.Data);
        };
        cli.Clock.Start();
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs to completion and returns the exit code.</summary>
    public static async Task<(int Exit, CliProcess Cli)> RunAsync(CancellationToken ct, params string[] args)
    {
        var cli = Start(args);
        int exit = await cli.WaitForExitAsync(120_000, ct);
        return (exit, cli);
    }

    public async Task<int> WaitForExitAsync(int timeoutMs, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeoutMs);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await _closed.Task.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"mediasdk did not exit within {timeoutMs} ms. stderr: {Stderr}");
        }
        return _process.ExitCode;
    }

    /// <summary>Polls until <paramref name="predicate"/> holds over the events so far.</summary>
    public async Task<bool> WaitForAsync(Func<IReadOnlyList<JsonElement>, bool> predicate, int timeoutMs)
    {
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < timeoutMs)
        {
            if (predicate(Events)) return true;
            if (_process.HasExited) return predicate(Events);
            await Task.Delay(50);
        }
        return false;
    }

    /// <summary>Sends SIGINT (what Ctrl+C does).</summary>
    public void Interrupt()
    {
        if (!_process.HasExited) _ = kill(_process.Id, 2);
    }

    /// <summary>Pids of live processes named <paramref name="name"/> whose parent is the CLI.</summary>
    public IReadOnlyList<int> Children(string name = "ffmpeg") => MediaSdk.TestSupport.Tools.ChildProcesses(_process.Id, name);

    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void StreamClosed()
    {
        if (Interlocked.Decrement(ref _streamsOpen) == 0) _closed.TrySetResult();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
