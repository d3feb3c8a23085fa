using System.Diagnostics;
using System.Text.Json;
using MediaSdk.Model;
using MediaSdk.Model.Nn;
using MediaSdk.Training.Data;
using static TorchSharp.torch;

namespace MediaSdk.Training;

/// <summary>
/// Scores a model on a bench folder (docs/benchmark-suite.md): every distinct side is decoded through the training
/// data path (so exactly as at inference, with its disk cache) and embedded once; each query ranks its fixed candidate
/// list by cosine; Hit@1 per task, overall = mean over tasks.
/// </summary>
public static class BenchEvaluator
{
    /// <summary>Evaluates <paramref name="modelDirectory"/> on <paramref name="benchDirectory"/>.</summary>
    /// <param name="modelDirectory">A checkpoint folder (config.json + model.safetensors).</param>
    /// <param name="benchDirectory">A folder with bench.json, or a synth output folder with test/bench.json.</param>
    /// <param name="options">Cache, control, limits, threads; null for <see cref="EvalOptions.Default"/>.</param>
    /// <param name="progress">Decode and embed progress.</param>
    /// <param name="ct">Cancels decoding and embedding.</param>
    /// <returns>Per-task and overall Hit@1 with chance levels and per-tag breakdowns.</returns>
    /// <exception cref="TrainingDataException">The bench is malformed or its media cannot be decoded (<c>file:line</c>).</exception>
    /// <exception cref="ModelLoadException">The model folder cannot be loaded.</exception>
    /// <exception cref="DeviceUnavailableException">CUDA was requested but is not available.</exception>
    public static async Task<EvalReport> RunAsync(string modelDirectory, string benchDirectory, EvalOptions? options = null,
        IProgress<EvalProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(benchDirectory);
        options ??= EvalOptions.Default;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, "options.BatchSize");
        if (options.MaxQueriesPerTask is int max) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max, "options.MaxQueriesPerTask");
        if (options.QueryEmbeddingsFile is { } dump && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(dump))))
            throw new ArgumentException($"The query embeddings file '{dump}' is in a folder that does not exist; create the folder or pick another path.", nameof(options));
        var clock = Stopwatch.StartNew();

        BtokConfig config = BtokEncoder.ReadConfig(modelDirectory); // a bad model fails before any decoding
        BenchDefinition bench = await BenchReader.ReadAsync(benchDirectory, ct).ConfigureAwait(false);
        List<BenchTaskFile> tasks = [.. bench.Tasks.Select(t => options.MaxQueriesPerTask is int n && t.Queries.Count > n ? t with { Queries = [.. t.Queries.Take(n)] } : t)];

        // Each distinct side (same media span and text) is loaded and embedded once.
        var distinct = new Dictionary<SideSpec, int>();
        var sources = new List<SideSource>();
        var layout = new List<(int Query, int[] Candidates)[]>();
        foreach (BenchTaskFile task in tasks)
        {
            var rows = new (int, int[])[task.Queries.Count];
            for (int i = 0; i < rows.Length; i++)
            {
                BenchQueryLine q = task.Queries[i];
                int query = Add(q.Query, task.File, q.Line, "query");
                int[] candidates = new int[q.Candidates.Count];
                for (int k = 0; k < candidates.Length; k++) candidates[k] = Add(q.Candidates[k], task.File, q.Line, $"candidates[{k}]");
                rows[i] = (query, candidates);
            }
            layout.Add(rows);
        }
        int Add(SideSpec side, string file, int line, string where)
        {
            if (distinct.TryGetValue(side, out int id)) return id;
            distinct.Add(side, sources.Count);
            sources.Add(new SideSource(side, file, line, where));
            return sources.Count - 1;
        }

        List<(string Caption, int Side)> readBack = ReadBackClips(tasks, layout, sources, options.ReadBackClips);

        var data = new TrainingDataOptions(config.ImageSize, config.MaxFrames, config.MaxTextTokens, options.CacheDirectory)
        {
            MaxConcurrentDecodes = options.MaxConcurrentDecodes,
        };
        IProgress<(int Done, int Total)>? decodeProgress = progress is null ? null : new Forward(progress, "decode");
        SideInput[] inputs = await TrainingData.LoadSidesAsync(sources, data, new TrainingDataStats(), decodeProgress, ct).ConfigureAwait(false);
        inputs = ApplyControl(inputs, options.Control, config.ImageSize);

        (float[][] embeddings, string model, ReadBackScore? readBackScore) = await Task.Factory.StartNew(
            () => Embed(modelDirectory, inputs, readBack, options, progress, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);

        if (options.QueryEmbeddingsFile is { } file) WriteQueryEmbeddings(file, tasks, layout, embeddings);
        var scored = new List<(string, IReadOnlyList<ScoredQuery>)>(tasks.Count);
        for (int t = 0; t < tasks.Count; t++)
        {
            var queries = new List<ScoredQuery>(tasks[t].Queries.Count);
            for (int i = 0; i < tasks[t].Queries.Count; i++)
            {
                (int query, int[] candidates) = layout[t][i];
                float[] scores = BenchScoring.Cosines(embeddings[query], [.. candidates.Select(c => embeddings[c])]);
                BenchQueryLine line = tasks[t].Queries[i];
                string[]? texts = line.Candidates.All(c => !c.IsVisual && c.Text is not null) ? [.. line.Candidates.Select(c => c.Text!)] : null;
                queries.Add(new ScoredQuery(scores, line.Answer, line.Tags, texts));
            }
            scored.Add((tasks[t].Name, queries));
        }
        return BenchScoring.Report(scored) with { Split = bench.Split, Model = model, Control = options.Control, Elapsed = clock.Elapsed, ReadBack = readBackScore };
    }

    /// <summary>One JSON line per query: task, bench file line, answer, tags and the query's embedding.</summary>
    private static void WriteQueryEmbeddings(string file, List<BenchTaskFile> tasks, List<(int Query, int[] Candidates)[]> layout, float[][] embeddings)
    {
        using FileStream stream = File.Create(file);
        using var json = new Utf8JsonWriter(stream);
        for (int t = 0; t < tasks.Count; t++)
        {
            for (int i = 0; i < tasks[t].Queries.Count; i++)
            {
                BenchQueryLine q = tasks[t].Queries[i];
                json.WriteStartObject();
                json.WriteString("task", tasks[t].Name);
                json.WriteNumber("line", q.Line);
                json.WriteNumber("answer", q.Answer);
                json.WriteStartArray("tags");
                foreach (string tag in q.Tags) json.WriteStringValue(tag);
                json.WriteEndArray();
                json.WriteStartArray("embedding");
                foreach (float v in embeddings[layout[t][i].Query]) json.WriteNumberValue(v);
                json.WriteEndArray();
                json.WriteEndObject();
                json.Flush();
                stream.WriteByte((byte)'\n');
                json.Reset();
            }
        }
    }

    /// <summary>Up to <paramref name="count"/> distinct clips of video_retrieval (text query -> video) with their captions.</summary>
    private static List<(string Caption, int Side)> ReadBackClips(List<BenchTaskFile> tasks, List<(int Query, int[] Candidates)[]> layout,
        List<SideSource> sources, int count)
    {
        var clips = new List<(string, int)>();
        var seen = new HashSet<int>();
        for (int t = 0; t < tasks.Count && clips.Count < count; t++)
        {
            if (tasks[t].Name != "video_retrieval") continue;
            for (int i = 0; i < tasks[t].Queries.Count && clips.Count < count; i++)
            {
                BenchQueryLine q = tasks[t].Queries[i];
                int positive = layout[t][i].Candidates[q.Answer];
                if (q.Query.IsVisual || q.Query.Text is not { } caption || sources[positive].Side.Video is null || !seen.Add(positive)) continue;
                clips.Add((caption, positive));
            }
        }
        return clips;
    }

    /// <summary>Blank: every pixel 0 (mid-grey after the [-1, 1] normalisation). Reversed: frame order reversed.
    /// Text ids are untouched; arrays shared between sides stay shared.</summary>
    internal static SideInput[] ApplyControl(SideInput[] inputs, EvalControl control, int imageSize)
    {
        if (control == EvalControl.None) return inputs;
        var replaced = new Dictionary<float[], float[]>(ReferenceEqualityComparer.Instance);
        var result = new SideInput[inputs.Length];
        int frameLength = 3 * imageSize * imageSize;
        for (int i = 0; i < inputs.Length; i++)
        {
            SideInput s = inputs[i];
            if (s.Pixels is not float[] pixels)
            {
                result[i] = s;
                continue;
            }
            if (!replaced.TryGetValue(pixels, out float[]? changed))
            {
                changed = new float[pixels.Length];
                if (control == EvalControl.ReversedFrames)
                {
                    int frames = pixels.Length / frameLength;
                    for (int f = 0; f < frames; f++)
                        Array.Copy(pixels, f * frameLength, changed, (frames - 1 - f) * frameLength, frameLength);
                }
                replaced.Add(pixels, changed);
            }
            result[i] = new SideInput { Pixels = changed, Frames = s.Frames, TextIds = s.TextIds };
        }
        return result;
    }

    private static (float[][] Embeddings, string Model, ReadBackScore? ReadBack) Embed(string modelDirectory, SideInput[] inputs,
        List<(string Caption, int Side)> readBack, EvalOptions options, IProgress<EvalProgress>? progress, CancellationToken ct)
    {
        using BtokEncoder encoder = BtokEncoder.Load(modelDirectory, new EncoderOptions { Device = options.Device, Threads = options.Threads });
        var computer = new StepComputer(encoder.Network, 1.0, GicForm.Kv, TargetAttention.Condensation, null, ScalarType.Float32, encoder.TorchDevice);
        // Similar lengths per batch keep padding (wasted compute) small; padding never changes an embedding.
        int[] order = [.. Enumerable.Range(0, inputs.Length).OrderBy(i => inputs[i].Frames).ThenBy(i => inputs[i].TextIds.Length).ThenBy(i => i)];
        var embeddings = new float[inputs.Length][];
        progress?.Report(new EvalProgress("embed", 0, inputs.Length));
        for (int s = 0; s < order.Length; s += options.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(options.BatchSize, order.Length - s);
            var batch = new List<SideInput>(count);
            for (int k = 0; k < count; k++) batch.Add(inputs[order[s + k]]);
            using (NewDisposeScope())
            using (inference_mode())
            {
                Tensor e = computer.Embed(batch, 0, count).to(ScalarType.Float32, CPU).contiguous();
                float[] flat = e.data<float>().ToArray();
                int d = flat.Length / count;
                for (int k = 0; k < count; k++) embeddings[order[s + k]] = flat[(k * d)..((k + 1) * d)];
            }
            progress?.Report(new EvalProgress("embed", s + count, inputs.Length));
        }
        return (embeddings, $"{encoder.Model.Id}@{encoder.Model.Version}", ReadBack(encoder, computer, inputs, readBack, progress, ct));
    }

    /// <summary>Decodes each clip's BToks once; own = F1 against its caption, other = the next clip's text against it.</summary>
    private static ReadBackScore? ReadBack(BtokEncoder encoder, StepComputer computer, SideInput[] inputs, List<(string Caption, int Side)> clips,
        IProgress<EvalProgress>? progress, CancellationToken ct)
    {
        if (clips.Count < 2) return null;
        var texts = new string[clips.Count];
        for (int i = 0; i < texts.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            using (NewDisposeScope())
            using (inference_mode())
                texts[i] = encoder.ExplainInputs(computer.Inputs([inputs[clips[i].Side]], 0, 1).Inputs);
            progress?.Report(new EvalProgress("read-back", i + 1, texts.Length));
        }
        double own = 0, other = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            own += BenchScoring.TokenF1(texts[i], clips[i].Caption);
            other += BenchScoring.TokenF1(texts[(i + 1) % texts.Length], clips[i].Caption);
        }
        var examples = new List<(string, string)>();
        for (int i = 0; i < Math.Min(5, texts.Length); i++) examples.Add((clips[i].Caption, texts[i]));
        return new ReadBackScore(own / texts.Length, other / texts.Length, texts.Length, examples);
    }

    private sealed class Forward(IProgress<EvalProgress> target, string stage) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => target.Report(new EvalProgress(stage, value.Done, value.Total));
    }
}
