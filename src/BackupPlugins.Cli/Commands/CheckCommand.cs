// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Protocol.V1;
using Grpc.Core;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// <c>check plugin STRING</c> / <c>check bpipe LINE</c> / <c>check config KIND FILE</c> / <c>check host-config FILE</c>:
/// validates a FileSet's plugin string or bpipe line, a standalone job's configuration file or a host configuration
/// without running anything — through the running host (its sources and settings), or one embedded
/// with <c>--host-config</c> — with the messages the job would give: <c>error:</c> and <c>warning:</c> lines, then
/// <c>ok:</c> and what was understood. Exit code 0 when there is no error, 1 otherwise.
/// </summary>
internal static class CheckCommand
{
    public static Command Create(TextWriter output)
    {
        var text = new Argument<string>("string") { Description = "the plugin string as in the FileSet: python3:module_path=…:module_name=bareos-fd-backupplugins:source=…" };
        var plugin = new Command("plugin", "check a Bareos plugin string") { text };
        var kind = new Argument<string>("kind") { Description = "zfs-sync, parallels, xen or lvm" };
        var file = new Argument<string>("file") { Description = "the configuration file" };
        var home = new Option<string?>("--home") { Description = "parallels: the home directory ~ stands for (default: yours)" };
        var config = new Command("config", "check a standalone job's configuration file") { kind, file, home };
        var socket = CommonOptions.Socket();
        var hostConfig = new Option<string?>("--host-config") { Description = "host settings JSON, for an embedded host (see serve --config)" };
        var line = new Argument<string>("line") { Description = "the FileSet's bpipe plugin line: bpipe:file=…:reader=backup-plugins bpipe-reader --source …:writer=…" };
        var bpipe = new Command("bpipe", "check a bpipe plugin line whose reader is bpipe-reader") { line };
        var hostFile = new Argument<string>("file") { Description = "the host configuration (JSON, as serve --config takes it)" };
        var host = new Command("host-config", "check a host configuration file") { hostFile };
        var command = new Command("check", "validate a plugin string, a bpipe line or a configuration file; nothing runs") { plugin, bpipe, config, host };
        foreach (var sub in new[] { plugin, bpipe, config, host })
        {
            sub.Options.Add(socket);
            sub.Options.Add(hostConfig);
        }
        plugin.SetAction((parse, ct) => RunAsync(parse, socket, hostConfig, output, new CheckRequest { Plugin = parse.GetValue(text)! }, ct));
        host.SetAction((parse, ct) => RunAsync(parse, socket, hostConfig, output,
            new CheckRequest { HostConfig = Path.GetFullPath(parse.GetValue(hostFile)!) }, ct));
        bpipe.SetAction(async (parse, ct) =>
        {
            string options;
            try
            {
                options = BpipeLine.ReaderOptions(parse.GetValue(line)!);
            }
            catch (FormatException ex)
            {
                await output.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
            return await RunAsync(parse, socket, hostConfig, output, new CheckRequest { Options = options }, ct);
        });
        config.SetAction((parse, ct) => RunAsync(parse, socket, hostConfig, output, new CheckRequest
        {
            Config = new ConfigFile
            {
                Kind = parse.GetValue(kind)!,
                Path = Path.GetFullPath(parse.GetValue(file)!),
                Home = parse.GetValue(home) ?? Environment.GetEnvironmentVariable("HOME") ?? "",
            },
        }, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, Option<string> socket, Option<string?> hostConfig, TextWriter output,
        CheckRequest request, CancellationToken cancellationToken)
    {
        await using var link = await HostLink.OpenAsync(parse.GetValue(socket)!, parse.GetValue(hostConfig), cancellationToken, runsJobs: false);
        try
        {
            var reply = await new Control.ControlClient(link.Channel).CheckAsync(request, cancellationToken: cancellationToken);
            foreach (var problem in reply.Problems)
            {
                await output.WriteLineAsync($"error: {problem}");
            }
            foreach (var warning in reply.Warnings)
            {
                await output.WriteLineAsync($"warning: {warning}");
            }
            if (reply.Problems.Count == 0)
            {
                await output.WriteLineAsync($"ok: {reply.Summary}");
            }
            return reply.Problems.Count == 0 ? 0 : 1;
        }
        catch (RpcException ex)
        {
            await output.WriteLineAsync($"backup-plugins: {ex.Status.StatusCode}: {ex.Status.Detail}");
            return 2;
        }
    }
}
