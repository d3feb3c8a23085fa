namespace MediaSdk.Training;

/// <summary>One scored query: a score per candidate (cosine), the positive's index and the query's tags; with the
/// candidates' texts when every candidate is text only (a label or an answer), for the per-answer breakdown.</summary>
internal sealed record ScoredQuery(float[] Scores, int Answer, IReadOnlyList<string> Tags, IReadOnlyList<string>? CandidateTexts = null);

/// <summary>Hit@1 and its aggregation (docs/benchmark-suite.md "Metric"), separate from the model so it is tested
/// with hand-made embeddings.</summary>
internal static class BenchScoring
{
    /// <summary>True when the positive's score is strictly higher than every other candidate's: a tie is a miss, so a
    /// model that gives everything the same score (e.g. blank input) scores 0, never chance by luck of the index.</summary>
    public static bool Hit(ReadOnlySpan<float> scores, int answer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(answer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(answer, scores.Length);
        float positive = scores[answer];
        if (float.IsNaN(positive)) return false;
        for (int i = 0; i < scores.Length; i++)
            if (i != answer && !(scores[i] < positive)) return false; // NaN elsewhere also counts against the query
        return true;
    }

    /// <summary>
    /// Token F1 of <paramref name="predicted"/> against <paramref name="reference"/>: lower-cased words (letters and
    /// digits), counted as multisets (SQuAD-style). 0 when either side has no words.
    /// </summary>
    public static double TokenF1(string predicted, string reference)
    {
        List<string> p = Words(predicted), r = Words(reference);
        if (p.Count == 0 || r.Count == 0) return 0;
        var counts = new Dictionary<string, int>();
        foreach (string w in r) counts[w] = counts.GetValueOrDefault(w) + 1;
        int overlap = 0;
        foreach (string w in p)
        {
            if (counts.GetValueOrDefault(w) is > 0 and var c)
            {
                counts[w] = c - 1;
                overlap++;
            }
        }
        if (overlap == 0) return 0;
        double precision = (double)overlap / p.Count, recall = (double)overlap / r.Count;
        return 2 * precision * recall / (precision + recall);
    }

    private static List<string> Words(string text)
    {
        var words = new List<string>();
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool letter = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (letter && start < 0) start = i;
            else if (!letter && start >= 0)
            {
                words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }
        return words;
    }

    /// <summary>Cosine similarity of the query with each candidate.</summary>
    public static float[] Cosines(ReadOnlySpan<float> query, IReadOnlyList<float[]> candidates)
    {
        var scores = new float[candidates.Count];
        double qn = Norm(query);
        for (int i = 0; i < scores.Length; i++)
        {
            ReadOnlySpan<float> c = candidates[i];
            if (c.Length != query.Length) throw new ArgumentException($"Candidate {i} has dimension {c.Length}, the query {query.Length}.", nameof(candidates));
            double dot = 0;
            for (int k = 0; k < c.Length; k++) dot += (double)query[k] * c[k];
            double denominator = qn * Norm(c);
            scores[i] = denominator > 0 ? (float)(dot / denominator) : 0f;
        }
        return scores;
    }

    /// <summary>A task gets a per-answer breakdown when its candidates are texts drawn from at most this many labels (the
    /// classification tasks); QA with dozens of distinct answers would only bury the table.</summary>
    public const int MaxAnswerLabels = 16;

    /// <summary>Hit@1, chance and count of a task, with the same numbers per tag and, for a labelled task, per answer.</summary>
    public static TaskScore Task(IReadOnlyList<ScoredQuery> queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var tags = new SortedDictionary<string, List<ScoredQuery>>(StringComparer.Ordinal);
        foreach (ScoredQuery q in queries)
            foreach (string tag in q.Tags.Distinct(StringComparer.Ordinal))
            {
                if (!tags.TryGetValue(tag, out List<ScoredQuery>? list)) tags[tag] = list = [];
                list.Add(q);
            }
        var byTag = new Dictionary<string, TaskScore>(StringComparer.Ordinal);
        foreach ((string tag, List<ScoredQuery> list) in tags) byTag[tag] = Plain(list);
        return Plain(queries) with { Tags = byTag, Answers = Answers(queries) };
    }

    /// <summary>
    /// Per label: Hit@1 over the queries whose right answer it is, and how often it was the top-scored candidate over the
    /// whole task. Together they show a collapsed classifier (one label picked for everything) that Hit@1 alone hides.
    /// Empty unless every query's candidates are texts and there are at most <see cref="MaxAnswerLabels"/> of them.
    /// </summary>
    private static Dictionary<string, AnswerScore> Answers(IReadOnlyList<ScoredQuery> queries)
    {
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (ScoredQuery q in queries)
        {
            if (q.CandidateTexts is null || q.CandidateTexts.Count != q.Scores.Length) return [];
            labels.UnionWith(q.CandidateTexts);
            if (labels.Count > MaxAnswerLabels) return [];
        }
        var byAnswer = labels.ToDictionary(l => l, _ => new List<ScoredQuery>(), StringComparer.Ordinal);
        var picked = labels.ToDictionary(l => l, _ => 0, StringComparer.Ordinal);
        foreach (ScoredQuery q in queries)
        {
            byAnswer[q.CandidateTexts![q.Answer]].Add(q);
            if (Top(q.Scores) is >= 0 and int top) picked[q.CandidateTexts[top]]++; // a tie picks nothing
        }
        var answers = new Dictionary<string, AnswerScore>(StringComparer.Ordinal);
        foreach (string label in labels)
        {
            TaskScore s = Plain(byAnswer[label]);
            answers[label] = new AnswerScore(s.Hit1, s.Chance, s.N, picked[label]);
        }
        return answers;
    }

    /// <summary>The index of the strictly highest score, or -1 on a tie for the top (or NaN there).</summary>
    private static int Top(ReadOnlySpan<float> scores)
    {
        if (scores.IsEmpty) return -1;
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
            if (scores[i] > scores[best] || float.IsNaN(scores[best])) best = i;
        return Hit(scores, best) ? best : -1;
    }

    /// <summary>Overall = the mean of the tasks' Hit@1 (each task weighs the same, as in MMEB-V2).</summary>
    public static EvalReport Report(IReadOnlyList<(string Name, IReadOnlyList<ScoredQuery> Queries)> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var scores = new Dictionary<string, TaskScore>(StringComparer.Ordinal);
        foreach ((string name, IReadOnlyList<ScoredQuery> queries) in tasks)
            if (queries.Count > 0) scores.Add(name, Task(queries));
        double overall = scores.Count == 0 ? 0 : scores.Values.Average(t => t.Hit1);
        return new EvalReport(overall, scores);
    }

    private static TaskScore Plain(IReadOnlyList<ScoredQuery> queries)
    {
        if (queries.Count == 0) return new TaskScore(0, 0, 0);
        int hits = 0;
        double chance = 0;
        foreach (ScoredQuery q in queries)
        {
            hits += Hit(q.Scores, q.Answer) ? 1 : 0;
            chance += 1.0 / q.Scores.Length;
        }
        return new TaskScore((double)hits / queries.Count, chance / queries.Count, queries.Count);
    }

    private static double Norm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float x in v) s += (double)x * x;
        return Math.Sqrt(s);
    }
}
