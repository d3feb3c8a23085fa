using MediaSdk.Benchmarks;
using MediaSdk.Benchmarks.Bdn;

// MediaSdk benchmark driver. Usage:
//   dotnet MediaSdk.Benchmarks.dll [--out docs/benchmarks.md] [--only a,b,c,d,e,f] [--quick] [--cli PATH]
//   dotnet MediaSdk.Benchmarks.dll --bdn [BenchmarkDotNet switcher arguments]
//   dotnet MediaSdk.Benchmarks.dll --probe MANIFEST [--steps N] [--stem patch|conv] [--readout btok|max|mean] (LearnabilityProbe)
// Default set: a,b,c,d,f. e (BenchmarkDotNet short job) runs only when named.
const string Usage = "usage: MediaSdk.Benchmarks [--out FILE.md] [--only a,b,c,d,e,f] [--quick] [--cli PATH] | --bdn [BenchmarkDotNet args] | --probe MANIFEST [options]";

string repo = BenchContext.FindRepoRoot();
if (TrainingStepBench.TryRunWorker(args)) return 0;
try
{
    if (LearnabilityProbe.TryRun(args)) return 0;
}
catch (Exception ex) when (ex is ArgumentException or MediaSdk.MediaInputException)
{
    Console.Error.WriteLine($"MediaSdk.Benchmarks: {ex.Message}");
    return 2;
}
int bdn = Array.IndexOf(args, "--bdn");
if (bdn >= 0)
    return BdnRunner.RunSwitcher(args[(bdn + 1)..], Path.Combine(repo, "artifacts", "bench", "bdn"));

string? output = null, cliOverride = null;
bool quick = false;
var only = new List<string> { "a", "b", "c", "d", "f" };
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--out" when i + 1 < args.Length:
            output = args[++i];
            break;
        case "--only" when i + 1 < args.Length:
            only = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => x.ToLowerInvariant())];
            break;
        case "--cli" when i + 1 < args.Length:
            cliOverride = args[++i];
            break;
        case "--quick":
            quick = true;
            break;
        case "-h" or "--help":
            Console.WriteLine(Usage);
            return 0;
        default:
            Console.Error.WriteLine($"MediaSdk.Benchmarks: unknown argument '{args[i]}'. {Usage}");
            return 2;
    }
}
string[] unknown = [.. only.Where(x => x is not ("a" or "b" or "c" or "d" or "e" or "f"))];
if (unknown.Length > 0)
{
    Console.Error.WriteLine($"MediaSdk.Benchmarks: unknown benchmark(s) '{string.Join(",", unknown)}' in --only; use a,b,c,d,e,f.");
    return 2;
}

// The CLI of the same configuration as this driver (bin/<Configuration>/...), unless --cli says otherwise.
string configuration = AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar).SkipWhile(p => p != "bin").Skip(1).FirstOrDefault() ?? "Release";
string cli = Path.GetFullPath(cliOverride ?? Path.Combine(repo, "src", "MediaSdk.Cli", "bin", configuration, "net10.0", "linux-x64", "MediaSdk.Cli"));
if ((only.Contains("c") || only.Contains("d")) && !File.Exists(cli))
{
    Console.Error.WriteLine($"MediaSdk.Benchmarks: the CLI is not built at {cli}; run `dotnet build src/MediaSdk.Cli -c {configuration}` (or ./build.sh build) first, or pass --cli PATH.");
    return 3;
}
string ffmpeg;
try
{
    ffmpeg = MediaSdk.Media.Internal.FfmpegBinaries.Resolve("ffmpeg", MediaSdk.Media.FfmpegOptions.Default);
}
catch (MediaSdk.DependencyMissingException ex)
{
    Console.Error.WriteLine($"MediaSdk.Benchmarks: {ex.Message}");
    return 3;
}

string self = Path.GetRelativePath(repo, typeof(BenchContext).Assembly.Location);
string host = Path.GetFileNameWithoutExtension(Environment.ProcessPath ?? "dotnet") == "dotnet" ? "dotnet " : "";
var ctx = new BenchContext
{
    RepoRoot = repo,
    Cli = cli,
    Ffmpeg = ffmpeg,
    Quick = quick,
    CommandLine = (host + (host.Length > 0 ? self : Path.ChangeExtension(self, null)) + " " + string.Join(' ', args)).Trim(),
    Machine = BenchContext.DescribeMachine(ffmpeg),
};
BenchContext.Log($"machine: {ctx.Machine}");
BenchContext.Log($"running {string.Join(",", only)}{(quick ? " (quick)" : "")}");

var sections = new List<Section>();
int exit = 0;
var total = System.Diagnostics.Stopwatch.StartNew();
foreach (string id in only.Distinct().Order(StringComparer.Ordinal))
{
    var sw = System.Diagnostics.Stopwatch.StartNew();
    string load = Section.LoadAverage();
    try
    {
        Section s = id switch
        {
            "a" => await PipelineThroughputBench.RunAsync(ctx, CancellationToken.None),
            "b" => EncoderLatencyBench.Run(ctx),
            "c" => await RealTimeFactorBench.RunAsync(ctx, CancellationToken.None),
            "d" => await LiveLatencyBench.RunAsync(ctx, CancellationToken.None),
            "f" => await TrainingStepBench.RunAsync(ctx, CancellationToken.None),
            _ => BdnRunner.RunSection(ctx),
        };
        s.LoadAtStart = load;
        if (quick) s.Line("\n_Quick run (`--quick`): smaller clips and fewer repetitions; not the reference numbers._");
        sections.Add(s);
        BenchContext.Log($"({id}) {s.Status}: {s.Headline} [{sw.Elapsed.TotalSeconds:0} s]");
    }
    catch (Exception ex) when (ex is not OutOfMemoryException)
    {
        exit = 1;
        BenchContext.Log($"({id}) FAILED: {ex}");
        var s = new Section { Id = id, Title = "benchmark failed", Goal = "-", Baseline = "-", Status = "ERROR", Headline = ex.GetType().Name };
        s.Line();
        s.Line("The benchmark threw before producing a result:");
        s.Line();
        s.Line("```");
        s.Line(ex.Message);
        s.Line("```");
        sections.Add(s);
    }
}
BenchContext.Log($"done in {total.Elapsed.TotalSeconds:0} s");

foreach (Section s in sections) Console.WriteLine($"({s.Id}) {s.Status,-5} {s.Headline}");
if (output is not null)
{
    string path = Path.IsPathRooted(output) ? output : Path.Combine(Directory.GetCurrentDirectory(), output);
    ReportWriter.Write(path, ctx, sections);
    BenchContext.Log($"wrote {path}");
}
return exit;
