using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace MediaSdk.Benchmarks.Bdn;

/// <summary>Runs the BenchmarkDotNet hot-path classes with a short in-process job (no separate project build).</summary>
internal static class BdnRunner
{
    public static readonly Type[] Types = [typeof(PreprocessBenchmarks), typeof(EncoderBenchmarks)];

    private static ManualConfig Config(string artifacts) => DefaultConfig.Instance
        .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
        .WithArtifactsPath(artifacts);

    /// <summary><c>--bdn [BenchmarkDotNet arguments]</c>: the switcher; without arguments every class runs.</summary>
    public static int RunSwitcher(string[] args, string artifacts)
    {
        if (args.Length == 0) args = ["--filter", "*"];
        IEnumerable<Summary> summaries = BenchmarkSwitcher.FromTypes(Types).Run(args, Config(artifacts));
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>Section (e): every class, short job, as a table.</summary>
    public static Section RunSection(BenchContext ctx)
    {
        Summary[] summaries = BenchmarkRunner.Run(Types, Config(Path.Combine(ctx.ArtifactsDir, "bdn")));
        var s = new Section
        {
            Id = "e",
            Title = "BenchmarkDotNet hot paths (short job)",
            Goal = "none (regression tracking); warm calls should allocate nothing on the preprocess path",
            Baseline = "none; absolute numbers from BenchmarkDotNet's ShortRun job (3 warm-up + 3 measured iterations, in-process toolchain)",
        };
        s.Commands.Add("# the same classes interactively or filtered: dotnet bench/MediaSdk.Benchmarks/bin/Release/net10.0/linux-x64/MediaSdk.Benchmarks.dll --bdn [--filter '*Preprocess*']");
        var rows = new List<string[]>();
        bool allocFree = true;
        foreach (BenchmarkReport r in summaries.SelectMany(x => x.Reports))
        {
            BenchmarkCase c = r.BenchmarkCase;
            string name = $"{c.Descriptor.Type.Name}.{c.Descriptor.WorkloadMethod.Name}({c.Parameters.DisplayInfo})";
            long? alloc = r.GcStats.GetBytesAllocatedPerOperation(c);
            if (c.Descriptor.Type == typeof(PreprocessBenchmarks) && alloc is > 0) allocFree = false;
            rows.Add(r.ResultStatistics is { } st
                ? [name, Section.F(st.Median / 1000, "0.0"), Section.F(st.Mean / 1000, "0.0"), Section.F(st.StandardDeviation / 1000, "0.0"), alloc?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"]
                : [name, "failed", "", "", ""]);
        }
        s.Table(["benchmark", "median us", "mean us", "stddev us", "allocated B/op"], rows);
        s.Line("Preprocess: one 1280x720 frame to 3x112x112 floats (`CpuFramePreprocessor.Instance.Preprocess`, BT.709, centre crop). " +
            "Encoder: one 8-frame window (`BtokEncoder.EncodeFrames`, float32, CPU); the allocations are TorchSharp's per-call tensor handles.");
        s.Line();
        s.Line("Caveat: a ShortRun job has only 3 measured iterations; when the shared machine is loaded (see the load average) the encoder " +
            "cases swing by several times (libtorch's 2 OpenMP threads are very sensitive to competing load on 2 cores). Use (b) for encoder " +
            "latency ratios; use this section for allocations and for relative changes.");
        s.Status = allocFree && rows.All(r => r[1] != "failed") ? "PASS" : "MISS";
        s.Headline = allocFree ? "preprocess path allocation-free" : "preprocess path allocates";
        return s;
    }
}
