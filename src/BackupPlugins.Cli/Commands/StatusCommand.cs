// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Protocol.V1;

namespace BackupPlugins.Cli.Commands;

/// <summary><c>status</c>: sessions with their phase and pending undo steps, and the commands running now.</summary>
internal static class StatusCommand
{
    public static Command Create(TextWriter output)
    {
        var socket = CommonOptions.Socket();
        var command = new Command("status", "show the host's sessions and running commands") { socket };
        command.SetAction((parse, _) => HostClient.RunAsync(parse.GetValue(socket)!, output, async channel =>
        {
            var status = await new Control.ControlClient(channel).GetStatusAsync(new GetStatusRequest());
            await output.WriteLineAsync($"backup-plugins {status.Version}, up since {status.Started.ToDateTimeOffset():u}, listening on {string.Join(", ", status.Listening)}");
            await output.WriteLineAsync($"sessions: {status.Sessions.Count}");
            foreach (var s in status.Sessions)
            {
                await output.WriteLineAsync($"  {s.Id}  job {s.JobId} {s.JobName}  source={s.Source}  phase={s.Phase}  files={s.Files} bytes={s.Bytes}");
                foreach (var undo in s.Undo)
                {
                    await output.WriteLineAsync($"    pending undo: {undo}");
                }
            }
            await output.WriteLineAsync($"running commands: {status.Commands.Count}");
            foreach (var c in status.Commands)
            {
                await output.WriteLineAsync($"  pid {c.Pid} since {c.Started.ToDateTimeOffset():u} [{c.Session}]: {string.Join(' ', c.Argv)}");
            }
        }));
        return command;
    }
}
