using MediaSdk.Training.Data;
using System.Text.Json;

namespace MediaSdk.Training.Tests.Evaluation;

/// <summary>Hit@1 and its aggregation with hand-made embeddings and scores.</summary>
public sealed class BenchScoringTests
{
    [Fact]
    public void Hit_PositiveStrictlyHighest_Hit()
    {
        Assert.True(BenchScoring.Hit([0.1f, 0.9f, 0.3f], 1));
        Assert.False(BenchScoring.Hit([0.1f, 0.9f, 0.3f], 0));
        Assert.False(BenchScoring.Hit([0.1f, 0.9f, 0.3f], 2));
    }

    [Fact]
    public void Hit_TieWithDistractor_Miss()
    {
        Assert.False(BenchScoring.Hit([0.5f, 0.9f, 0.9f], 1));
        Assert.False(BenchScoring.Hit([0.9f, 0.9f], 0));
        Assert.False(BenchScoring.Hit([0f, 0f, 0f, 0f], 3)); // constant scores (e.g. a dead model) never score by luck
        Assert.False(BenchScoring.Hit([float.NaN, 0.1f], 0));
        Assert.False(BenchScoring.Hit([0.5f, float.NaN], 0));
    }

    [Fact]
    public void Cosines_HandMadeEmbeddings_RankByAngleNotLength()
    {
        float[] query = [1, 0, 0];
        float[][] candidates = [[0, 1, 0], [10, 1, 0], [1, 0.5f, 0], [-1, 0, 0]];
        float[] scores = BenchScoring.Cosines(query, candidates);
        Assert.Equal(1, Array.IndexOf(scores, scores.Max())); // [10, 1] is closest in angle although longest
        Assert.True(BenchScoring.Hit(scores, 1));
        Assert.False(BenchScoring.Hit(scores, 2));
        Assert.Equal(-1f, scores[3], 1e-6f);
        // Identical direction at another length ties: a miss.
        Assert.False(BenchScoring.Hit(BenchScoring.Cosines(query, [[2, 0, 0], [5, 0, 0]]), 0));
    }

    [Fact]
    public void Report_Overall_IsMeanOverTasksNotOverQueries()
    {
        // Task a: 1 of 1 hit (chance 1/2); task b: 1 of 4 hits (chance 1/4). Pooled would be 2/5; the mean is 0.625.
        ScoredQuery hit2 = new([0.9f, 0.1f], 0, []);
        ScoredQuery hit4 = new([0.9f, 0.1f, 0.2f, 0.3f], 0, ["order"]);
        ScoredQuery miss4 = new([0.1f, 0.9f, 0.2f, 0.3f], 0, ["order", "heldout"]);
        EvalReport report = BenchScoring.Report([("a", [hit2]), ("b", [hit4, miss4, miss4, miss4])]);
        Assert.Equal(0.625, report.Overall, 12);
        Assert.Equal((1.0, 0.5, 1), (report.Tasks["a"].Hit1, report.Tasks["a"].Chance, report.Tasks["a"].N));
        Assert.Equal(0.25, report.Tasks["b"].Hit1, 12);
        Assert.Equal(0.25, report.Tasks["b"].Chance, 12);
        Assert.Equal(4, report.Tasks["b"].N);
        Assert.Equal(0.25, report.Tasks["b"].Tags["order"].Hit1, 12);
        Assert.Equal(4, report.Tasks["b"].Tags["order"].N);
        Assert.Equal(0.0, report.Tasks["b"].Tags["heldout"].Hit1, 12);
        Assert.Equal(3, report.Tasks["b"].Tags["heldout"].N);
        Assert.Empty(report.Tasks["a"].Tags);
        Assert.Equal(0.375, report.Chance, 12);
    }

