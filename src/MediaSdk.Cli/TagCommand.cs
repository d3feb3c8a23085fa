using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using MediaSdk.Model;
using Microsoft.Extensions.Logging;

namespace MediaSdk.Cli;

/// <summary><c>mediasdk tag &lt;file|url&gt;</c>: windows a video, encodes each window and prints its best labels.</summary>
internal static class TagCommand
{
    private static readonly Argument<string> s_input = new("input") { Description = "A video file or a live URL (tcp, udp, rtp, rtsp, rtmp, srt, http, https)." };
    private static readonly Option<string?> s_model = new("--model") { Description = "Model directory (config.json + model.safetensors). Default: the shipped btok-tiny (trained on the synthetic world of docs/synth.md), else a seeded random-init model." };
    private static readonly Option<string?> s_labels = new("--labels") { Description = "Comma-separated labels to score each window against." };
    private static readonly Option<FileInfo?> s_labelsFile = new("--labels-file") { Description = "A file with one label per line." };
    private static readonly Option<double?> s_window = new("--window") { Description = "Window length in seconds (default 2)." };
    private static readonly Option<double?> s_hop = new("--hop") { Description = "Seconds between window starts (default 1)." };
    private static readonly Option<int?> s_frames = new("--frames") { Description = "Frames per window (default 8)." };
    private static readonly Option<double?> s_start = new("--start") { Description = "Start at this media time (seconds)." };
    private static readonly Option<double?> s_end = new("--end") { Description = "Stop at this media time (seconds)." };
    private static readonly Option<double?> s_duration = new("--duration") { Description = "Process at most this much media time (seconds; for a live stream, about wall time)." };
    private static readonly Option<string> s_device = new("--device") { Description = "Where the encoder runs.", DefaultValueFactory = _ => "auto" };
    private static readonly Option<string> s_preprocess = new("--preprocess") { Description = "Where frames are prepared.", DefaultValueFactory = _ => "auto" };
    private static readonly Option<string?> s_hwaccel = new("--hwaccel") { Description = "ffmpeg -hwaccel value, passed through (e.g. vaapi)." };
    private static readonly Option<int?> s_threads = new("--threads") { Description = "CPU threads for the encoder and for ffmpeg (default: up to 4 and 2)." };
    private static readonly Option<bool> s_explain = new("--explain") { Description = "Decode a short text from each window's bottleneck tokens (read-back). Meaningful only for a GIC-trained model; the random-init default decodes arbitrary tokens." };
    private static readonly Option<string?> s_instruction = new("--instruction") { Description = "Text placed after each window's frames, as in the model's training queries (the default model: \"What is the main object doing?\" with motion labels such as \"moving left\"). Default: frames only." };
    private static readonly Option<double?> s_connectTimeout = new("--connect-timeout") { Description = "Seconds to keep trying the first connection to a live URL (default 10)." };
    private static readonly Option<string> s_format = new("--format") { Description = "Output format.", DefaultValueFactory = _ => "table" };
    private static readonly Option<bool> s_verbose = new("--verbose") { Description = "Log details and print stack traces on errors." };

