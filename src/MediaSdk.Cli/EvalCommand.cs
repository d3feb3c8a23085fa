using System.CommandLine;
using System.Globalization;
using MediaSdk.Model;
using MediaSdk.Training;

namespace MediaSdk.Cli;

/// <summary><c>mediasdk eval --model DIR --bench DIR</c>: Hit@1 per task on a bench folder (docs/benchmark-suite.md).</summary>
internal static class EvalCommand
{
    private static readonly Option<string> s_model = new("--model") { Description = "The model folder to evaluate (config.json + model.safetensors).", Required = true };
    private static readonly Option<string> s_bench = new("--bench") { Description = "A bench folder (with bench.json), or a synth output folder (its test/ split is used).", Required = true };
    private static readonly Option<string> s_format = new("--format") { Description = "Output: a table, or one JSON object.", DefaultValueFactory = _ => "table" };
    private static readonly Option<string> s_control = new("--control") { Description = "Frame control: none, blank (all frames mid-grey) or reversed (frame order reversed).", DefaultValueFactory = _ => "none" };
    private static readonly Option<string?> s_cache = new("--cache") { Description = "Decoded-window cache folder (default BENCH/cache; 'none' disables it)." };
    private static readonly Option<int?> s_maxQueries = new("--max-queries") { Description = "Score only the first N queries of each task (a quick look)." };
    private static readonly Option<int> s_readBack = new("--readback") { Description = "Read-back check on the first N clips of video_retrieval: token F1 of the text decoded from each clip's BToks against its caption, and against another clip's (0 = off).", DefaultValueFactory = _ => 0 };
    private static readonly Option<string> s_device = new("--device") { Description = "Where the encoder runs.", DefaultValueFactory = _ => "auto" };
    private static readonly Option<int?> s_threads = new("--threads") { Description = "CPU threads for libtorch (default: up to 4)." };
    private static readonly Option<bool> s_byAnswer = new("--by-answer")
    {
        Description = "Also score each label of the classification tasks: Hit@1 where it is the answer, and how often it is picked.",
    };
    private static readonly Option<string?> s_embeddings = new("--embeddings")
    {
        Description = "Also write each query's embedding to FILE, one JSON line per query (task, line, answer, tags, embedding), for probes outside the SDK.",
    };
    private static readonly Option<bool> s_verbose = new("--verbose") { Description = "Report progress and print stack traces on errors." };

    public static Command Create()
    {
        s_format.AcceptOnlyFromAmong("table", "json");
        s_control.AcceptOnlyFromAmong("none", "blank", "reversed");
        s_device.AcceptOnlyFromAmong("auto", "cpu", "cuda");
        var command = new Command("eval", "Score a model on a benchmark folder: Hit@1 per task against fixed candidate lists, overall = mean over tasks.")
        {
            s_model, s_bench, s_format, s_control, s_cache, s_maxQueries, s_readBack, s_byAnswer, s_embeddings, s_device, s_threads, s_verbose,
        };
        command.SetAction((parsed, ct) => RunAsync(parsed, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult p, CancellationToken ct)
    {
        string bench = p.GetValue(s_bench)!;
        if (p.GetValue(s_threads) is int t && t <= 0) throw new UsageException($"--threads is {t}; use at least 1.");
        if (p.GetValue(s_readBack) is < 0 and var r) throw new UsageException($"--readback is {r}; use 0 (off) or a number of clips.");
        if (p.GetValue(s_maxQueries) is int m && m <= 0) throw new UsageException($"--max-queries is {m}; use at least 1.");
        string? embeddings = p.GetValue(s_embeddings);
        if (embeddings is not null && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(embeddings))))
            throw new UsageException($"--embeddings '{embeddings}': its folder does not exist; create it or pick another path.");
        string? cache = p.GetValue(s_cache);
        if (cache is null)
        {
            // Next to bench.json: a bench is generated output, and a second run (or a control) then skips decoding.
            string? index = BenchFolder(bench);
            cache = index is null ? null : Path.Combine(index, "cache");
        }
        else if (cache == "none") cache = null;

        var options = new EvalOptions
        {
            CacheDirectory = cache,
            Control = p.GetValue(s_control) switch { "blank" => EvalControl.BlankFrames, "reversed" => EvalControl.ReversedFrames, _ => EvalControl.None },
            MaxQueriesPerTask = p.GetValue(s_maxQueries),
            ReadBackClips = p.GetValue(s_readBack),
            QueryEmbeddingsFile = embeddings,
            Threads = p.GetValue(s_threads),
            Device = p.GetValue(s_device) switch { "cpu" => EncoderDevice.Cpu, "cuda" => EncoderDevice.Cuda, _ => EncoderDevice.Auto },
        };
        bool verbose = p.GetValue(s_verbose);
        EvalReport report = await BenchEvaluator.RunAsync(p.GetValue(s_model)!, bench, options, verbose ? new StageReporter() : null, ct).ConfigureAwait(false);
        bool byAnswer = p.GetValue(s_byAnswer);
        if (p.GetValue(s_format) == "json") Console.Out.WriteLine(report.ToJson(byAnswer));
        else WriteTable(report, byAnswer);
        return ExitCodes.Success;
    }

