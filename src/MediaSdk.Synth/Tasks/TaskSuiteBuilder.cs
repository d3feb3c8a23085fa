using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MediaSdk.Synth;

/// <summary>
/// Derives the benchmark suite and the training manifest from generated scenes (docs/benchmark-suite.md): the seven
/// MMEB-V2-style tasks per evaluation split (val, test), each query with a fixed candidate list (one positive plus
/// distractors), and <c>train.jsonl</c> in the trainer's manifest format from the train split only. Deterministic:
/// the same scenes, vocabulary, options and seed give byte-identical files.
/// </summary>
public static class TaskSuiteBuilder
{
    /// <summary>The <c>format</c> field of bench.json.</summary>
    public const string BenchFormat = "mediasdk-bench";

    /// <summary>The <c>version</c> field of bench.json.</summary>
    public const int BenchVersion = 1;

    /// <summary>The seven tasks, in bench.json order.</summary>
    public static IReadOnlyList<string> TaskNames { get; } =
        ["image_classification", "image_qa", "image_retrieval", "video_classification", "video_qa", "video_retrieval", "video_moment_retrieval"];

    /// <summary>Instruction of an image classification query (and its training pairs).</summary>
    public const string ImageClassInstruction = "What shape is shown?";

    /// <summary>Instruction of the training pairs that name an image's main object's colour (no benchmark task asks it in
    /// this form; image QA asks the colour of a named object).</summary>
    public const string ImageColourInstruction = "What colour is the main object?";

    /// <summary>Instruction of the training pairs that name an image's main object's pattern (as <see cref="ImageColourInstruction"/>).</summary>
    public const string ImagePatternInstruction = "What pattern does the main object have?";

    /// <summary>Instruction of a video classification query (and its training pairs).</summary>
    public const string VideoClassInstruction = "What is the main object doing?";

    /// <summary>Instruction of a moment retrieval query (and its training pairs).</summary>
    public const string MomentInstruction = "Find the moment:";

    private static readonly string[] s_evalSplits = ["val", "test"];

    private static readonly JsonWriterOptions s_json = new()
    {
        Indented = false,
        // Readable quotes and non-ASCII in captions; still valid JSON, and the same bytes every run.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Writes <c>OUT/train.jsonl</c> (train split) and <c>OUT/&lt;split&gt;/bench.json</c> plus one JSONL per task for
    /// the val and test splits. Media paths are written relative to each file's folder, assuming
    /// <see cref="SynthScene.Media"/> is relative to <paramref name="outputDirectory"/>.
    /// </summary>
    /// <param name="scenes">All generated scenes (every split).</param>
    /// <param name="vocab">Vocabularies and held-out compositions of the generator's config.</param>
    /// <param name="outputDirectory">The synth output folder (the one scenes.jsonl is in).</param>
    /// <param name="seed">Seeds paraphrase choice, distractor sampling and answer positions.</param>
    /// <param name="options">Suite sizes; null for <see cref="TaskSuiteOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">A train scene contains a held-out composition, or a scene graph is inconsistent.</exception>
    public static void Write(IReadOnlyList<SynthScene> scenes, TaskVocabulary vocab, string outputDirectory, int seed, TaskSuiteOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        Suite suite = Build(scenes, vocab, seed, options ?? TaskSuiteOptions.Default);
        Directory.CreateDirectory(outputDirectory);
        if (suite.Train.Count > 0)
            WriteAtomic(Path.Combine(outputDirectory, "train.jsonl"), TrainJsonl(suite.Train));
        foreach (BenchSplit split in suite.Splits)
        {
            string folder = Path.Combine(outputDirectory, split.Name);
            Directory.CreateDirectory(folder);
            foreach (BenchTask task in split.Tasks)
                WriteAtomic(Path.Combine(folder, task.Name + ".jsonl"), BenchJsonl(task));
            WriteAtomic(Path.Combine(folder, "bench.json"), BenchIndex(split));
        }
    }

    /// <summary>Builds everything <see cref="Write"/> writes, in memory.</summary>
    internal static Suite Build(IReadOnlyList<SynthScene> scenes, TaskVocabulary vocab, int seed, TaskSuiteOptions options)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RetrievalCandidates, 2, "options.RetrievalCandidates");
        foreach (SynthScene s in scenes)
        {
            if (s.Objects.Count == 0)
                throw new ArgumentException($"Scene '{s.Id}' has no objects; every scene needs a subject (Objects[0]).", nameof(scenes));
            if (s.Split == "train" && HeldOut(s, vocab))
                throw new ArgumentException($"Train scene '{s.Id}' contains a held-out composition; the generator must keep held-out pairs out of the train split.", nameof(scenes));
        }

