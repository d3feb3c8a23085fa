using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace MediaSdk.Media.Internal;

/// <summary>One ffmpeg child process writing raw frames to stdout. Owns the process: <see cref="DisposeAsync"/> kills it
/// (with any children) and waits for it to exit, so no ffmpeg outlives its source.</summary>
internal sealed class FfmpegProcess : IAsyncDisposable
{
    private const int StderrLines = 8;
    private readonly Process _process;
    private readonly Queue<string> _stderr = new();
    private int _killed;

    private FfmpegProcess(Process process) => _process = process;

    /// <summary>Process id (for diagnostics and tests).</summary>
    public int Id => _process.Id;

    /// <summary>Raw video bytes (ffmpeg's stdout).</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>True once <see cref="Kill"/> was called (a stall, a cancellation or the end of a requested duration).</summary>
    public bool WasKilled => Volatile.Read(ref _killed) != 0;

    /// <summary>The last lines ffmpeg wrote to stderr, joined into one line ("" when none).</summary>
    public string LastError
    {
        get
        {
            lock (_stderr) return string.Join(" | ", _stderr);
        }
    }

    public static FfmpegProcess Start(string ffmpeg, IReadOnlyList<string> arguments, ILogger logger, string source)
    {
        var psi = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            string joined = string.Join(' ', arguments);
            Log.FfmpegStarting(logger, source, joined);
        }
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var wrapper = new FfmpegProcess(process);
        process.ErrorDataReceived += wrapper.OnStderr;
        process.Start();
        process.BeginErrorReadLine();
        return wrapper;
    }

    private void OnStderr(object sender, DataReceivedEventArgs e)
    {
        if (string.IsNullOrWhiteSpace(e.Data)) return;
        lock (_stderr)
        {
            if (_stderr.Count == StderrLines) _stderr.Dequeue();
            _stderr.Enqueue(e.Data.Trim());
        }
    }

    /// <summary>Ends the process (and its children) now. Safe to call from any thread, more than once.</summary>
    public void Kill()
    {
        Interlocked.Exchange(ref _killed, 1);
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // exiting concurrently
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code (kills it if it has not exited within 5 s).</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        _process.ErrorDataReceived -= OnStderr;
        _process.Dispose();
    }
}
