namespace MediaSdk.Benchmarks;

/// <summary>Order statistics over repeated measurements (the machine is shared and noisy, so medians, not means).</summary>
internal static class Stats
{
    public static double Median(IReadOnlyList<double> values) => Percentile(values, 50);

    /// <summary>Linear interpolation between closest ranks (numpy's default).</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        double[] sorted = [.. values];
        Array.Sort(sorted);
        double rank = p / 100.0 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static double Min(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Min();

    public static double Max(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Max();
}
