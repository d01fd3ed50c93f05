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
                var ours = reply.Leftovers.Where(l => !l.Foreign).ToList();
                var foreign = reply.Leftovers.Where(l => l.Foreign).ToList();
                await output.WriteLineAsync($"leftovers: {ours.Count}");
                foreach (var l in ours)
                {
                    await output.WriteLineAsync($"  {l.Kind} {l.Name}: " + (l.Removed, l.Error, l.Note) switch
                    {
                        (true, _, "") => "removed",
                        (true, _, var note) => note,
                        (false, "", _) => parse.GetValue(dryRun) ? "would be undone" : "kept",
                        (false, var error, _) => $"kept: {error}",
                    });
                }
                if (foreign.Count > 0)
                {
                    await output.WriteLineAsync($"not ours, left alone: {foreign.Count}");
                    foreach (var l in foreign)
                    {
                        await output.WriteLineAsync($"  {l.Kind} {l.Name}: {l.Note}");
                    }
                }
                return ours.Any(l => l.Error.Length > 0) ? 1 : 0;
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
