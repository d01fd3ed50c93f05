// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Protocol.V1;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// <c>status [--json]</c>: sessions and standalone jobs with their phase, files, bytes and rate, and what each holds and
/// will undo (snapshots, mounts, suspended VMs, locks); jobs whose grpc-fd module died mid-job, until their client's
/// next job is told; the commands running now. <c>--json</c>: the host's answer as
/// JSON (proto3's JSON mapping, field names as in control.proto), for monitoring.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(TextWriter output)
    {
        var socket = CommonOptions.Socket();
        var json = new Option<bool>("--json") { Description = "print the status as JSON" };
        var command = new Command("status", "show the host's sessions, what they hold, and running commands") { socket, json };
        command.SetAction((parse, _) => HostClient.RunAsync(parse.GetValue(socket)!, output, async channel =>
        {
            var status = await new Control.ControlClient(channel).GetStatusAsync(new GetStatusRequest());
            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(new Google.Protobuf.JsonFormatter(Google.Protobuf.JsonFormatter.Settings.Default
                    .WithPreserveProtoFieldNames(true).WithFormatDefaultValues(true)).Format(status));
                return;
            }
            await output.WriteLineAsync($"backup-plugins {status.Version}, up since {status.Started.ToDateTimeOffset():u}, listening on {string.Join(", ", status.Listening)}");
            await output.WriteLineAsync($"sessions: {status.Sessions.Count}");
            foreach (var s in status.Sessions)
            {
                await output.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"  {s.Id}  job {s.JobId} {s.JobName}  source={s.Source}  phase={s.Phase}  files={s.Files} bytes={s.Bytes} " +
                    $"rate={s.BytesPerSecond / 1e6:0.0} MB/s  since {s.Started.ToDateTimeOffset():u}"));
                foreach (var undo in s.Undo)
                {
                    await output.WriteLineAsync($"    holds, to undo: {undo}");
                }
            }
            if (status.Interrupted.Count > 0)
            {
                await output.WriteLineAsync($"interrupted jobs, to be told in their client's next job: {status.Interrupted.Count}");
                foreach (var i in status.Interrupted)
                {
                    await output.WriteLineAsync($"  job {i.JobId} {i.JobName}  client={i.Client}  phase={i.Phase}  files={i.Files}  " +
                        $"lost its plugin at {i.When.ToDateTimeOffset():u}");
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
