// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Cli.Bpipe;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// <c>bpipe-reader</c> (the reader of Bacula's and Bareos's <c>bpipe</c> plugin): runs a backup job of any source on the
/// host and writes it to standard output as a POSIX pax archive, or — <c>--format raw</c> — zfs mode=stream's send
/// stream. Member names are the absolute paths without the leading '/'. Fails with exit 1 and one-line reasons on
/// standard error (the job log), 2 for bad arguments.
/// </summary>
internal static class BpipeReaderCommand
{
    public static Command Create(Func<CancellationToken, Stream> openStdout, TextWriter stderr)
    {
        var source = new Option<string>("--source") { Description = "the source (dir, vz7, zfs, parallels, xen, ...; `backup-plugins sources` lists them)", Required = true };
        var path = new Option<string?>("--path") { Description = "the source's path= option (source=dir: the tree to archive)" };
        var exclude = new Option<string[]>("--exclude") { Description = "globs, as the dir source's exclude= (repeatable)" };
        var format = BpipeOptions.Format();
        var level = new Option<string?>("--level") { Description = "job level F, I or D (default: $BareosJobLevel, else F)" };
        var since = new Option<long?>("--since") { Description = "Unix time an I/D job is relative to (default: $BareosSinceTime)" };
        var jobId = BpipeOptions.JobId();
        var (socket, config, options) = (CommonOptions.Socket(), BpipeOptions.Config(), BpipeOptions.Options());
        var command = new Command("bpipe-reader", "back up a source to standard output as a pax archive or a raw stream (bpipe reader)")
        {
            source, path, exclude, format, level, since, jobId, socket, config, options,
        };
        command.SetAction(async (parse, invocationToken) =>
        {
            using var termination = new Termination(invocationToken);
            var cancellationToken = termination.Token;
            await using var stdout = openStdout(cancellationToken);
            var report = new Reporter(stderr, "bpipe-reader");
            var extra = new List<string>(parse.GetValue(options) ?? []);
            var raw = (parse.GetValue(format) ?? BpipeOptions.DefaultFormat(parse.GetValue(source)!, extra)) == "raw";
            string definition;
            BpipeJob job;
            try
            {
                if (parse.GetValue(path) is { } p)
                {
                    extra.Insert(0, "path=" + p);
                }
                if (parse.GetValue(exclude) is { Length: > 0 } globs)
                {
                    extra.Add("exclude=" + string.Join(',', globs));
                }
                definition = BpipeOptions.Definition(parse.GetValue(source)!, extra);
                job = BpipeJob.From(Environment.GetEnvironmentVariable, parse.GetValue(level), parse.GetValue(since), parse.GetValue(jobId), null, null);
            }
            catch (ArgumentException ex)
            {
                report.Info(ex.Message);
                return 2;
            }
            await using var link = await HostLink.OpenAsync(parse.GetValue(socket)!, parse.GetValue(config), cancellationToken);
            var status = await JobRunner.RunAsync(
                () => BackupSession.LoadAsync(link.Channel, job, definition, report, cancellationToken),
                session => session.StartAsync(cancellationToken),
                async session =>
                {
                    await (raw
                        ? BpipeReader.WriteRawAsync(session, stdout, cancellationToken)
                        : BpipeReader.WritePaxAsync(session, stdout, report, cancellationToken));
                    await stdout.FlushAsync(cancellationToken);
                },
                (session, status) => session.EndAsync(status), report, $"the {(raw ? "stream" : "archive")} is incomplete");
            if (status == "W")
            {
                report.Info($"{report.Errors} entries could not be read; the archive lacks them");
            }
            return status == "T" ? 0 : 1;
        });
        return command;
    }
}