    [Fact]
    public void Task_LabelledCandidates_PerAnswerHit1AndPickedCounts()
    {
        // Candidate order differs per query, as in a shuffled bench; a tie for the top picks nothing.
        ScoredQuery[] queries =
        [
            new([0.9f, 0.1f, 0.2f], 0, [], ["left", "right", "up"]),   // left: hit, picks left
            new([0.9f, 0.5f, 0.1f], 1, [], ["left", "right", "up"]),   // right: miss, picks left
            new([0.1f, 0.8f, 0.2f], 1, [], ["up", "right", "left"]),   // right: hit, picks right
            new([0.5f, 0.5f, 0.1f], 0, [], ["up", "left", "right"]),   // up: tie, miss, picks nothing
        ];
        TaskScore task = BenchScoring.Task(queries);
        Assert.Equal(["left", "right", "up"], task.Answers.Keys);
        Assert.Equal(new AnswerScore(1.0, 1 / 3.0, 1, 2), task.Answers["left"]);
        Assert.Equal(new AnswerScore(0.5, 1 / 3.0, 2, 1), task.Answers["right"]);
        Assert.Equal(new AnswerScore(0.0, 1 / 3.0, 1, 0), task.Answers["up"]);
        Assert.Equal(task.N, task.Answers.Values.Sum(a => a.N));

        using (JsonDocument doc = JsonDocument.Parse(BenchScoring.Report([("cls", queries)]).ToJson(byAnswer: true)))
        {
            JsonElement left = doc.RootElement.GetProperty("tasks").GetProperty("cls").GetProperty("answers").GetProperty("left");
            Assert.Equal(["hit1", "chance", "n", "picked"], left.EnumerateObject().Select(p => p.Name));
            Assert.Equal(2, left.GetProperty("picked").GetInt32());
        }
        using (JsonDocument doc = JsonDocument.Parse(BenchScoring.Report([("cls", queries)]).ToJson()))
            Assert.False(doc.RootElement.GetProperty("tasks").GetProperty("cls").TryGetProperty("answers", out _));

        // Not a labelled task: a visual candidate (no texts), or more labels than a table can show.
        Assert.Empty(BenchScoring.Task([queries[0], new ScoredQuery([0.9f, 0.1f], 0, [])]).Answers);
        string[] many = [.. Enumerable.Range(0, BenchScoring.MaxAnswerLabels + 1).Select(i => $"label {i}")];
        Assert.Empty(BenchScoring.Task([new ScoredQuery([.. many.Select((_, i) => (float)i)], 0, [], many)]).Answers);
    }

    [Fact]
    public void ToJson_Shape_OverallThenTasksWithHit1ChanceN()
    {
        EvalReport report = BenchScoring.Report([("video_qa", [new ScoredQuery([0.9f, 0.1f, 0f, 0f], 0, ["order"]), new ScoredQuery([0.1f, 0.9f, 0f, 0f], 0, [])])])
            with { Split = "test", Model = "m@1" };
        using JsonDocument doc = JsonDocument.Parse(report.ToJson());
        JsonElement root = doc.RootElement;
        Assert.Equal(["overall", "tasks"], root.EnumerateObject().Take(2).Select(p => p.Name));
        Assert.Equal(0.5, root.GetProperty("overall").GetDouble());
        JsonElement task = root.GetProperty("tasks").GetProperty("video_qa");
        Assert.Equal(["hit1", "chance", "n"], task.EnumerateObject().Take(3).Select(p => p.Name));
        Assert.Equal(0.5, task.GetProperty("hit1").GetDouble());
        Assert.Equal(0.25, task.GetProperty("chance").GetDouble());
        Assert.Equal(2, task.GetProperty("n").GetInt32());
        Assert.Equal(1.0, task.GetProperty("tags").GetProperty("order").GetProperty("hit1").GetDouble());
        Assert.Equal("test", root.GetProperty("split").GetString());
    }

    [Fact]
    public void ApplyControl_BlankAndReversed_ChangePixelsOnlyAndKeepSharing()
    {
        const int size = 16, frame = 3 * size * size;
        float[] pixels = new float[2 * frame];
        for (int i = 0; i < frame; i++) { pixels[i] = 0.25f; pixels[frame + i] = -0.5f; }
        var a = new SideInput { Pixels = pixels, Frames = 2, TextIds = [1, 2] };
        var b = new SideInput { Pixels = pixels, Frames = 2 };
        var t = new SideInput { TextIds = [3] };

        SideInput[] reversed = BenchEvaluator.ApplyControl([a, b, t], EvalControl.ReversedFrames, size);
        Assert.Equal(-0.5f, reversed[0].Pixels![0]);
        Assert.Equal(0.25f, reversed[0].Pixels![frame]);
        Assert.Same(reversed[0].Pixels, reversed[1].Pixels);
        Assert.Equal([1, 2], reversed[0].TextIds);
        Assert.Same(t, reversed[2]);
        Assert.Equal(0.25f, pixels[0]); // the loaded pixels are untouched

        SideInput[] blank = BenchEvaluator.ApplyControl([a, b, t], EvalControl.BlankFrames, size);
        Assert.All(blank[0].Pixels!, v => Assert.Equal(0f, v));
        Assert.Equal(2, blank[0].Frames);
    }

    [Theory]
    [InlineData("a red circle moves left", "a red circle moves left", 1.0)]
    [InlineData("A Red, circle!", "a red circle moves left", 0.75)] // p = 3/3, r = 3/5
    [InlineData("red red red", "a red circle", 0.333333)] // multiset: one red matches
    [InlineData("blue square", "a red circle", 0.0)]
    [InlineData("", "a red circle", 0.0)]
    public void TokenF1_CountsLowerCasedWordsAsMultisets(string predicted, string reference, double expected) =>
        Assert.Equal(expected, BenchScoring.TokenF1(predicted, reference), 5);
}
