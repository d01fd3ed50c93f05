// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Protocol.V1;

namespace BackupPlugins.Cli.Commands;

/// <summary><c>sweep [--dry-run]</c>: finds and undoes what killed hosts left behind.</summary>
internal static class SweepCommand
{
    public static Command Create(TextWriter output)
    {
        var socket = CommonOptions.Socket();
        var dryRun = new Option<bool>("--dry-run") { Description = "only list what would be undone" };
        var command = new Command("sweep", "undo leftovers (snapshots, mounts) of killed hosts") { socket, dryRun };
        command.SetAction((parse, _) => HostClient.RunAsync(parse.GetValue(socket)!, output, async channel =>
        {
            var reply = await new Control.ControlClient(channel).SweepAsync(new SweepRequest { DryRun = parse.GetValue(dryRun) });
            await output.WriteLineAsync($"leftovers: {reply.Leftovers.Count}");
            foreach (var l in reply.Leftovers)
            {
                await output.WriteLineAsync($"  {l.Kind} {l.Name}: {(l.Removed ? "removed" : "kept")} {l.Error}");
            }
        }));
        return command;
    }
}
