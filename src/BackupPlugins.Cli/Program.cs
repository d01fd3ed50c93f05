// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Cli.Commands;

var root = new RootCommand("backup-plugins: the BackupPlugins host and its command-line client");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(StatusCommand.Create(Console.Out));
root.Subcommands.Add(SourcesCommand.Create(Console.Out));
root.Subcommands.Add(SweepCommand.Create(Console.Out));
root.Subcommands.Add(ZfsCommand.Create(Console.Out, Console.In));
root.Subcommands.Add(BpipeCommands.Reader(Console.OpenStandardOutput(), Console.Error));
root.Subcommands.Add(BpipeCommands.Writer(Console.OpenStandardInput(), Console.Error));
return await root.Parse(args).InvokeAsync();
