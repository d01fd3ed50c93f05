// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Cli.Bpipe;
using BackupPlugins.Cli.Commands;

var root = new RootCommand("backup-plugins: the BackupPlugins host and its command-line client");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(StatusCommand.Create(Console.Out));
root.Subcommands.Add(SourcesCommand.Create(Console.Out));
root.Subcommands.Add(SweepCommand.Create(Console.Out));
root.Subcommands.Add(CheckCommand.Create(Console.Out));
root.Subcommands.Add(ZfsCommand.Create(Console.Out, Console.In));
root.Subcommands.Add(ParallelsCommand.Create(Console.Out, Console.In));
root.Subcommands.Add(XenCommand.Create(Console.Out, Console.In));
root.Subcommands.Add(LvmCommand.Create(Console.Out, Console.In));
root.Subcommands.Add(BpipeReaderCommand.Create(token => new PipeEnd(1, FileAccess.Write, token), Console.Error));
root.Subcommands.Add(BpipeWriterCommand.Create(token => new PipeEnd(0, FileAccess.Read, token), Console.Error));
// Termination signals are not System.CommandLine's to handle (it ends the process 2 s after SIGTERM): `serve` stops
// through the host's lifetime, commands with side effects through `Termination`, the others end at once.
return await root.Parse(EmptyValuesKept(args)).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

// "--where=" means an empty value (Bacula substitutes an empty %w for where=/), but System.CommandLine would take the
// next argument as the value: hand it over as the option and an explicit empty argument.
static string[] EmptyValuesKept(string[] args) =>
    args.SelectMany(a => a.StartsWith("--", StringComparison.Ordinal) && a.EndsWith('=') && a.Length > 3 ? new[] { a[..^1], "" } : [a]).ToArray();