        int maxObjects = scenes.Count == 0 ? 1 : scenes.Max(s => s.Objects.Count);
        // Count options run past the largest count so a count question is not a two- or three-way guess.
        IReadOnlyList<string> counts = [.. Enumerable.Range(1, Math.Max(maxObjects, 6)).Select(SceneText.Number)];
        IReadOnlyList<string> words = vocab.Words.Count > 0
            ? vocab.Words
            : [.. scenes.SelectMany(s => s.Texts).Select(t => t.Text).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        var context = new Context(vocab, options, counts, words);

        var splits = new List<BenchSplit>();
        for (int si = 0; si < s_evalSplits.Length; si++)
        {
            List<SynthScene> members = [.. scenes.Where(s => s.Split == s_evalSplits[si])];
            if (members.Count == 0) continue;
            var tasks = new List<BenchTask>();
            for (int ti = 0; ti < TaskNames.Count; ti++)
            {
                var random = new Random(Mix(seed, si + 1, ti + 1));
                List<BenchQuery> queries = BuildTask(TaskNames[ti], members, context, random);
                if (queries.Count > 0) tasks.Add(new BenchTask(TaskNames[ti], queries));
            }
            splits.Add(new BenchSplit(s_evalSplits[si], tasks));
        }
        List<SynthScene> train = [.. scenes.Where(s => s.Split == "train")];
        return new Suite(splits, TrainPairs(train, context, new Random(Mix(seed, 0, 0))));
    }

    private sealed record Context(TaskVocabulary Vocab, TaskSuiteOptions Options, IReadOnlyList<string> Counts, IReadOnlyList<string> Words);

    /// <summary>System.Random with a seed is the same sequence on every platform; this mixes seed and stream without
    /// HashCode (randomised per process).</summary>
    private static int Mix(int seed, int a, int b) => unchecked((seed * 1_000_003) + (a * 7_919) + (b * 104_729) + 17);

    private static bool HeldOut(SynthScene s, TaskVocabulary vocab)
    {
        foreach (SynthObject o in s.Objects)
            if (vocab.HeldOutColourShapes.Contains((o.Colour, o.Shape))) return true;
        foreach (SynthEvent e in s.Events)
            if (e.Object >= 0 && e.Object < s.Objects.Count && vocab.HeldOutShapeMotions.Contains((s.Objects[e.Object].Shape, e.Motion))) return true;
        return false;
    }

