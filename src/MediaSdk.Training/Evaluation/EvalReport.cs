using System.Globalization;
using System.Text;
using System.Text.Json;
using MediaSdk.Model;

namespace MediaSdk.Training;

/// <summary>What the frames are replaced with, to check what a score depends on (docs/benchmark-suite.md "Controls").</summary>
public enum EvalControl
{
    /// <summary>The frames as decoded.</summary>
    None,

    /// <summary>Every pixel 0 after preprocessing (mid-grey): only the text is left, so visual tasks should fall to chance.</summary>
    BlankFrames,

    /// <summary>Each window's frames in reverse order: direction- and order-dependent questions (tag "order") should drop.</summary>
    ReversedFrames,
}

/// <summary>How <see cref="BenchEvaluator"/> runs.</summary>
public sealed record EvalOptions
{
    /// <summary>The defaults: no cache, no control, every query, the encoder's default threads.</summary>
    public static EvalOptions Default { get; } = new();

    /// <summary>Decoded-window cache folder (the training data cache format); null: decode every time.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Frame control. Default <see cref="EvalControl.None"/>.</summary>
    public EvalControl Control { get; init; } = EvalControl.None;

    /// <summary>Score only the first N queries of each task (a quick look); null: all.</summary>
    public int? MaxQueriesPerTask { get; init; }

    /// <summary>libtorch threads; null: the encoder's default (min(cores, 4)).</summary>
    public int? Threads { get; init; }

    /// <summary>Where the encoder runs. Default <see cref="EncoderDevice.Auto"/>.</summary>
    public EncoderDevice Device { get; init; } = EncoderDevice.Auto;

    /// <summary>Sides embedded per forward pass. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Media files decoded at once (each an ffmpeg process, mostly start-up latency). Default 4.</summary>
    public int MaxConcurrentDecodes { get; init; } = 4;

    /// <summary>
    /// Read-back check on this many clips of the video_retrieval task (0 = off): text decoded from each clip's BToks is
    /// scored (token F1) against the clip's caption, and against the caption of the next clip (docs/benchmark-suite.md).
    /// </summary>
    public int ReadBackClips { get; init; }

    /// <summary>
    /// Where to write each scored query's embedding, one JSON object per line in task then line order
    /// (<c>{"task", "line", "answer", "tags", "embedding"}</c>), for probes and plots outside the SDK; null: none.
    /// The file is replaced. Its folder must exist.
    /// </summary>
    public string? QueryEmbeddingsFile { get; init; }
}

/// <summary>Token F1 of read-back texts against captions: from each clip's own BToks, and from another clip's.</summary>
/// <param name="OwnF1">Mean token F1 of the text decoded from a clip against that clip's caption.</param>
/// <param name="OtherF1">Mean token F1 of the text decoded from the next clip against the same caption.</param>
/// <param name="N">Clips decoded.</param>
/// <param name="Examples">The first few (caption, own read-back) pairs, for the reader.</param>
public sealed record ReadBackScore(double OwnF1, double OtherF1, int N, IReadOnlyList<(string Caption, string ReadBack)> Examples);

/// <summary>Progress of an evaluation: <paramref name="Stage"/> is "decode" (media spans) or "embed" (distinct sides).</summary>
/// <param name="Stage">"decode" or "embed".</param>
/// <param name="Done">Items done.</param>
/// <param name="Total">Items in the stage.</param>
public readonly record struct EvalProgress(string Stage, int Done, int Total);

/// <summary>Hit@1 of a set of queries.</summary>
/// <param name="Hit1">Fraction of queries whose positive scores strictly highest (ties are misses), in [0, 1].</param>
/// <param name="Chance">Mean over the queries of 1 / candidates: the expected Hit@1 of a random ranking.</param>
/// <param name="N">Queries scored.</param>
public sealed record TaskScore(double Hit1, double Chance, int N)
{
    /// <summary>The same numbers over the queries carrying each tag (e.g. "order", "heldout"); empty when none do.</summary>
    public IReadOnlyDictionary<string, TaskScore> Tags { get; init; } = new Dictionary<string, TaskScore>();

    /// <summary>Per label of a classification-like task (text candidates from a few labels), sorted by label; empty for
    /// other tasks (retrieval, QA with many answers).</summary>
    public IReadOnlyDictionary<string, AnswerScore> Answers { get; init; } = new Dictionary<string, AnswerScore>();
}

