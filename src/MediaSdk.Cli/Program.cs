using System.CommandLine;
using MediaSdk.Cli;

// The mediasdk command (ARCHITECTURE.md "The command line" is the contract).
var root = new RootCommand("mediasdk: real-time video understanding from the shell (tag files and live streams).");
root.Subcommands.Add(TagCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(SynthCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
return await CliRunner.RunAsync(root, args).ConfigureAwait(false);