    private static List<BenchQuery> BuildTask(string task, List<SynthScene> scenes, Context c, Random random)
    {
        var queries = new List<BenchQuery>();
        List<SynthScene> images = [.. scenes.Where(s => s.Kind == "image")];
        List<SynthScene> clips = [.. scenes.Where(s => s.Kind == "clip")];
        switch (task)
        {
            case "image_classification":
            {
                List<BenchSide> classes = [.. c.Vocab.Shapes.Select(s => BenchSide.OfText(SceneText.ShapeLabel(s)))];
                foreach (SynthScene s in images)
                {
                    if (SceneText.SalientShape(s) is not string shape) continue;
                    int answer = IndexOf(c.Vocab.Shapes, shape);
                    if (answer < 0) continue;
                    queries.Add(Fixed(BenchSide.OfImage(s.Media, instruction: ImageClassInstruction), classes, answer, Tags(s, c, false), random));
                }
                break;
            }
            case "image_qa":
                foreach (SynthScene s in images)
                    foreach (SceneQuestion q in SceneText.ImageQuestions(s, c.Vocab, c.Counts, c.Words))
                        AddQuestion(queries, BenchSide.OfImage(s.Media, text: q.Question), q, Tags(s, c, q.Order, q.Kind), random);
                break;
            case "image_retrieval":
                Retrieval(queries, images, c, random, s => BenchSide.OfImage(s.Media));
                break;
            case "video_classification":
            {
                List<string> labels = [.. c.Vocab.Motions.Select(SceneText.MotionLabel)];
                List<BenchSide> classes = [.. labels.Select(BenchSide.OfText)];
                foreach (SynthScene s in clips)
                {
                    if (SceneText.SalientMotion(s) is not string motion) continue;
                    int answer = IndexOf(c.Vocab.Motions, motion);
                    if (answer < 0) continue;
                    queries.Add(Fixed(BenchSide.OfVideo(s.Media, instruction: VideoClassInstruction), classes, answer, Tags(s, c, false), random));
                }
                break;
            }
            case "video_qa":
                foreach (SynthScene s in scenes.Where(s => s.Kind is "clip" or "long"))
                    foreach (SceneQuestion q in SceneText.VideoQuestions(s, c.Vocab))
                        AddQuestion(queries, BenchSide.OfVideo(s.Media, text: q.Question), q, Tags(s, c, q.Order, q.Kind), random);
                break;
            case "video_retrieval":
                Retrieval(queries, clips, c, random, s => BenchSide.OfVideo(s.Media));
                break;
            case "video_moment_retrieval":
                foreach (SynthScene s in scenes.Where(s => s.Kind == "long"))
                    foreach ((BenchSide query, List<BenchSide> spans, int positive) in Moments(s, random))
                        queries.Add(Fixed(query, spans, positive, Tags(s, c, false), random));
                break;
            default:
                throw new ArgumentException($"Unknown task '{task}'.", nameof(task));
        }
        return queries;
    }

