// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Core.Archive;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// bpipe's reader and writer (Bacula and Bareos <c>bpipe</c> plugin): <c>bpipe-reader</c> writes a source as a POSIX
/// pax archive to standard output, <c>bpipe-writer</c> extracts one from standard input under <c>--where</c>. Member
/// names are the absolute paths without the leading '/', so a restore lands at where + original path. On any
/// failure the command exits non-zero with a one-line reason on standard error (Bacula shows it in the job log).
/// </summary>
internal static class BpipeCommands
{
    public static Command Reader(Stream stdout, TextWriter stderr)
    {
        var source = new Option<string>("--source") { Description = "the source (dir)", Required = true };
        var path = new Option<string>("--path") { Description = "source=dir: the tree to archive", Required = true };
        var exclude = new Option<string[]>("--exclude") { Description = "globs, as the dir source's exclude=" };
        var command = new Command("bpipe-reader", "write a source as a pax archive to standard output (bpipe reader)") { source, path, exclude };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(source) != "dir")
            {
                await stderr.WriteLineAsync($"backup-plugins bpipe-reader: --source {parse.GetValue(source)} is not available yet; use --source dir");
                return 2;
            }
            var root = parse.GetValue(path)!.TrimEnd('/');
            try
            {
                await using var archive = new PaxArchiveWriter(stdout, "/"u8.ToArray());
                foreach (var item in new TreeWalker(PosixPath.FromString(root), new PathFilter(parse.GetValue(exclude) ?? [])).Walk(cancellationToken))
                {
                    await archive.WriteAsync(item, cancellationToken);
                }
                await stdout.FlushAsync(cancellationToken);
                return 0;
            }
            catch (Exception ex) when (ex is IOException or PosixException or BackupPluginException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"backup-plugins bpipe-reader: {ex.Message}; the archive is incomplete");
                return 1;
            }
        });
        return command;
    }

    public static Command Writer(Stream stdin, TextWriter stderr)
    {
        var where = new Option<string>("--where") { Description = "restore under this directory (Bacula's %w); / restores in place", Required = true };
        var command = new Command("bpipe-writer", "extract a pax archive from standard input (bpipe writer)") { where };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = parse.GetValue(where) is { Length: > 0 } w ? w : "/";
            var problems = 0;
            try
            {
                await PaxArchiveReader.ExtractAsync(stdin, target, problem =>
                {
                    problems++;
                    stderr.WriteLine($"backup-plugins bpipe-writer: {problem}");
                }, cancellationToken);
                return problems == 0 ? 0 : 1;
            }
            catch (Exception ex) when (ex is IOException or PosixException or BackupPluginException or InvalidDataException or FormatException)
            {
                await stderr.WriteLineAsync($"backup-plugins bpipe-writer: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
