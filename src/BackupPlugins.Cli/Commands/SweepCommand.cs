// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Protocol.V1;
using Grpc.Core;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// <c>sweep [--dry-run]</c>: finds and undoes what killed hosts and killed bpipe commands left behind — through the
/// running host, or an embedded one when none runs (a machine that only uses bpipe). Refused while jobs run.
/// </summary>
internal static class SweepCommand
{
    public static Command Create(TextWriter output)
    {
        var socket = CommonOptions.Socket();
        var dryRun = new Option<bool>("--dry-run") { Description = "only list what would be undone" };
        var config = new Option<string?>("--config") { Description = "host settings JSON, for an embedded host (see serve --config)" };
        var command = new Command("sweep", "undo leftovers (snapshots, mounts) of killed hosts") { socket, dryRun, config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var link = await HostLink.OpenAsync(parse.GetValue(socket)!, parse.GetValue(config), cancellationToken, runsJobs: false);
            try
            {
                var reply = await new Control.ControlClient(link.Channel).SweepAsync(new SweepRequest { DryRun = parse.GetValue(dryRun) },
                    cancellationToken: cancellationToken);
                await output.WriteLineAsync($"leftovers: {reply.Leftovers.Count}");
                foreach (var l in reply.Leftovers)
                {
                    await output.WriteLineAsync($"  {l.Kind} {l.Name}: {(l.Removed ? "removed" : "kept")} {l.Error}");
                }
                return 0;
            }
            catch (RpcException ex)
            {
                await output.WriteLineAsync($"backup-plugins: {ex.Status.StatusCode}: {ex.Status.Detail}");
                return 2;
            }
        });
        return command;
    }
}