    private static void AddQuestion(List<BenchQuery> queries, BenchSide query, SceneQuestion q, List<string> tags, Random random)
    {
        int answer = IndexOf(q.Options, q.Answer);
        if (answer < 0 || q.Options.Count < 2) return; // an answer outside the vocabulary cannot be scored fairly
        queries.Add(Fixed(query, [.. q.Options.Select(BenchSide.OfText)], answer, tags, random));
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (int i = 0; i < list.Count; i++)
            if (string.Equals(list[i], value, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>A query with the given candidates, in a seeded random order; duplicates of the positive are dropped.</summary>
    private static BenchQuery Fixed(BenchSide query, List<BenchSide> candidates, int answer, List<string> tags, Random random)
    {
        BenchSide positive = candidates[answer];
        var list = new List<BenchSide> { positive };
        var seen = new HashSet<BenchSide> { positive };
        foreach (BenchSide d in candidates)
            if (seen.Add(d)) list.Add(d);
        BenchSide[] shuffled = [.. list];
        random.Shuffle(shuffled);
        return new BenchQuery(query, shuffled, Array.IndexOf(shuffled, positive), tags);
    }

    /// <summary>Caption -> media: distractors are other media of the split whose captions state different facts.</summary>
    private static void Retrieval(List<BenchQuery> queries, List<SynthScene> pool, Context c, Random random, Func<SynthScene, BenchSide> side)
    {
        string[] keys = [.. pool.Select(SceneText.CaptionKey)];
        for (int i = 0; i < pool.Count; i++)
        {
            var others = new List<int>();
            for (int j = 0; j < pool.Count; j++)
                if (j != i && keys[j] != keys[i] && pool[j].Media != pool[i].Media) others.Add(j);
            if (others.Count == 0) continue;
            int[] order = [.. others];
            random.Shuffle(order);
            int take = Math.Min(c.Options.RetrievalCandidates - 1, order.Length);
            var candidates = new List<BenchSide> { side(pool[i]) };
            for (int k = 0; k < take; k++) candidates.Add(side(pool[order[k]]));
            string caption = SceneText.Caption(pool[i], random);
            queries.Add(Fixed(BenchSide.OfText(caption), candidates, 0, Tags(pool[i], c, false), random));
        }
    }

    /// <summary>
    /// Long video: each event's description -> candidate spans of that video: the event's own span (the positive), the
    /// spans of its other events, and every 2 s window (1 s hop) that overlaps the positive by at most 0.5 s, so most
    /// candidates show other events or nothing happening. Spans describing the same event as the query are left out.
    /// </summary>
    private static IEnumerable<(BenchSide Query, List<BenchSide> Spans, int Positive)> Moments(SynthScene s, Random random)
    {
        const double Window = 2.0, Hop = 1.0, MaxOverlap = 0.5;
        var events = new List<(SynthEvent Event, double Start, double End, string Key)>();
        foreach (SynthEvent e in s.Events)
        {
            double start = Math.Max(0, e.Start), end = s.Duration > 0 ? Math.Min(e.End, s.Duration) : e.End;
            if (end - start >= 0.25) events.Add((e, start, end, SceneText.EventKey(s, e)));
        }
        static double Overlap(double a0, double a1, double b0, double b1) => Math.Min(a1, b1) - Math.Max(a0, b0);
        for (int i = 0; i < events.Count; i++)
        {
            (SynthEvent e, double start, double end, string key) = events[i];
            var spans = new List<BenchSide> { BenchSide.OfVideo(s.Media, start, end) };
            var sameEvent = events.Where((x, j) => j != i && x.Key == key).ToList();
            for (int j = 0; j < events.Count; j++)
            {
                if (j == i || events[j].Key == key) continue;
                double overlap = Overlap(start, end, events[j].Start, events[j].End);
                if (overlap > 0.5 * (end - start) || overlap > 0.5 * (events[j].End - events[j].Start)) continue;
                spans.Add(BenchSide.OfVideo(s.Media, events[j].Start, events[j].End));
            }
            for (double w = 0; w + Window <= s.Duration + 1e-9; w += Hop)
            {
                if (Overlap(start, end, w, w + Window) > MaxOverlap) continue;
                if (sameEvent.Any(x => Overlap(x.Start, x.End, w, w + Window) > MaxOverlap)) continue;
                spans.Add(BenchSide.OfVideo(s.Media, w, w + Window));
            }
            spans = [.. spans.Distinct()];
            if (spans.Count < 2) continue;
            yield return (new BenchSide(null, null, null, null, SceneText.EventPhrase(s, e, random), MomentInstruction), spans, 0);
        }
    }

    private static List<string> Tags(SynthScene s, Context c, bool order, string? kind = null)
    {
        var tags = new List<string>(3);
        if (order) tags.Add("order");
        if (HeldOut(s, c.Vocab)) tags.Add("heldout");
        if (kind is not null) tags.Add(kind);
        return tags;
    }

    /// <summary>Training pairs from the train split, each task mirroring a benchmark task's sides.</summary>
    private static List<TrainPair> TrainPairs(List<SynthScene> scenes, Context c, Random random)
    {
        var pairs = new List<TrainPair>();
        foreach (SynthScene s in scenes)
        {
            switch (s.Kind)
            {
                case "image":
                {
                    BenchSide image = BenchSide.OfImage(s.Media);
                    Captions(pairs, s, image, "image-caption", "text-image", c.Options.TrainImageCaptionPairs, c, random);
                    if (SceneText.SalientShape(s) is string shape && c.Vocab.Shapes.Contains(shape))
                    {
                        pairs.Add(LabelPair("image-label", BenchSide.OfImage(s.Media, instruction: ImageClassInstruction), SceneText.ShapeLabel(shape),
                            c.Vocab.Shapes.Select(SceneText.ShapeLabel), "image-caption"));
                        // The same subject's colour and pattern: labels the vision warm-up can teach beside shape (docs/training.md).
                        SynthObject subject = s.Objects[0];
                        if (c.Options.AttributeLabelPairs && c.Vocab.Colours.Contains(subject.Colour))
                            pairs.Add(LabelPair("image-colour", BenchSide.OfImage(s.Media, instruction: ImageColourInstruction), subject.Colour, c.Vocab.Colours, "image-caption"));
                        if (c.Options.AttributeLabelPairs && c.Vocab.Textures.Contains(subject.Texture))
                        {
                            pairs.Add(LabelPair("image-pattern", BenchSide.OfImage(s.Media, instruction: ImagePatternInstruction), SceneText.TextureNoun(subject.Texture),
                                c.Vocab.Textures.Select(SceneText.TextureNoun), "image-caption"));
                        }
                    }
                    SceneQuestion[] questions = [.. SceneText.ImageQuestions(s, c.Vocab, c.Counts, c.Words)];
                    random.Shuffle(questions);
                    foreach (SceneQuestion q in questions.Take(c.Options.TrainImageQuestions))
                        pairs.Add(QaPair("image-qa", BenchSide.OfImage(s.Media, text: q.Question), q, c, random));
                    break;
                }
                case "clip":
                {
                    BenchSide video = BenchSide.OfVideo(s.Media);
                    Captions(pairs, s, video, "video-caption", "text-video", c.Options.TrainCaptionPairs, c, random);
                    if (SceneText.SalientMotion(s) is string motion && c.Vocab.Motions.Contains(motion))
                    {
                        pairs.Add(LabelPair("video-label", BenchSide.OfVideo(s.Media, instruction: VideoClassInstruction), SceneText.MotionLabel(motion),
                            c.Vocab.Motions.Select(SceneText.MotionLabel), "video-caption"));
                    }
                    foreach (SceneQuestion q in SceneText.VideoQuestions(s, c.Vocab))
                        pairs.Add(QaPair("video-qa", BenchSide.OfVideo(s.Media, text: q.Question), q, c, random));
                    break;
                }
                case "long":
                {
                    foreach (SceneQuestion q in SceneText.VideoQuestions(s, c.Vocab))
                        pairs.Add(QaPair("video-qa", BenchSide.OfVideo(s.Media, text: q.Question), q, c, random));
                    foreach ((BenchSide query, List<BenchSide> spans, int positive) in Moments(s, random))
                    {
                        BenchSide span = spans[positive];
                        List<BenchSide> negatives = [.. spans.Where((_, k) => k != positive).OrderBy(_ => random.Next()).Take(c.Options.TrainMomentNegatives)];
                        pairs.Add(new TrainPair("moment", query, span, negatives, null));
                        // The span describes its own event (GIC target from the span): the reverse direction.
                        pairs.Add(new TrainPair("moment-caption", span, BenchSide.OfText(query.Text!), [], query.Text, "query"));
                    }
                    break;
                }
            }
        }
        return pairs;
    }

    /// <summary>
    /// A label pair (media + instruction -> label, target the label) whose negatives are every other class, so each step
    /// scores the label against all classes as the benchmark does. (Label pairs ride in caption batches, "batch" in the manifest: batches of 8-11 distinct short labels alone
    /// collapse every label text onto one embedding within a few steps; docs/results.md "Where learning stalls".)
    /// </summary>
    private static TrainPair LabelPair(string task, BenchSide query, string label, IEnumerable<string> classes, string batch) =>
        new(task, query, BenchSide.OfText(label),
            [.. classes.Distinct(StringComparer.Ordinal).Where(l => !string.Equals(l, label, StringComparison.Ordinal)).Select(BenchSide.OfText)], label, Batch: batch);

    private static void Captions(List<TrainPair> pairs, SynthScene s, BenchSide media, string toText, string toMedia, int count, Context c, Random random)
    {
        for (int k = 0; k < count; k++)
        {
            // Foils reuse the caption's paraphrase draws, so each differs from it only in the fact that was swapped.
            int paraphrase = random.Next();
            string caption = SceneText.Caption(s, new Random(paraphrase)), target = SceneText.Caption(s, random);
            List<BenchSide> foils = [.. Foils(s, c.Vocab, random).Select(f => SceneText.Caption(f, new Random(paraphrase)))
                .Where(f => !string.Equals(f, caption, StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).Select(BenchSide.OfText)];
            pairs.Add(new TrainPair(toText, media, BenchSide.OfText(caption), foils, target, "query"));
            pairs.Add(new TrainPair(toMedia, BenchSide.OfText(SceneText.Caption(s, random)), media, [], null));
        }
    }

    /// <summary>
    /// Counterfactual scenes whose captions are a caption pair's hard negatives: the subject with another shape and, for a
    /// clip, the main event with another motion (the opposite one where it exists). In-batch negatives differ in colour
    /// and background, which is enough to tell them apart; only foils make shape, motion and direction pay off. A foil
    /// is never a held-out composition, so training text stays free of them.
    /// </summary>
    private static IEnumerable<SynthScene> Foils(SynthScene s, TaskVocabulary vocab, Random random)
    {
        SynthObject subject = s.Objects[0];
        SynthEvent? main = s.Kind == "image" ? null : SceneText.MainEvent(s);
        string[] shapes = [.. vocab.Shapes.Where(sh => sh != subject.Shape
            && !vocab.HeldOutColourShapes.Contains((subject.Colour, sh))
            && !(main is { Object: 0 } && vocab.HeldOutShapeMotions.Contains((sh, main.Motion)))
            && !s.Objects.Skip(1).Any(o => o.Shape == sh && o.Colour == subject.Colour))];
        if (shapes.Length > 0)
            yield return s with { Objects = [subject with { Shape = shapes[random.Next(shapes.Length)] }, .. s.Objects.Skip(1)] };

        if (main is null || main.Motion == "collide" || main.Object < 0 || main.Object >= s.Objects.Count) yield break;
        string actor = s.Objects[main.Object].Shape;
        string[] motions = s_opposites.TryGetValue(main.Motion, out string? opposite) && vocab.Motions.Contains(opposite)
            ? [opposite]
            : [.. vocab.Motions.Where(m => m != main.Motion && m != "collide")];
        motions = [.. motions.Where(m => !vocab.HeldOutShapeMotions.Contains((actor, m)))];
        if (motions.Length > 0)
        {
            SynthEvent swapped = main with { Motion = motions[random.Next(motions.Length)] };
            yield return s with { Events = [.. s.Events.Select(e => ReferenceEquals(e, main) ? swapped : e)] };
        }
    }

    private static readonly Dictionary<string, string> s_opposites = new(StringComparer.Ordinal)
    {
        ["move-left"] = "move-right", ["move-right"] = "move-left", ["move-up"] = "move-down", ["move-down"] = "move-up",
        ["grow"] = "shrink", ["shrink"] = "grow", ["appear"] = "disappear", ["disappear"] = "appear",
    };

    private static TrainPair QaPair(string task, BenchSide query, SceneQuestion q, Context c, Random random)
    {
        string[] wrong = [.. q.Options.Where(o => !string.Equals(o, q.Answer, StringComparison.Ordinal)).Distinct(StringComparer.Ordinal)];
        random.Shuffle(wrong);
        List<BenchSide> negatives = [.. wrong.Take(c.Options.TrainQaNegatives).Select(BenchSide.OfText)];
        return new TrainPair(task, query, BenchSide.OfText(q.Answer), negatives, q.Answer, "query");
    }

    // ---- writing ----

    private static string TrainJsonl(IReadOnlyList<TrainPair> pairs)
    {
        var sb = new StringBuilder();
        foreach (TrainPair p in pairs)
        {
            sb.Append(Line(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("query");
                p.Query.Write(w, "");
                w.WritePropertyName("positive");
                p.Positive.Write(w, "");
                if (p.Negatives.Count > 0)
                {
                    w.WriteStartArray("negatives");
                    foreach (BenchSide n in p.Negatives) n.Write(w, "");
                    w.WriteEndArray();
                }
                if (p.Target is not null)
                {
                    w.WriteStartObject("target");
                    w.WriteString("text", p.Target);
                    if (p.From is not null) w.WriteString("from", p.From);
                    w.WriteEndObject();
                }
                w.WriteString("task", p.Task);
                if (p.Batch is not null) w.WriteString("batch", p.Batch);
                w.WriteEndObject();
            }));
        }
        return sb.ToString();
    }

    private static string BenchJsonl(BenchTask task)
    {
        var sb = new StringBuilder();
        foreach (BenchQuery q in task.Queries)
        {
            sb.Append(Line(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("query");
                q.Query.Write(w, "../");
                w.WriteStartArray("candidates");
                foreach (BenchSide side in q.Candidates) side.Write(w, "../");
                w.WriteEndArray();
                w.WriteNumber("answer", q.Answer);
                w.WriteStartArray("tags");
                foreach (string tag in q.Tags) w.WriteStringValue(tag);
                w.WriteEndArray();
                w.WriteEndObject();
            }));
        }
        return sb.ToString();
    }

    private static string BenchIndex(BenchSplit split)
    {
        string json = Line(w =>
        {
            w.WriteStartObject();
            w.WriteString("format", BenchFormat);
            w.WriteNumber("version", BenchVersion);
            w.WriteString("split", split.Name);
            w.WriteStartArray("tasks");
            foreach (BenchTask t in split.Tasks)
            {
                w.WriteStartObject();
                w.WriteString("name", t.Name);
                w.WriteString("file", t.Name + ".jsonl");
                w.WriteNumber("chance", Math.Round(t.Chance, 6));
                w.WriteNumber("count", t.Queries.Count);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
        return json;
    }

    private static string Line(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, s_json)) write(w);
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteAtomic(string path, string content)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temp, path, overwrite: true);
    }

}

/// <summary>One side, as in the training manifest; media paths relative to the synth output folder.</summary>
internal sealed record BenchSide(string? Video, double? Start, double? End, string? Image, string? Text, string? Instruction)
{
    public static BenchSide OfText(string text) => new(null, null, null, null, text, null);

    public static BenchSide OfImage(string media, string? text = null, string? instruction = null) => new(null, null, null, media, text, instruction);

    public static BenchSide OfVideo(string media, string? text = null, string? instruction = null) => new(media, null, null, null, text, instruction);

    public static BenchSide OfVideo(string media, double start, double end) => new(media, start, end, null, null, null);

    /// <summary>Writes the side as a JSON object; media paths get <paramref name="prefix"/> (the way from the file's
    /// folder to the synth output folder) and forward slashes.</summary>
    public void Write(Utf8JsonWriter w, string prefix)
    {
        w.WriteStartObject();
        if (Video is not null) w.WriteString("video", prefix + Video.Replace('\\', '/'));
        if (Start is double s) w.WriteNumber("start", Math.Round(s, 3));
        if (End is double e) w.WriteNumber("end", Math.Round(e, 3));
        if (Image is not null) w.WriteString("image", prefix + Image.Replace('\\', '/'));
        if (Text is not null) w.WriteString("text", Text);
        if (Instruction is not null) w.WriteString("instruction", Instruction);
        w.WriteEndObject();
    }
}

/// <summary>One benchmark query: the candidates in their written order and the positive's index.</summary>
internal sealed record BenchQuery(BenchSide Query, IReadOnlyList<BenchSide> Candidates, int Answer, IReadOnlyList<string> Tags);

/// <summary>One task of a split.</summary>
internal sealed record BenchTask(string Name, IReadOnlyList<BenchQuery> Queries)
{
    /// <summary>Mean over queries of 1 / candidates.</summary>
    public double Chance => Queries.Count == 0 ? 0 : Queries.Average(q => 1.0 / q.Candidates.Count);
}

/// <summary>One evaluation split.</summary>
internal sealed record BenchSplit(string Name, IReadOnlyList<BenchTask> Tasks);

/// <summary>One training manifest line.</summary>
internal sealed record TrainPair(string Task, BenchSide Query, BenchSide Positive, IReadOnlyList<BenchSide> Negatives, string? Target,
    string? From = null, string? Batch = null);

/// <summary>Everything the builder writes.</summary>
internal sealed record Suite(IReadOnlyList<BenchSplit> Splits, IReadOnlyList<TrainPair> Train);
