using System.Globalization;
using System.Text;
using System.Text.Json;
using MediaSdk.Training.Data;

namespace MediaSdk.Training;

/// <summary>One query line of a task file, validated (paths resolved against the file's folder).</summary>
internal sealed record BenchQueryLine(int Line, SideSpec Query, IReadOnlyList<SideSpec> Candidates, int Answer, IReadOnlyList<string> Tags);

/// <summary>One task of a bench: its file and queries.</summary>
internal sealed record BenchTaskFile(string Name, string File, IReadOnlyList<BenchQueryLine> Queries)
{
    /// <summary>Mean over queries of 1 / candidates.</summary>
    public double Chance => Queries.Count == 0 ? 0 : Queries.Average(q => 1.0 / q.Candidates.Count);
}

/// <summary>A bench folder: bench.json and its task files.</summary>
internal sealed record BenchDefinition(string Directory, string Split, IReadOnlyList<BenchTaskFile> Tasks);

/// <summary>
/// Reads a bench folder (docs/benchmark-suite.md "Bench files") strictly: unknown or repeated fields, wrong types, a
/// candidate that duplicates the positive, a count that disagrees with the file, or missing media are errors that name
/// <c>file:line</c> (<see cref="TrainingDataException"/>, a bad input: CLI exit 3). Sides are the training manifest's.
/// </summary>
internal static class BenchReader
{
    public const string IndexFile = "bench.json";
    private const string Format = "mediasdk-bench";
    private const int Version = 1;
    private static readonly string[] s_indexFields = ["format", "version", "split", "tasks"];
    private static readonly string[] s_taskFields = ["name", "file", "chance", "count"];
    private static readonly string[] s_lineFields = ["query", "candidates", "answer", "tags"];
    private const string LineExample = """{"query": {"image": "../media/a.png", "text": "what colour is the circle?"}, "candidates": [{"text": "red"}, {"text": "blue"}], "answer": 0, "tags": []}""";

