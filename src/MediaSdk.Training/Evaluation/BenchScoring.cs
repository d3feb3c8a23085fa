namespace MediaSdk.Training;

/// <summary>One scored query: a score per candidate (cosine), the positive's index and the query's tags.</summary>
internal sealed record ScoredQuery(float[] Scores, int Answer, IReadOnlyList<string> Tags);

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

    /// <summary>Hit@1, chance and count of a task, with the same numbers per tag.</summary>
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
        return Plain(queries) with { Tags = byTag };
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