    /// <summary>The folder holding the bench.json that will be read, or null when there is none (the evaluator reports it).</summary>
    private static string? BenchFolder(string bench)
    {
        string full = Path.GetFullPath(bench);
        if (File.Exists(full)) return Path.GetDirectoryName(full);
        if (File.Exists(Path.Combine(full, "bench.json"))) return full;
        if (File.Exists(Path.Combine(full, "test", "bench.json"))) return Path.Combine(full, "test");
        return null;
    }

    private static void WriteTable(EvalReport report, bool byAnswer)
    {
        TextWriter o = Console.Out;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model {report.Model}  split {report.Split}  control {EvalReport.ControlName(report.Control)}  ({report.Elapsed.TotalSeconds:F0} s)"));
        o.WriteLine($"{"task",-32} {"hit@1",7} {"chance",7} {"x chance",8} {"n",6}");
        foreach ((string name, TaskScore score) in report.Tasks)
        {
            o.WriteLine(Row(name, score));
            foreach ((string tag, TaskScore s) in score.Tags) o.WriteLine(Row($"  [{tag}]", s));
            if (!byAnswer) continue;
            foreach ((string label, AnswerScore a) in score.Answers)
                o.WriteLine($"{Row($"  = {label}", new TaskScore(a.Hit1, a.Chance, a.N))}  picked {a.Picked}");
        }
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"overall",-32} {report.Overall,7:F3} {report.Chance,7:F3} {Ratio(report.Overall, report.Chance),8} {"",6}"));
        if (report.ReadBack is not { } r) return;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"read-back token F1 over {r.N} clips: own BToks {r.OwnF1:F3}, another clip's BToks {r.OtherF1:F3}"));
        foreach ((string caption, string text) in r.Examples) o.WriteLine($"  caption: {caption}\n  decoded: {text}");
    }

    private static string Row(string name, TaskScore s) =>
        string.Create(CultureInfo.InvariantCulture, $"{name,-32} {s.Hit1,7:F3} {s.Chance,7:F3} {Ratio(s.Hit1, s.Chance),8} {s.N,6}");

    private static string Ratio(double hit, double chance) =>
        chance > 0 ? (hit / chance).ToString("F1", CultureInfo.InvariantCulture) + "x" : "-";

    private sealed class StageReporter : IProgress<EvalProgress>
    {
        private string _stage = "";
        private readonly Lock _gate = new();
        private int _lastTenth = -1;

        public void Report(EvalProgress value)
        {
            lock (_gate)
            {
                if (value.Stage != _stage)
                {
                    _stage = value.Stage;
                    _lastTenth = -1;
                }
                int tenth = value.Total == 0 ? 10 : value.Done * 10 / value.Total;
                if (tenth == _lastTenth) return;
                _lastTenth = tenth;
                Console.Error.WriteLine($"mediasdk: {value.Stage} {value.Done}/{value.Total}");
            }
        }
    }
}
