using System.Globalization;
using MediaSdk.Training;
using Spectre.Console;

namespace MediaSdk.Cli;

/// <summary>
/// Training progress for <c>mediasdk train</c>. On a terminal: a live Spectre.Console bar with the step's metrics and an
/// ETA. Redirected (CI, a log file): one plain line about every 1/20 of the run, on every evaluation step, and on the
/// last step. <see cref="Report"/> and <see cref="Message"/> are called from the trainer's thread.
/// </summary>
internal sealed class TrainProgress : IDisposable
{
    private const int EtaWindow = 20;

    private readonly int _totalSteps;
    private readonly int _every;
    private readonly TextWriter _plain;
    private readonly double[] _recentMs = new double[EtaWindow];
    private int _recentCount;
    private bool _reportedAny;

    // Interactive only: Spectre's Progress runs inside a callback, so it lives on a background task until Dispose.
    private readonly Task? _display;
    private readonly TaskCompletionSource<ProgressTask> _bar = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _interactive;
    private bool _disposed;

    /// <summary>Starts the display for a run of <paramref name="totalSteps"/> steps.</summary>
    /// <param name="totalSteps">Optimiser steps in the whole run.</param>
    /// <param name="interactive">True on a terminal (<c>!Console.IsOutputRedirected</c>): live bar; else plain lines.</param>
    public TrainProgress(int totalSteps, bool interactive) : this(totalSteps, interactive, Console.Out) { }

    /// <summary>As the public constructor, with plain lines going to <paramref name="plain"/> (tests).</summary>
    internal TrainProgress(int totalSteps, bool interactive, TextWriter plain)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        _totalSteps = totalSteps;
        _every = Math.Max(1, (int)Math.Ceiling(totalSteps / 20.0));
        _plain = plain;
        _interactive = interactive;
        if (interactive)
            _display = Task.Run(RunDisplayAsync);
    }

    /// <summary>Shows one optimiser step.</summary>
    public void Report(TrainingStepRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _recentMs[_recentCount++ % EtaWindow] = r.StepMilliseconds;
        TimeSpan eta = Eta(r);
        if (_interactive && Bar() is ProgressTask bar)
        {
            bar.Description = Markup.Escape(FormatLine(r, eta));
            bar.Value = Math.Min(r.Step, _totalSteps);
        }
        else if (!_reportedAny || r.Step % _every == 0 || r.Step >= _totalSteps || r.EvalHit1 is not null)
        {
            _plain.WriteLine(FormatLine(r, eta));
            _plain.Flush();
        }
        _reportedAny = true;
    }

    /// <summary>Prints a line (e.g. "saved checkpoint ...") above the live bar, or as a plain line.</summary>
    public void Message(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_interactive && Bar() is not null)
        {
            AnsiConsole.WriteLine(line);
        }
        else
        {
            _plain.WriteLine(line);
            _plain.Flush();
        }
    }

    /// <summary>
    /// The plain progress line, e.g.
    /// <c>step 50/200 loss 1.234 nce 1.000 ntp 0.047 acc 0.88 lr 1.0e-04 412 ms/step eta 1m02s</c>
    /// (<c>ntp off</c> when the generative loss was off; <c> hit1 0.81</c> appended on evaluation steps).
    /// </summary>
    internal static string FormatLine(TrainingStepRecord r, TimeSpan eta)
    {
        ArgumentNullException.ThrowIfNull(r);
        var c = CultureInfo.InvariantCulture;
        string ntp = r.Ntp is double n ? n.ToString("0.000", c) : "off";
        string line = string.Create(c,
            $"step {r.Step}/{r.TotalSteps} loss {r.Loss:0.000} nce {r.InfoNce:0.000} ntp {ntp} acc {r.Accuracy:0.00} lr {r.LearningRate:0.0e+00} {r.StepMilliseconds:0} ms/step eta {FormatEta(eta)}");
        return r.EvalHit1 is double h ? string.Create(c, $"{line} hit1 {h:0.00}") : line;
    }

    /// <summary>Compact duration: <c>42s</c>, <c>1m02s</c>, <c>2h05m</c>.</summary>
    internal static string FormatEta(TimeSpan eta)
    {
        long s = (long)Math.Max(0, Math.Round(eta.TotalSeconds));
        return s < 60 ? $"{s}s"
            : s < 3600 ? $"{s / 60}m{s % 60:00}s"
            : $"{s / 3600}h{s / 60 % 60:00}m";
    }

    /// <summary>Stops the live display, leaving the last bar on screen.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_display is null)
            return;
        if (_bar.Task.IsCompletedSuccessfully)
            _bar.Task.Result.StopTask();
        _stop.TrySetResult();
        try
        {
            _display.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The display failed to start; Report already fell back to plain lines.
        }
    }

    private TimeSpan Eta(TrainingStepRecord r)
    {
        int n = Math.Min(_recentCount, EtaWindow);
        double avgMs = 0;
        for (int i = 0; i < n; i++)
            avgMs += _recentMs[i];
        avgMs /= Math.Max(1, n);
        return TimeSpan.FromMilliseconds(avgMs * Math.Max(0, _totalSteps - r.Step));
    }

    /// <summary>The live bar once it is up; null (and plain lines from then on) when the display could not start.</summary>
    private ProgressTask? Bar()
    {
        try
        {
            return _bar.Task.WaitAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            _interactive = false;
            _plain.WriteLine($"progress display unavailable ({e.Message}); printing plain lines");
            return null;
        }
    }

    private async Task RunDisplayAsync()
    {
        try
        {
            await AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new ProgressBarColumn(), new PercentageColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
                .StartAsync(async ctx =>
                {
                    ProgressTask bar = ctx.AddTask(Markup.Escape($"step 0/{_totalSteps}"), maxValue: _totalSteps);
                    _bar.TrySetResult(bar);
                    await _stop.Task.ConfigureAwait(false);
                    ctx.Refresh();
                }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            _bar.TrySetException(new InvalidOperationException(e.Message, e));
        }
    }
}
