// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Cli.Commands;

var root = new RootCommand("backup-plugins: the BackupPlugins host and its command-line client");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(StatusCommand.Create(Console.Out));
root.Subcommands.Add(SourcesCommand.Create(Console.Out));
root.Subcommands.Add(SweepCommand.Create(Console.Out));
root.Subcommands.Add(ZfsCommand.Create(Console.Out, Console.In));
root.Subcommands.Add(BpipeCommands.Reader(StandardStream(1, FileAccess.Write), Console.Error));
root.Subcommands.Add(BpipeCommands.Writer(StandardStream(0, FileAccess.Read), Console.Error));
return await root.Parse(EmptyValuesKept(args)).InvokeAsync();

// "--where=" means an empty value (Bacula substitutes an empty %w for where=/), but System.CommandLine would take the
// next argument as the value: hand it over as the option and an explicit empty argument.
static string[] EmptyValuesKept(string[] args) =>
    args.SelectMany(a => a.StartsWith("--", StringComparison.Ordinal) && a.EndsWith('=') && a.Length > 3 ? new[] { a[..^1], "" } : [a]).ToArray();

// Not Console.OpenStandardOutput(): that stream pretends a write into a closed pipe succeeded (EPIPE is swallowed),
// and a bpipe reader whose consumer is gone must fail, not end "OK" with half an archive.
static Stream StandardStream(int fd, FileAccess access) =>
    new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), access, bufferSize: 0);
