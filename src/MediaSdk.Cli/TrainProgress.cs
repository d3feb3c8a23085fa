using System.Globalization;
using MediaSdk.Training;
using Spectre.Console;

namespace MediaSdk.Cli;

/// <summary>
/// Training progress for <c>mediasdk train</c>. On a terminal: a live two-line Spectre.Console display (bar, step,
/// percent, ETA; then the step's metrics). Redirected (CI, a log file): one plain line about every 1/20 of the run, on
/// every evaluation step, and on the last step. <see cref="Report"/> and <see cref="Message"/> are called from the
/// trainer's thread.
/// </summary>
internal sealed class TrainProgress : IDisposable
{
    private const int EtaWindow = 20;
    private const int BarWidth = 30;

    private readonly int _totalSteps;
    private readonly int _every;
    private readonly TextWriter _plain;
    private readonly double[] _recentMs = new double[EtaWindow];
    private int _recentCount;
    private bool _reportedAny;

    // Interactive only: Spectre's live display runs inside a callback, so it lives on a background task until
    // Dispose; Report hands it the newest markup, which it shows at most every 100 ms.
    private readonly Task? _display;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _pending;
    private bool _interactive;
    private bool _disposed;

    /// <summary>Starts the display for a run of <paramref name="totalSteps"/> steps.</summary>
    /// <param name="totalSteps">Optimiser steps in the whole run.</param>
    /// <param name="interactive">True on a terminal (<c>!Console.IsOutputRedirected</c>): live display; else plain lines.</param>
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
        if (_interactive && DisplayUp())
        {
            Volatile.Write(ref _pending, LiveMarkup(r, eta));
        }
        else if (!_reportedAny || r.Step % _every == 0 || r.Step >= _totalSteps || r.EvalHit1 is not null)
        {
            _plain.WriteLine(FormatLine(r, eta));
            _plain.Flush();
        }
        _reportedAny = true;
    }

    /// <summary>Prints a line (e.g. "saved checkpoint ...") above the live display, or as a plain line.</summary>
    public void Message(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_interactive && DisplayUp())
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
        return string.Create(CultureInfo.InvariantCulture, $"step {r.Step}/{r.TotalSteps} {Metrics(r)} eta {FormatEta(eta)}{Hit1(r)}");
    }

    /// <summary>Compact duration: <c>42s</c>, <c>1m02s</c>, <c>2h05m</c>.</summary>
    internal static string FormatEta(TimeSpan eta)
    {
        long s = (long)Math.Max(0, Math.Round(eta.TotalSeconds));
        return s < 60 ? $"{s}s"
            : s < 3600 ? $"{s / 60}m{s % 60:00}s"
            : $"{s / 3600}h{s / 60 % 60:00}m";
    }

    /// <summary>Stops the live display, leaving its last state on screen.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_display is null)
            return;
        _stop.TrySetResult();
        try
        {
            _display.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The display failed; Report already fell back to plain lines.
        }
    }

    private static string Metrics(TrainingStepRecord r)
    {
        var c = CultureInfo.InvariantCulture;
        string ntp = r.Ntp is double n ? n.ToString("0.000", c) : "off";
        return string.Create(c,
            $"loss {r.Loss:0.000} nce {r.InfoNce:0.000} ntp {ntp} acc {r.Accuracy:0.00} lr {r.LearningRate:0.0e+00} {r.StepMilliseconds:0} ms/step");
    }

    private static string Hit1(TrainingStepRecord r) =>
        r.EvalHit1 is double h ? string.Create(CultureInfo.InvariantCulture, $" hit1 {h:0.00}") : "";

    /// <summary>Two lines: bar, step, percent, ETA; then the metrics (fits 80 columns).</summary>
    private string LiveMarkup(TrainingStepRecord r, TimeSpan eta)
    {
        double fraction = Math.Clamp(r.Step / (double)_totalSteps, 0, 1);
        int filled = (int)Math.Round(fraction * BarWidth);
        string colour = r.Step >= _totalSteps ? "green" : "yellow";
        return string.Create(CultureInfo.InvariantCulture,
            $"[{colour}]{new string('━', filled)}[/][grey]{new string('━', BarWidth - filled)}[/] step {r.Step}/{r.TotalSteps} {fraction * 100:0}% eta {FormatEta(eta)}\n[grey]{Markup.Escape(Metrics(r) + Hit1(r))}[/]");
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

    /// <summary>True once the live display is up; false (and plain lines from then on) when it could not start.</summary>
    private bool DisplayUp()
    {
        try
        {
            _started.Task.Wait(TimeSpan.FromSeconds(5));
            if (_started.Task.IsCompletedSuccessfully)
                return true;
            throw new TimeoutException("the live display did not start within 5 s");
        }
        catch (Exception e) when (e is AggregateException or TimeoutException)
        {
            _interactive = false;
            _plain.WriteLine($"progress display unavailable ({e.GetBaseException().Message}); printing plain lines");
            return false;
        }
    }

    private async Task RunDisplayAsync()
    {
        try
        {
            await AnsiConsole.Live(new Markup(Markup.Escape($"step 0/{_totalSteps}")))
                .AutoClear(false)
                .Overflow(VerticalOverflow.Ellipsis)
                .StartAsync(async ctx =>
                {
                    _started.TrySetResult();
                    while (true)
                    {
                        if (Interlocked.Exchange(ref _pending, null) is string markup)
                        {
                            ctx.UpdateTarget(new Markup(markup));
                            ctx.Refresh();
                        }
                        if (_stop.Task.IsCompleted)
                            break;
                        await Task.WhenAny(_stop.Task, Task.Delay(100)).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            _started.TrySetException(e);
        }
    }
}
