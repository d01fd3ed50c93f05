// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Cli.Bpipe;
using BackupPlugins.Core.Posix;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// <c>bpipe-writer</c>: runs a restore job on the host fed from standard input — pax members through the source's
/// restore (dir by default, under where), or a raw zfs stream. Fails with exit 1 and one-line reasons on standard
/// error, 2 for bad arguments.
/// </summary>
internal static class BpipeWriterCommand
{
    public static Command Create(Func<CancellationToken, Stream> openStdin, TextWriter stderr)
    {
        var source = new Option<string>("--source") { Description = "the source whose restore takes the archive", DefaultValueFactory = _ => "dir" };
        var where = new Option<string?>("--where") { Description = "restore under this directory (Bacula: --where=%w; default: $BareosWhere); / or an empty value restores in place" };
        var replace = new Option<string?>("--replace") { Description = "always, ifnewer, ifolder or never (Bacula's %r; default: $BareosReplace, else always)" };
        var format = BpipeOptions.Format();
        var jobId = BpipeOptions.JobId();
        var (socket, config, options) = (CommonOptions.Socket(), BpipeOptions.Config(), BpipeOptions.Options());
        var command = new Command("bpipe-writer", "restore a pax archive or a raw stream from standard input (bpipe writer)")
        {
            source, where, replace, format, jobId, socket, config, options,
        };
        command.SetAction(async (parse, invocationToken) =>
        {
            using var termination = new Termination(invocationToken);
            var cancellationToken = termination.Token;
            await using var stdin = openStdin(cancellationToken);
            var report = new Reporter(stderr, "bpipe-writer");
            var extra = new List<string>(parse.GetValue(options) ?? []);
            var raw = (parse.GetValue(format) ?? BpipeOptions.DefaultFormat(parse.GetValue(source)!, extra)) == "raw";
            RawStreamStart? stream = null;
            string definition;
            BpipeJob job;
            try
            {
                if (raw)
                {
                    // the stream names its dataset, as the plugin string of a Bareos job would
                    stream = await BpipeWriter.ReadRawHeaderAsync(stdin, cancellationToken);
                    if (!extra.Any(o => o.StartsWith("dataset=", StringComparison.Ordinal)))
                    {
                        extra.Insert(0, "dataset=" + stream.ToName.Split('@')[0]);
                    }
                }
                if (parse.GetValue(source) == "dir" && !extra.Any(o => o.StartsWith("path=", StringComparison.Ordinal)))
                {
                    extra.Insert(0, "path=/"); // members carry their absolute paths: the target is where itself
                }
                definition = BpipeOptions.Definition(parse.GetValue(source)!, extra);
                job = BpipeJob.From(Environment.GetEnvironmentVariable, null, null, parse.GetValue(jobId), parse.GetValue(where), parse.GetValue(replace));
                if (parse.GetValue(where) is null && Environment.GetEnvironmentVariable("BareosWhere") is null)
                {
                    throw new ArgumentException("say where to restore: --where DIR (Bacula: --where=%w), or --where / to restore in place");
                }
                if (job.Where.Length > 0 && job.Where[0] != '/')
                {
                    // Bacula substitutes an empty %w for where=/: "--where %w" then swallows the next argument
                    throw new ArgumentException($"--where {job.Where}: not an absolute directory; write --where=%w in the FileSet " +
                        "so that an empty where (restore in place) stays empty");
                }
            }
            catch (ArgumentException ex)
            {
                report.Info(ex.Message);
                return 2;
            }
            catch (InvalidDataException ex)
            {
                report.Info($"{ex.Message}; nothing was restored");
                return 1;
            }
            var root = PosixPath.FromString(job.Where.TrimEnd('/') is { Length: > 0 } w ? w : "/");
            await using var link = await HostLink.OpenAsync(parse.GetValue(socket)!, parse.GetValue(config), cancellationToken);
            var status = await JobRunner.RunAsync(
                () => RestoreSession.LoadAsync(link.Channel, job, definition, report, cancellationToken),
                session => session.StartAsync(cancellationToken),
                session => stream is { } start
                    ? BpipeWriter.ReceiveRawAsync(start, stdin, root, session, cancellationToken)
                    : BpipeWriter.ExtractPaxAsync(stdin, root, session, cancellationToken),
                (session, status) => session.EndAsync(status), report, "the restore is incomplete");
            return status == "T" ? 0 : 1;
        });
        return command;
    }
}