    private static readonly JsonDocumentOptions s_json = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 16,
    };

    /// <summary>The bench.json of <paramref name="benchDirectory"/>: its own, else its test split's; a bench.json path is
    /// taken as is.</summary>
    public static string ResolveIndex(string benchDirectory)
    {
        string full = Path.GetFullPath(benchDirectory);
        if (File.Exists(full)) return full;
        if (!Directory.Exists(full))
            throw new TrainingDataException(benchDirectory, 0, "bench folder not found; pass the folder holding bench.json (or a synth output folder with test/bench.json).");
        string own = Path.Combine(full, IndexFile);
        if (File.Exists(own)) return own;
        string test = Path.Combine(full, "test", IndexFile);
        if (File.Exists(test)) return test;
        throw new TrainingDataException(benchDirectory, 0, $"no {IndexFile} here or in test/; pass a split folder written by the task suite builder (e.g. OUT/test).");
    }

    /// <summary>Reads bench.json and every task file it lists.</summary>
    public static async Task<BenchDefinition> ReadAsync(string benchDirectory, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(benchDirectory);
        string index = ResolveIndex(benchDirectory);
        string folder = Path.GetDirectoryName(index)!;
        string text = await File.ReadAllTextAsync(index, Encoding.UTF8, ct).ConfigureAwait(false);
        var at = new TrainingManifest.LineContext(index, 1, folder);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, s_json);
        }
        catch (JsonException ex)
        {
            throw new TrainingDataException(index, (int)(ex.LineNumber ?? 0) + 1, $"not valid JSON ({TrainingManifest.FirstSentence(ex.Message)}); bench.json is one object: {{\"format\": \"{Format}\", \"version\": {Version}, \"split\": \"test\", \"tasks\": [...]}}.");
        }
        var tasks = new List<(string Name, string File, int Count, double Chance)>();
        string split;
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw at.Error($"bench.json is a JSON {TrainingManifest.Kind(root)}; it must be an object with format, version, split and tasks.");
            TrainingManifest.CheckFields(at, root, s_indexFields, "bench.json");
            if (!root.TryGetProperty("format", out JsonElement f) || f.ValueKind != JsonValueKind.String || f.GetString() != Format)
                throw at.Error($"\"format\" must be \"{Format}\"; this file is not a MediaSdk bench index.");
            if (!root.TryGetProperty("version", out JsonElement v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int version) || version != Version)
                throw at.Error($"\"version\" must be {Version}; regenerate the bench with this version of MediaSdk.");
            split = root.TryGetProperty("split", out JsonElement s) && s.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(s.GetString())
                ? s.GetString()!
                : throw at.Error("\"split\" must be a non-empty string such as \"test\".");
            if (!root.TryGetProperty("tasks", out JsonElement list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
                throw at.Error("\"tasks\" must be a non-empty array of {\"name\", \"file\", \"chance\", \"count\"}.");
            var names = new HashSet<string>(StringComparer.Ordinal);
            int i = 0;
            foreach (JsonElement t in list.EnumerateArray())
            {
                string where = $"tasks[{i++}]";
                if (t.ValueKind != JsonValueKind.Object) throw at.Error($"{where} is {TrainingManifest.Describe(t)}; it must be an object.");
                TrainingManifest.CheckFields(at, t, s_taskFields, where);
                string name = t.TryGetProperty("name", out JsonElement n) && n.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(n.GetString())
                    ? n.GetString()! : throw at.Error($"{where}.name must be a non-empty string.");
                if (!names.Add(name)) throw at.Error($"task \"{name}\" is listed twice; keep one.");
                string file = t.TryGetProperty("file", out JsonElement fl) && fl.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(fl.GetString())
                    ? fl.GetString()! : throw at.Error($"{where}.file must be the task's JSONL file name.");
                int count = t.TryGetProperty("count", out JsonElement c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out int cv) && cv > 0
                    ? cv : throw at.Error($"{where}.count must be the number of queries in {file} (> 0).");
                double chance = t.TryGetProperty("chance", out JsonElement ch) && ch.ValueKind == JsonValueKind.Number && ch.TryGetDouble(out double chv) && chv > 0 && chv <= 1
                    ? chv : throw at.Error($"{where}.chance must be a number in (0, 1]: the mean of 1 / candidates.");
                tasks.Add((name, Path.GetFullPath(Path.Combine(folder, file)), count, chance));
            }
        }

        var read = new List<BenchTaskFile>(tasks.Count);
        foreach ((string name, string file, int count, double chance) in tasks)
        {
            if (!File.Exists(file)) throw at.Error($"task \"{name}\": file '{file}' not found; bench.json and the task files must be in one folder.");
            BenchTaskFile task = await ReadTaskAsync(name, file, ct).ConfigureAwait(false);
            if (task.Queries.Count != count)
                throw at.Error($"task \"{name}\" declares count {count} but {Path.GetFileName(file)} has {task.Queries.Count} queries; the files do not belong together.");
            if (Math.Abs(task.Chance - chance) > 1e-3)
                throw at.Error(string.Create(CultureInfo.InvariantCulture, $"task \"{name}\" declares chance {chance:G4} but its candidate lists give {task.Chance:G4}; the files do not belong together."));
            read.Add(task);
        }
        return new BenchDefinition(folder, split, read);
    }

    /// <summary>Reads one task file: <c>{"query": SIDE, "candidates": [SIDE, ...], "answer": i, "tags": [...]}</c> per line.</summary>
    public static async Task<BenchTaskFile> ReadTaskAsync(string name, string file, CancellationToken ct)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var queries = new List<BenchQueryLine>();
        int lineNo = 0;
        using var reader = new StreamReader(file, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            queries.Add(ParseLine(new TrainingManifest.LineContext(file, lineNo, folder), line));
        }
        if (queries.Count == 0) throw new TrainingDataException(file, Math.Max(lineNo, 1), $"the task file has no queries; write one JSON object per line, e.g. {LineExample}");
        return new BenchTaskFile(name, file, queries);
    }

    private static BenchQueryLine ParseLine(TrainingManifest.LineContext at, string line)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line, s_json);
        }
        catch (JsonException ex)
        {
            throw at.Error($"not valid JSON at character {ex.BytePositionInLine + 1} ({TrainingManifest.FirstSentence(ex.Message)}); each line must be one object, e.g. {LineExample}");
        }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw at.Error($"the line is a JSON {TrainingManifest.Kind(root)}, not an object, e.g. {LineExample}");
            TrainingManifest.CheckFields(at, root, s_lineFields, "the line");
            SideSpec query = root.TryGetProperty("query", out JsonElement q)
                ? TrainingManifest.ParseSide(at, q, "query")
                : throw at.Error("missing \"query\"; every line needs a \"query\", \"candidates\" and an \"answer\".");
            if (!root.TryGetProperty("candidates", out JsonElement cs) || cs.ValueKind != JsonValueKind.Array || cs.GetArrayLength() < 2)
                throw at.Error("\"candidates\" must be an array of at least 2 sides (the positive and its distractors).");
            var candidates = new List<SideSpec>(cs.GetArrayLength());
            int i = 0;
            foreach (JsonElement c in cs.EnumerateArray()) candidates.Add(TrainingManifest.ParseSide(at, c, $"candidates[{i++}]"));
            int answer = root.TryGetProperty("answer", out JsonElement a) && a.ValueKind == JsonValueKind.Number && a.TryGetInt32(out int av) && av >= 0 && av < candidates.Count
                ? av
                : throw at.Error($"\"answer\" must be the positive's index in \"candidates\" (0..{candidates.Count - 1}).");
            for (int k = 0; k < candidates.Count; k++)
                if (k != answer && candidates[k] == candidates[answer])
                    throw at.Error($"candidates[{k}] duplicates the positive candidates[{answer}]; a distractor identical to the positive makes Hit@1 impossible, so remove it.");
            var tags = new List<string>();
            if (root.TryGetProperty("tags", out JsonElement ts))
            {
                if (ts.ValueKind != JsonValueKind.Array) throw at.Error("\"tags\" must be an array of strings such as [\"order\", \"heldout\"].");
                foreach (JsonElement t in ts.EnumerateArray())
                    tags.Add(t.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(t.GetString())
                        ? t.GetString()! : throw at.Error($"a tag is {TrainingManifest.Describe(t)}; tags are non-empty strings."));
            }
            return new BenchQueryLine(at.Line, query, candidates, answer, tags);
        }
    }
}
