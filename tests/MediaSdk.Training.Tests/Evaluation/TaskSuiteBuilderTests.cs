using System.Text.Json;
using System.Text.RegularExpressions;
using MediaSdk.Synth;
using MediaSdk.Training.Data;

namespace MediaSdk.Training.Tests.Evaluation;

/// <summary>The task suite builder: splits and held-out compositions, fixed candidate lists, text controls,
/// determinism, and files the strict readers accept.</summary>
public sealed class TaskSuiteBuilderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "msdk-suite-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<SynthScene> _scenes = SceneLists.Make();

    public TaskSuiteBuilderTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string WriteSuite(string name, int seed = 5, IReadOnlyList<SynthScene>? scenes = null, TaskSuiteOptions? options = null)
    {
        string dir = Path.Combine(_root, name);
        TaskSuiteBuilder.Write(scenes ?? _scenes, SceneLists.Vocab, dir, seed, options);
        return dir;
    }

    private static IEnumerable<JsonElement> Lines(string file) =>
        File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone());

    [Fact]
    public void Write_SameScenesAndSeed_ByteIdenticalFiles()
    {
        string a = WriteSuite("a"), b = WriteSuite("b");
        string[] files = [.. Directory.GetFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order(StringComparer.Ordinal)];
        Assert.Contains("train.jsonl", files);
        Assert.Contains(Path.Combine("test", "bench.json"), files);
        Assert.Contains(Path.Combine("val", "video_qa.jsonl"), files);
        Assert.Equal(files, Directory.GetFiles(b, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).Order(StringComparer.Ordinal));
        foreach (string f in files) Assert.Equal(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f)));

        // Control: another seed changes the files (paraphrases, distractors, answer positions).
        string c = WriteSuite("c", seed: 6);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "test", "video_retrieval.jsonl")), File.ReadAllBytes(Path.Combine(c, "test", "video_retrieval.jsonl")));
    }

    [Fact]
    public void Write_TrainManifest_HoldsOnlyTrainMediaAndNoHeldOutComposition()
    {
        string dir = WriteSuite("s");
        string train = File.ReadAllText(Path.Combine(dir, "train.jsonl"));
        Assert.DoesNotContain("/val/", train);
        Assert.DoesNotContain("/test/", train);
        Assert.Contains("/train/", train);
        var trainMedia = _scenes.Where(s => s.Split == "train").Select(s => s.Media).ToHashSet();
        foreach (Match m in Regex.Matches(train, "\"(?:video|image)\":\"([^\"]+)\"")) Assert.Contains(m.Groups[1].Value, trainMedia);
        // The held-out compositions never appear in training text (captions name colour and shape together).
        Assert.DoesNotMatch(new Regex(@"\bred (?:[\w-]+ )?star\b"), train);
        // ...and the generator contract is enforced: a train scene holding one is refused.
        SynthScene bad = _scenes.First(s => s.Split == "test" && s.Objects[0] is { Shape: "star", Colour: "red" }) with { Split = "train" };
        Assert.Throws<ArgumentException>(() => TaskSuiteBuilder.Write([.. _scenes, bad], SceneLists.Vocab, Path.Combine(_root, "bad"), 5));
    }

    [Fact]
    public void Write_TestQueriesAboutHeldOutScenes_TaggedHeldout()
    {
        string dir = WriteSuite("s");
        int heldout = 0, total = 0;
        foreach (string file in Directory.GetFiles(Path.Combine(dir, "test"), "*.jsonl"))
            foreach (JsonElement q in Lines(file))
            {
                total++;
                heldout += q.GetProperty("tags").EnumerateArray().Any(t => t.GetString() == "heldout") ? 1 : 0;
            }
        Assert.InRange(heldout, 1, total - 1);
        JsonElement first = Lines(Path.Combine(dir, "test", "image_classification.jsonl"))
            .First(q => q.GetProperty("tags").EnumerateArray().Any(t => t.GetString() == "heldout"));
        Assert.Equal("a star", first.GetProperty("candidates")[first.GetProperty("answer").GetInt32()].GetProperty("text").GetString());
    }

    [Fact]
    public void Write_EveryQuery_FixedCandidatesWithoutDuplicateOfPositiveAndRandomAnswerPosition()
    {
        string dir = WriteSuite("s");
        using JsonDocument index = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "test", "bench.json")));
        Assert.Equal("mediasdk-bench", index.RootElement.GetProperty("format").GetString());
        Assert.Equal(TaskSuiteBuilder.TaskNames, index.RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("name").GetString()!));
        foreach (JsonElement task in index.RootElement.GetProperty("tasks").EnumerateArray())
        {
            string name = task.GetProperty("name").GetString()!;
            List<JsonElement> queries = [.. Lines(Path.Combine(dir, "test", task.GetProperty("file").GetString()!))];
            Assert.Equal(task.GetProperty("count").GetInt32(), queries.Count);
            var positions = new HashSet<int>();
            foreach (JsonElement q in queries)
            {
                JsonElement[] candidates = [.. q.GetProperty("candidates").EnumerateArray()];
                int answer = q.GetProperty("answer").GetInt32();
                positions.Add(answer);
                string positive = candidates[answer].GetRawText();
                Assert.Single(candidates, c => c.GetRawText() == positive);
                Assert.Equal(candidates.Length, candidates.Select(c => c.GetRawText()).Distinct().Count());
                // One kind of candidate per query: all text, all images or all video.
                Assert.Single(candidates.Select(c => string.Join(',', c.EnumerateObject().Select(p => p.Name).Where(n => n is "text" or "image" or "video"))).Distinct());
                if (name.EndsWith("_retrieval", StringComparison.Ordinal) && name != "video_moment_retrieval") Assert.InRange(candidates.Length, 2, 100);
                if (name == "image_classification") Assert.Equal(SceneLists.Vocab.Shapes.Count, candidates.Length);
            }
            Assert.True(positions.Count > 1, $"{name}: the positive is always at the same index");
        }
    }

    [Fact]
    public void Write_Classification_OnlyScenesWithOneSalientSubject()
    {
        string dir = WriteSuite("s");
        Dictionary<string, SynthScene> byMedia = _scenes.ToDictionary(s => "../" + s.Media); // bench files sit one folder down
        static double Size(SynthObject o) => o.Size switch { "small" => 0, "medium" => 1, _ => 2 };

        List<JsonElement> images = [.. Lines(Path.Combine(dir, "test", "image_classification.jsonl"))];
        Assert.NotEmpty(images);
        foreach (JsonElement q in images)
        {
            SynthScene s = byMedia[q.GetProperty("query").GetProperty("image").GetString()!];
            Assert.All(s.Objects.Skip(1), o => Assert.True(Size(o) < Size(s.Objects[0]), $"{s.Id}: another object is as large as the subject"));
            Assert.Equal("a " + s.Objects[0].Shape, q.GetProperty("candidates")[q.GetProperty("answer").GetInt32()].GetProperty("text").GetString());
        }
        // Control: the hand-made test images do include ambiguous ones, and those are left out.
        Assert.True(images.Count < _scenes.Count(s => s is { Split: "test", Kind: "image" }));

        List<JsonElement> clips = [.. Lines(Path.Combine(dir, "test", "video_classification.jsonl"))];
        Assert.NotEmpty(clips);
        foreach (JsonElement q in clips)
        {
            SynthScene s = byMedia[q.GetProperty("query").GetProperty("video").GetString()!];
            Assert.All(s.Events, e => Assert.Equal(0, e.Object));
        }
        Assert.True(clips.Count < _scenes.Count(s => s is { Split: "test", Kind: "clip" }));

        // Training labels follow the same rule: no image-label pair names a subject that another object dwarfs.
        foreach (JsonElement pair in Lines(Path.Combine(dir, "train.jsonl")).Where(p => p.GetProperty("task").GetString() == "image-label"))
        {
            SynthScene s = byMedia["../" + pair.GetProperty("query").GetProperty("image").GetString()!];
            Assert.All(s.Objects.Skip(1), o => Assert.True(Size(o) < Size(s.Objects[0])));
        }
    }

    [Fact]
    public void Write_LabelPairs_RideInCaptionBatchesWithEveryOtherClassAsNegative()
    {
        string dir = WriteSuite("s");
        string[] shapes = [.. SceneLists.Vocab.Shapes.Select(s => "a " + s)];
        List<JsonElement> labels = [.. Lines(Path.Combine(dir, "train.jsonl")).Where(p => p.GetProperty("task").GetString() is "image-label" or "video-label")];
        Assert.Contains(labels, p => p.GetProperty("task").GetString() == "image-label");
        Assert.Contains(labels, p => p.GetProperty("task").GetString() == "video-label");
        foreach (JsonElement pair in labels)
        {
            bool image = pair.GetProperty("task").GetString() == "image-label";
            Assert.Equal(image ? "image-caption" : "video-caption", pair.GetProperty("batch").GetString());
            string positive = pair.GetProperty("positive").GetProperty("text").GetString()!;
            string[] negatives = [.. pair.GetProperty("negatives").EnumerateArray().Select(n => n.GetProperty("text").GetString()!)];
            Assert.DoesNotContain(positive, negatives);
            Assert.Equal(negatives.Length, negatives.Distinct().Count());
            if (image) Assert.Equal(shapes.Order(), negatives.Append(positive).Order());
            else Assert.Equal(SceneLists.Vocab.Motions.Count - 1, negatives.Length);
        }
        // Every other task keeps batches of its own.
        Assert.All(Lines(Path.Combine(dir, "train.jsonl")).Where(p => p.GetProperty("task").GetString() is not ("image-label" or "video-label" or "image-colour" or "image-pattern")),
            p => Assert.False(p.TryGetProperty("batch", out _)));
    }

    [Theory]
    [InlineData("image-colour")]
    [InlineData("image-pattern")]
    public void Write_AttributePairs_NameTheLabelledSubjectsAttributeAgainstEveryOtherValue(string task)
    {
        // Off by default: the shipped model's manifest has none.
        Assert.DoesNotContain(Lines(Path.Combine(WriteSuite("plain"), "train.jsonl")), p => p.GetProperty("task").GetString() == task);
        string dir = WriteSuite("s", options: TaskSuiteOptions.Default with { AttributeLabelPairs = true });
        Dictionary<string, SynthScene> byMedia = _scenes.ToDictionary(s => s.Media);
        List<JsonElement> lines = [.. Lines(Path.Combine(dir, "train.jsonl"))];
        string[] labelled = [.. lines.Where(p => p.GetProperty("task").GetString() == "image-label").Select(p => p.GetProperty("query").GetProperty("image").GetString()!)];
        List<JsonElement> pairs = [.. lines.Where(p => p.GetProperty("task").GetString() == task)];
        // One per labelled image: the same salient subject, so "the main object" has one answer.
        Assert.Equal(labelled, pairs.Select(p => p.GetProperty("query").GetProperty("image").GetString()!));
        bool colour = task == "image-colour";
        string[] values = colour ? [.. SceneLists.Vocab.Colours] : [.. SceneLists.Vocab.Textures.Select(SceneText.TextureNoun)];
        foreach (JsonElement pair in pairs)
        {
            SynthObject subject = byMedia[pair.GetProperty("query").GetProperty("image").GetString()!].Objects[0];
            Assert.Equal(colour ? TaskSuiteBuilder.ImageColourInstruction : TaskSuiteBuilder.ImagePatternInstruction,
                pair.GetProperty("query").GetProperty("instruction").GetString());
            string positive = pair.GetProperty("positive").GetProperty("text").GetString()!;
            Assert.Equal(colour ? subject.Colour : SceneText.TextureNoun(subject.Texture), positive);
            Assert.Equal(positive, pair.GetProperty("target").GetProperty("text").GetString());
            Assert.Equal("image-caption", pair.GetProperty("batch").GetString());
            string[] negatives = [.. pair.GetProperty("negatives").EnumerateArray().Select(n => n.GetProperty("text").GetString()!)];
            Assert.Equal(values.Order(), negatives.Append(positive).Order());
        }
    }

    [Fact]
    public void Write_TrainImages_OneCaptionAndOneQuestionEach()
    {
        string dir = WriteSuite("s");
        List<JsonElement> lines = [.. Lines(Path.Combine(dir, "train.jsonl"))];
        int images = _scenes.Count(s => s is { Split: "train", Kind: "image" });
        Assert.Equal(images, lines.Count(p => p.GetProperty("task").GetString() == "image-caption"));
        Assert.Equal(images, lines.Count(p => p.GetProperty("task").GetString() == "text-image"));
        Assert.InRange(lines.Count(p => p.GetProperty("task").GetString() == "image-qa"), 1, images);
        Assert.Equal(2 * _scenes.Count(s => s is { Split: "train", Kind: "clip" }), lines.Count(p => p.GetProperty("task").GetString() == "video-caption"));
    }

    [Fact]
    public void Write_CaptionPairs_CarryFoilsThatSwapOneFact()
    {
        string dir = WriteSuite("s");
        List<JsonElement> pairs = [.. Lines(Path.Combine(dir, "train.jsonl"))
            .Where(p => p.GetProperty("task").GetString() is "image-caption" or "video-caption")];
        Assert.NotEmpty(pairs);
        int foils = 0, shapeSwaps = 0;
        foreach (JsonElement p in pairs)
        {
            string[] caption = p.GetProperty("positive").GetProperty("text").GetString()!.Split(' ');
            if (!p.TryGetProperty("negatives", out JsonElement negatives)) continue;
            foreach (JsonElement n in negatives.EnumerateArray())
            {
                string[] foil = n.GetProperty("text").GetString()!.Split(' ');
                // Same paraphrase, one fact swapped: a shape word, or a motion phrase; nothing else changes.
                int differing = caption.Except(foil).Count() + foil.Except(caption).Count();
                Assert.InRange(differing, 1, 8);
                shapeSwaps += differing == 2 ? 1 : 0;
                foils++;
            }
        }
        Assert.True(foils >= pairs.Count, $"{foils} foils for {pairs.Count} caption pairs");
        Assert.True(shapeSwaps >= pairs.Count / 2, $"{shapeSwaps} one-word swaps for {pairs.Count} caption pairs");
    }

    [Fact]
    public void Write_Questions_NeverContainTheirAnswerAndOrderQuestionsAreTagged()
    {
        string dir = WriteSuite("s");
        int order = 0, questions = 0;
        foreach (string task in new[] { "image_qa", "video_qa" })
            foreach (JsonElement q in Lines(Path.Combine(dir, "test", task + ".jsonl")))
            {
                questions++;
                string question = q.GetProperty("query").GetProperty("text").GetString()!;
                string answer = q.GetProperty("candidates")[q.GetProperty("answer").GetInt32()].GetProperty("text").GetString()!;
                Assert.DoesNotMatch(new Regex(@"\b" + Regex.Escape(answer) + @"\b", RegexOptions.IgnoreCase), question);
                order += q.GetProperty("tags").EnumerateArray().Any(t => t.GetString() == "order") ? 1 : 0;
                // Exactly one kind tag, and the one its wording says, so eval can report each kind on its own row.
                string[] kinds = [.. q.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Where(t => t is not "order" and not "heldout")];
                Assert.Equal(KindOf(question), Assert.Single(kinds));
            }
        Assert.True(questions > 20);
        Assert.InRange(order, 1, questions - 1);
        List<JsonElement> video = [.. Lines(Path.Combine(dir, "test", "video_qa.jsonl"))];
        // The motion question offers every motion label (low chance), and a reversible motion is tagged "order".
        JsonElement motion = Assert.Single(video.Where(q => q.GetProperty("query").GetProperty("text").GetString()!.StartsWith("what is the", StringComparison.Ordinal)).Take(1));
        Assert.True(motion.GetProperty("candidates").GetArrayLength() >= 4, "the motion question offers too few options");
        Assert.Contains(video, q => q.GetProperty("query").GetProperty("text").GetString()!.StartsWith("what is the", StringComparison.Ordinal)
            && q.GetProperty("tags").EnumerateArray().Any(t => t.GetString() == "order"));
        Assert.Contains(video, q => q.GetProperty("query").GetProperty("text").GetString() == "which of these happens first?");
    }

    private static string KindOf(string question) => question switch
    {
        _ when question.StartsWith("what colour", StringComparison.Ordinal) => "colour",
        _ when question.StartsWith("what shape", StringComparison.Ordinal) => "shape",
        _ when question.StartsWith("what pattern", StringComparison.Ordinal) => "pattern",
        _ when question.StartsWith("how many", StringComparison.Ordinal) => "count",
        _ when question.StartsWith("what word", StringComparison.Ordinal) => "word",
        _ when question.StartsWith("what does the", StringComparison.Ordinal) => "partner",
        _ when question.StartsWith("what is the", StringComparison.Ordinal) => "motion",
        _ when question.StartsWith("which of these", StringComparison.Ordinal) => "which",
        _ => "unknown: " + question,
    };

    [Fact]
    public void Write_MomentRetrieval_CandidatesAreSpansOfTheQueriedLongVideo()
    {
        string dir = WriteSuite("s");
        List<JsonElement> queries = [.. Lines(Path.Combine(dir, "test", "video_moment_retrieval.jsonl"))];
        Assert.NotEmpty(queries);
        foreach (JsonElement q in queries)
        {
            JsonElement[] spans = [.. q.GetProperty("candidates").EnumerateArray()];
            Assert.Single(spans.Select(s => s.GetProperty("video").GetString()).Distinct());
            Assert.All(spans, s => Assert.True(s.GetProperty("end").GetDouble() > s.GetProperty("start").GetDouble()));
            // The positive is the span of an event of that long video.
            JsonElement positive = spans[q.GetProperty("answer").GetInt32()];
            SynthScene scene = _scenes.Single(s => "../" + s.Media == positive.GetProperty("video").GetString());
            Assert.Equal("long", scene.Kind);
            Assert.Contains(scene.Events, e => Math.Abs(e.Start - positive.GetProperty("start").GetDouble()) < 1e-6 && Math.Abs(e.End - positive.GetProperty("end").GetDouble()) < 1e-6);
        }
    }

    [Fact]
    public void Write_TrainMomentPairs_CarryOneOtherSpanOfTheSameVideoAsNegative()
    {
        string dir = WriteSuite("s");
        List<JsonElement> moments = [.. Lines(Path.Combine(dir, "train.jsonl")).Where(p => p.GetProperty("task").GetString() == "moment")];
        Assert.NotEmpty(moments);
        foreach (JsonElement m in moments)
        {
            JsonElement positive = m.GetProperty("positive");
            JsonElement negative = Assert.Single(m.GetProperty("negatives").EnumerateArray());
            Assert.Equal(positive.GetProperty("video").GetString(), negative.GetProperty("video").GetString());
            Assert.NotEqual(positive.GetProperty("start").GetDouble(), negative.GetProperty("start").GetDouble());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Write_Files_AcceptedByTheStrictBenchReaderAndManifestParser()
    {
        string dir = WriteSuite("s");
        foreach (SynthScene s in _scenes)
        {
            string path = Path.Combine(dir, s.Media);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, "placeholder", TestContext.Current.CancellationToken); // parsing only checks existence
        }
        BenchDefinition bench = await BenchReader.ReadAsync(dir, TestContext.Current.CancellationToken); // no bench.json at the top: test/
        Assert.Equal("test", bench.Split);
        Assert.Equal(7, bench.Tasks.Count);
        IReadOnlyList<ManifestEntry> train = await TrainingManifest.ParseAsync(Path.Combine(dir, "train.jsonl"), TestContext.Current.CancellationToken);
        Assert.True(train.Count > 100);
        Assert.Contains(train, e => e.Task == "video-qa" && e.TargetText is not null && e.Negatives.Count > 0);
        Assert.Equal(["image-caption", "image-label", "image-qa", "moment", "moment-caption", "text-image", "text-video", "video-caption", "video-label", "video-qa"],
            train.Select(e => e.Task).Distinct().Order(StringComparer.Ordinal));
    }
}
