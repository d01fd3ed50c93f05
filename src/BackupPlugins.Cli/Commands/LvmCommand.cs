// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Protocol.V1;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// <c>lvm backup SPECFILE [-l LEVEL] [--noop|--dry-run|-n]</c>: the seed's LVM snapshot + dar run, its command line and
/// backup profile unchanged. It runs in the host as a standalone job, so its snapshot and mounts are undone however
/// the command ends. Exit codes 0 / 1 warnings / 2 errors / 130 stopped.
/// </summary>
internal static class LvmCommand
{
    public static Command Create(TextWriter output, TextReader input)
    {
        var spec = new Argument<string>("specfile") { Description = "the backup profile (.ini: [backup], [lvm], [bindmounts], [rsync])" };
        var level = new Option<string>("--log", "-l") { Description = "log level: DEBUG, INFO (every command), WARNING (default), ERROR, CRITICAL", DefaultValueFactory = _ => "WARNING" };
        var noop = new Option<bool>("--noop", "--dry-run", "-n") { Description = "log the commands that would run; run nothing, write nothing" };
        var socket = CommonOptions.Socket();
        var hostConfig = CommonOptions.HostConfig();
        var progress = new ProgressOptions();
        var backup = new Command("backup", "snapshot a logical volume and write this month's next dar archive (the seed's backup script)")
        {
            spec, level, noop, socket, hostConfig,
        };
        progress.AddTo(backup);
        backup.SetAction(async (parse, invocationToken) =>
        {
            using var termination = new Termination(invocationToken);
            var request = new LvmBackupRequest
            {
                Spec = Path.GetFullPath(parse.GetValue(spec)!),
                Level = parse.GetValue(level)!,
                Noop = parse.GetValue(noop),
            };
            await using var link = await HostLink.OpenAsync(parse.GetValue(socket)!, parse.GetValue(hostConfig), CancellationToken.None);
            return await JobCall.RunAsync(link.Channel, new JobRequest { LvmBackup = request }, output, input, termination.Token,
                progress.Display(parse, output));
        });
        return new Command("lvm", "LVM logical volumes") { backup };
    }
}
