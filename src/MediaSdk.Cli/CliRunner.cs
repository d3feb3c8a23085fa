using System.CommandLine;

namespace MediaSdk.Cli;

/// <summary>Parses, runs and turns failures into one-line errors with the contract's exit codes.</summary>
internal static class CliRunner
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) Console.Error.WriteLine($"mediasdk: {error.Message}");
            Console.Error.WriteLine("Run 'mediasdk --help' or 'mediasdk <command> --help' for usage.");
            return ExitCodes.Usage;
        }

        using var cts = new CancellationTokenSource();
        // Ctrl+C / SIGTERM stop the streams cleanly (ffmpeg children exit); the events so far are already written.
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cts.Cancel(); });
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        catch (Exception e)
        {
            bool verbose = args.Contains("--verbose");
            ReportError(e, verbose);
            return ExitCodes.For(e);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>One line on stderr (what, where, how to fix); the stack trace only with --verbose.</summary>
    public static void ReportError(Exception e, bool verbose)
    {
        string message = e is MediaSdkException or UsageException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        Console.Error.WriteLine($"mediasdk: error: {message.ReplaceLineEndings(" ")}");
        if (verbose) Console.Error.WriteLine(e.ToString());
    }
}
