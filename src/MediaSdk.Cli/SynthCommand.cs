using System.CommandLine;
using MediaSdk.Synth;

namespace MediaSdk.Cli;

/// <summary><c>mediasdk synth --out DIR</c>: generates the procedural video-language benchmark (docs/synth.md).</summary>
internal static class SynthCommand
{
    private static readonly Option<string> s_out = new("--out") { Description = "Output folder (media, scenes.jsonl, train.jsonl, val/ and test/ benches).", Required = true };
    private static readonly Option<int?> s_seed = new("--seed") { Description = "Seed (overrides the config's)." };
    private static readonly Option<string?> s_config = new("--config") { Description = "A JSON config (docs/synth.md); fields left out keep their defaults. 'small' is the test-sized config." };
    private static readonly Option<bool> s_verbose = new("--verbose") { Description = "Print stack traces on errors." };

    public static Command Create()
    {
        var command = new Command("synth", "Generate the procedural video-language benchmark: clips, images, scene graphs, a training manifest and val/test task suites.")
        {
            s_out, s_seed, s_config, s_verbose,
        };
        command.SetAction((parsed, ct) => RunAsync(parsed, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult p, CancellationToken ct)
    {
        SynthConfig config;
        try
        {
            config = p.GetValue(s_config) switch
            {
                null => SynthConfig.Default,
                "small" => SynthConfig.Small,
                string path => SynthConfig.Load(path),
            };
            if (p.GetValue(s_seed) is { } seed) config = config with { Seed = seed };
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message.ReplaceLineEndings(" ").Split(" (Parameter")[0]);
        }

        string output = p.GetValue(s_out)!;
        int last = -1;
        var progress = new Progress<(int Done, int Total)>(x =>
        {
            int percent = x.Total == 0 ? 100 : x.Done * 100 / x.Total;
            if (percent / 10 != last / 10 || x.Done == x.Total)
            {
                last = percent;
                Console.WriteLine($"synth: {x.Done}/{x.Total} items");
            }
        });
        SynthResult result;
        try
        {
            result = await SynthSuite.GenerateAsync(config, output, progress, ct).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message.ReplaceLineEndings(" ").Split(" (Parameter")[0]);
        }
        Console.WriteLine($"synth: {result.Scenes.Count} scenes ({result.Rendered} rendered, {result.Reused} reused), " +
            $"{result.MediaBytes / 1e6:F1} MB of media in {result.Elapsed:hh\\:mm\\:ss} -> {output} (train.jsonl, val/, test/)");
        return ExitCodes.Success;
    }
}
