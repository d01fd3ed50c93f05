// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using System.Text;
using BackupPlugins.Cli.Bpipe;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using Grpc.Core;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// bpipe's reader and writer (Bacula's and Bareos's <c>bpipe</c> plugin). <c>bpipe-reader</c> runs a backup job of any
/// source on the host and writes it to standard output as a POSIX pax archive (or, <c>--format raw</c>, a zfs send
/// stream); <c>bpipe-writer</c> runs a restore job fed from standard input. Both work through the running host, or
/// an embedded one when none answers. Member names are the absolute paths without the leading '/', so a restore
/// lands at where + original path. On any failure they exit non-zero with one-line reasons on standard error
/// (Bacula and Bareos put them in the job log).
/// </summary>
internal static class BpipeCommands
{
    public static Command Reader(Func<CancellationToken, Stream> openStdout, TextWriter stderr)
    {
        var source = new Option<string>("--source") { Description = "the source (dir, vz7, zfs, ...; `backup-plugins sources` lists them)", Required = true };
        var path = new Option<string?>("--path") { Description = "the source's path= option (source=dir: the tree to archive)" };
        var exclude = new Option<string[]>("--exclude") { Description = "globs, as the dir source's exclude= (repeatable)" };
        var format = Format();
        var level = new Option<string?>("--level") { Description = "job level F, I or D (default: $BareosJobLevel, else F)" };
        var since = new Option<long?>("--since") { Description = "Unix time an I/D job is relative to (default: $BareosSinceTime)" };
        var jobId = JobId();
        var (socket, config, options) = (CommonOptions.Socket(), Config(), Options());
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
            var raw = (parse.GetValue(format) ?? DefaultFormat(parse.GetValue(source)!, extra)) == "raw";
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
                definition = Definition(parse.GetValue(source)!, extra);
                job = BpipeJob.From(Environment.GetEnvironmentVariable, parse.GetValue(level), parse.GetValue(since), parse.GetValue(jobId), null, null);
            }
            catch (ArgumentException ex)
            {
                report.Info(ex.Message);
                return 2;
            }
            await using var link = await HostLink.OpenAsync(parse.GetValue(socket)!, parse.GetValue(config), cancellationToken);
            BackupSession? session = null;
            var status = "f";
            try
            {
                session = await BackupSession.LoadAsync(link.Channel, job, definition, report, cancellationToken);
                await session.StartAsync(cancellationToken);
                if (raw)
                {
                    await BpipeReader.WriteRawAsync(session, stdout, cancellationToken);
                }
                else
                {
                    await BpipeReader.WritePaxAsync(session, stdout, report, cancellationToken);
                }
                await stdout.FlushAsync(cancellationToken);
                status = report.Errors == 0 ? "T" : "W";
            }
            catch (Exception ex) when (Describe(ex) is { } reason)
            {
                report.Error($"{reason}; the {(raw ? "stream" : "archive")} is incomplete");
            }
            finally
            {
                await EndAsync(() => session?.EndAsync(status), report);
            }
            if (status == "W")
            {
                report.Info($"{report.Errors} entries could not be read; the archive lacks them");
            }
            return status == "T" ? 0 : 1;
        });
        return command;
    }

    public static Command Writer(Func<CancellationToken, Stream> openStdin, TextWriter stderr)
    {
        var source = new Option<string>("--source") { Description = "the source whose restore takes the archive", DefaultValueFactory = _ => "dir" };
        var where = new Option<string?>("--where") { Description = "restore under this directory (Bacula: --where=%w; default: $BareosWhere); / or an empty value restores in place" };
        var replace = new Option<string?>("--replace") { Description = "always, ifnewer, ifolder or never (Bacula's %r; default: $BareosReplace, else always)" };
        var format = Format();
        var jobId = JobId();
        var (socket, config, options) = (CommonOptions.Socket(), Config(), Options());
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
            var raw = (parse.GetValue(format) ?? DefaultFormat(parse.GetValue(source)!, extra)) == "raw";
            (byte[], string, ulong)? stream = null;
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
                        extra.Insert(0, "dataset=" + stream.Value.Item2.Split('@')[0]);
                    }
                }
                if (parse.GetValue(source) == "dir" && !extra.Any(o => o.StartsWith("path=", StringComparison.Ordinal)))
                {
                    extra.Insert(0, "path=/"); // members carry their absolute paths: the target is where itself
                }
                definition = Definition(parse.GetValue(source)!, extra);
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
            RestoreSession? session = null;
            var status = "f";
            try
            {
                session = await RestoreSession.LoadAsync(link.Channel, job, definition, report, cancellationToken);
                await session.StartAsync(cancellationToken);
                if (raw)
                {
                    await BpipeWriter.ReceiveRawAsync(stream!.Value, stdin, root, session, cancellationToken);
                }
                else
                {
                    await BpipeWriter.ExtractPaxAsync(stdin, root, session, cancellationToken);
                }
                status = report.Errors == 0 ? "T" : "W";
            }
            catch (Exception ex) when (Describe(ex) is { } reason)
            {
                report.Error($"{reason}; the restore is incomplete");
            }
            finally
            {
                await EndAsync(() => session?.EndAsync(status), report);
            }
            return status == "T" && report.Errors == 0 ? 0 : 1;
        });
        return command;
    }

    private static Option<string?> Format() => new("--format")
    {
        Description = "pax (every source) or raw (the one stream of zfs mode=stream); default: raw for zfs mode=stream, else pax",
        Validators = { r => { if (r.GetValueOrDefault<string?>() is { } f && f is not ("pax" or "raw")) r.AddError($"--format {f}: use pax or raw"); } },
    };

    private static Option<uint?> JobId() => new("--jobid") { Description = "the job id the host records (default: $BareosJobId, else the start time)" };

    private static Option<string?> Config() => new("--config") { Description = "host settings JSON, for an embedded host (see serve --config)" };

    private static Argument<string[]> Options() => new("options")
    {
        Description = "more of the source's plugin options, each as key=value (e.g. uuid=... mode=files)",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>The plugin definition the host parses: source=…, then the options, a ':' inside a value escaped.</summary>
    internal static string Definition(string source, IEnumerable<string> options)
    {
        var text = new StringBuilder("source=").Append(source).Append(':');
        foreach (var option in options)
        {
            var equals = option.IndexOf('=');
            if (equals <= 0)
            {
                throw new ArgumentException($"\"{option}\" is not a plugin option: write key=value (e.g. path=/srv/data)");
            }
            if (option[..equals] == "source")
            {
                throw new ArgumentException($"\"{option}\": give the source with --source only");
            }
            text.Append(option[..equals]).Append('=').Append(option[(equals + 1)..].Replace(":", "\\:")).Append(':');
        }
        return text.ToString();
    }

    private static string DefaultFormat(string source, IEnumerable<string> options) =>
        source == "zfs" && !options.Contains("mode=files") ? "raw" : "pax";

    /// <summary>The one-line reason of a failure that ends the command; null for bugs, which keep their stack.</summary>
    private static string? Describe(Exception ex) => ex switch
    {
        RpcException rpc => rpc.Status.Detail,
        OperationCanceledException => "cancelled",
        IOException or PosixException or BackupPluginException or UnauthorizedAccessException or InvalidDataException or FormatException => ex.Message,
        _ => null,
    };

    private static async Task EndAsync(Func<Task?> end, Reporter report)
    {
        try
        {
            await (end() ?? Task.CompletedTask);
        }
        catch (RpcException ex)
        {
            report.Error($"ending the job: {ex.Status.Detail}");
        }
    }
}