/// <summary>One label of a task: how often it is right when it is the answer, and how often the model picks it at all.</summary>
/// <param name="Hit1">Hit@1 over the queries whose answer is this label (0 when none).</param>
/// <param name="Chance">Mean 1 / candidates over those queries.</param>
/// <param name="N">Queries whose answer is this label.</param>
/// <param name="Picked">Queries of the whole task in which this label scored strictly highest.</param>
public sealed record AnswerScore(double Hit1, double Chance, int N, int Picked);

/// <summary>The result of <see cref="BenchEvaluator.RunAsync"/>.</summary>
/// <param name="Overall">Mean of the tasks' Hit@1 (each task counts once, whatever its size).</param>
/// <param name="Tasks">Per task, in bench.json order.</param>
public sealed record EvalReport(double Overall, IReadOnlyDictionary<string, TaskScore> Tasks)
{
    /// <summary>The bench's split ("test", "val", ...).</summary>
    public string Split { get; init; } = "";

    /// <summary>The model's id@version.</summary>
    public string Model { get; init; } = "";

    /// <summary>The frame control used.</summary>
    public EvalControl Control { get; init; } = EvalControl.None;

    /// <summary>Wall time of the whole evaluation.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>The read-back check, when <see cref="EvalOptions.ReadBackClips"/> asked for it and the bench has clips.</summary>
    public ReadBackScore? ReadBack { get; init; }

    /// <summary>Mean of the tasks' chance levels.</summary>
    public double Chance => Tasks.Count == 0 ? 0 : Tasks.Values.Average(t => t.Chance);

    /// <summary>The report as JSON (ARCHITECTURE.md): <c>{"overall": x, "tasks": {"&lt;task&gt;": {"hit1": x, "chance": c,
    /// "n": n, "tags": {...}}}, "chance": .., "split": .., "control": .., "model": .., "seconds": ..}</c>. With
    /// <paramref name="byAnswer"/>, a labelled task also gets <c>"answers": {"&lt;label&gt;": {"hit1", "chance", "n", "picked"}}</c>.</summary>
    public string ToJson(bool byAnswer = false)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("overall", Round(Overall));
            w.WriteStartObject("tasks");
            foreach ((string name, TaskScore score) in Tasks)
            {
                w.WritePropertyName(name);
                WriteScore(w, score, tags: true, byAnswer);
            }
            w.WriteEndObject();
            w.WriteNumber("chance", Round(Chance));
            w.WriteString("split", Split);
            w.WriteString("control", ControlName(Control));
            w.WriteString("model", Model);
            w.WriteNumber("seconds", Math.Round(Elapsed.TotalSeconds, 1));
            if (ReadBack is { } r)
            {
                w.WriteStartObject("readback");
                w.WriteNumber("own_f1", Round(r.OwnF1));
                w.WriteNumber("other_f1", Round(r.OtherF1));
                w.WriteNumber("n", r.N);
                w.WriteStartArray("examples");
                foreach ((string caption, string text) in r.Examples)
                {
                    w.WriteStartObject();
                    w.WriteString("caption", caption);
                    w.WriteString("readback", text);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The CLI spelling of a control: none, blank, reversed.</summary>
    public static string ControlName(EvalControl control) => control switch
    {
        EvalControl.BlankFrames => "blank",
        EvalControl.ReversedFrames => "reversed",
        _ => "none",
    };

    private static void WriteScore(Utf8JsonWriter w, TaskScore score, bool tags, bool answers = false)
    {
        w.WriteStartObject();
        w.WriteNumber("hit1", Round(score.Hit1));
        w.WriteNumber("chance", Round(score.Chance));
        w.WriteNumber("n", score.N);
        if (tags && score.Tags.Count > 0)
        {
            w.WriteStartObject("tags");
            foreach ((string tag, TaskScore s) in score.Tags)
            {
                w.WritePropertyName(tag);
                WriteScore(w, s, tags: false);
            }
            w.WriteEndObject();
        }
        if (answers && score.Answers.Count > 0)
        {
            w.WriteStartObject("answers");
            foreach ((string label, AnswerScore a) in score.Answers)
            {
                w.WriteStartObject(label);
                w.WriteNumber("hit1", Round(a.Hit1));
                w.WriteNumber("chance", Round(a.Chance));
                w.WriteNumber("n", a.N);
                w.WriteNumber("picked", a.Picked);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static double Round(double x) => Math.Round(x, 6);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"overall {Overall:F4} over {Tasks.Count} task(s)");
}