    public static Command Create()
    {
        s_device.AcceptOnlyFromAmong("auto", "cpu", "cuda");
        s_preprocess.AcceptOnlyFromAmong("auto", "cpu", "vulkan");
        s_format.AcceptOnlyFromAmong("table", "jsonl");
        var command = new Command("tag", "Tag a video file or live stream window by window.")
        {
            s_input, s_model, s_labels, s_labelsFile, s_window, s_hop, s_frames, s_start, s_end, s_duration, s_device,
            s_preprocess, s_hwaccel, s_threads, s_explain, s_instruction, s_connectTimeout, s_format, s_verbose,
        };
        command.SetAction((parsed, ct) => RunAsync(parsed, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult p, CancellationToken ct)
    {
        if (p.GetValue(s_preprocess) == "vulkan")
            throw new DeviceUnavailableException("--preprocess vulkan is not in this build yet (the Vulkan compute path arrives with its own issue); use --preprocess cpu or auto.");

        string input = p.GetValue(s_input)!;
        var streamOptions = new StreamOptions
        {
            Window = ParseWindow(p),
            Source = new SourceOptions
            {
                Start = Seconds(p.GetValue(s_start), "--start"),
                End = Seconds(p.GetValue(s_end), "--end"),
                Duration = Seconds(p.GetValue(s_duration), "--duration"),
                HwAccel = p.GetValue(s_hwaccel),
                ConnectTimeout = Seconds(p.GetValue(s_connectTimeout), "--connect-timeout") ?? SourceOptions.Default.ConnectTimeout,
            },
            Labels = ReadLabels(p),
        };
        if (streamOptions.Source is { Start: { } start, End: { } end } && end <= start)
            throw new UsageException($"--end {end.TotalSeconds} must be after --start {start.TotalSeconds}.");

        int? threads = p.GetValue(s_threads);
        if (threads is < 1 or > 256) throw new UsageException($"--threads {threads} is out of range; use 1..256.");
        bool verbose = p.GetValue(s_verbose);
        bool explain = p.GetValue(s_explain);
        using ILoggerFactory logging = LoggerFactory.Create(b => b
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
            .AddSimpleConsole(o => { o.SingleLine = true; o.IncludeScopes = false; })
            // Without --verbose: the encoder's one line (device, dtype, threads) and warnings; events say the rest.
            .AddFilter("MediaSdk", verbose ? LogLevel.Debug : LogLevel.Warning)
            .AddFilter("MediaSdk.Model", verbose ? LogLevel.Debug : LogLevel.Information)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));

        var builder = new MediaSdkBuilder()
            .WithLogging(logging)
            .WithSessionOptions(MediaSessionOptions.Default with { EncoderThreads = threads, FfmpegThreads = threads, ExplainWindows = explain })
            .WithEncoderOptions(EncoderOptions.Default with { Device = ParseDevice(p.GetValue(s_device)!), WindowInstruction = p.GetValue(s_instruction) });
        string? modelDir = p.GetValue(s_model);
        if (modelDir is null && MediaSdkBuilder.HasDefaultModel)
        {
            builder.UseDefaultModel();
        }
        else if (modelDir is null)
        {
            Console.Error.WriteLine("mediasdk: note: no --model given; using a seeded random-init model (untrained): embeddings are deterministic but tags carry no meaning yet.");
            if (explain)
                Console.Error.WriteLine("mediasdk: note: --explain with the random-init model decodes arbitrary tokens; the text means something only for a GIC-trained model (--model).");
            builder.UseRandomModel(seed: 0);
        }
        else
        {
            builder.UseModel(modelDir);
        }

        await using MediaSession session = builder.Build();
        try
        {
            session.AddSource(input, streamOptions);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new UsageException(e.Message.ReplaceLineEndings(" ").Split(" (Parameter")[0]);
        }
        session.CompleteAdding();

        using IEventWriter writer = p.GetValue(s_format) == "jsonl" ? new JsonlEventWriter(Console.OpenStandardOutput()) : new TableEventWriter(Console.Out);
        int exit = ExitCodes.Success;
        await foreach (MediaEvent e in session.ReadEventsAsync(ct).ConfigureAwait(false))
        {
            writer.Write(e, session.Model);
            if (e is ErrorEvent error)
            {
                CliRunner.ReportError(error.Error, verbose);
                exit = ExitCodes.For(error.Error);
            }
        }
        return exit;
    }

    private static WindowOptions ParseWindow(ParseResult p)
    {
        try
        {
            WindowOptions w = WindowOptions.Default;
            if (p.GetValue(s_window) is double length) w = w with { Length = TimeSpan.FromSeconds(length) };
            if (p.GetValue(s_hop) is double hop) w = w with { Hop = TimeSpan.FromSeconds(hop) };
            if (p.GetValue(s_frames) is int frames) w = w with { FramesPerWindow = frames };
            return w;
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new UsageException($"Invalid window option: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    private static TimeSpan? Seconds(double? value, string option) => value switch
    {
        null => null,
        < 0 or > 1e7 or double.NaN => throw new UsageException($"{option} {value.Value.ToString(CultureInfo.InvariantCulture)} is out of range; give seconds >= 0."),
        _ => TimeSpan.FromSeconds(value.Value),
    };

    private static ImmutableArray<string> ReadLabels(ParseResult p)
    {
        IEnumerable<string> labels = [];
        if (p.GetValue(s_labels) is string list) labels = list.Split(',');
        if (p.GetValue(s_labelsFile) is FileInfo file)
        {
            if (!file.Exists) throw new UsageException($"Labels file '{file.FullName}' does not exist; pass a text file with one label per line.");
            labels = labels.Concat(File.ReadAllLines(file.FullName));
        }
        return [.. labels.Select(l => l.Trim()).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal)];
    }

    private static EncoderDevice ParseDevice(string device) => device switch
    {
        "cpu" => EncoderDevice.Cpu,
        "cuda" => EncoderDevice.Cuda,
        _ => EncoderDevice.Auto,
    };
}
