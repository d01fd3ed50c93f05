// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Protocol.V1;
using BackupPlugins.Sources.Parallels;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// <c>parallels backup [--config F] [-o FILE] [--dry-run] [--vm NAME]</c>: the seed backupParallels.py's run, with its
/// ini unchanged (<c>~/.backupParallels.ini</c>, then <c>/etc/backupParallels.ini</c>). It runs in the host as a
/// standalone job, so a VM it suspended is resumed however the command ends (Ctrl-C, or the host's next start or
/// <c>backup-plugins sweep</c> after a kill). Exit codes 0 / 1 warnings / 2 errors / 130 stopped.
/// </summary>
internal static class ParallelsCommand
{
    public static Command Create(TextWriter output, TextReader input)
    {
        var config = new Option<string?>("--config") { Description = "backupParallels.ini (default: ~/.backupParallels.ini, then /etc/backupParallels.ini)" };
        var log = new Option<string?>("--output", "-o") { Description = "append the log lines to this file instead of printing them" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the plan (VMs, uptime decision, slot, commands, destinations) and change nothing" };
        var vm = new Option<string?>("--vm") { Description = "only this virtual machine (name or UUID)" };
        var socket = CommonOptions.Socket();
        var hostConfig = CommonOptions.HostConfig();
        var progress = new ProgressOptions();
        var backup = new Command("backup", "suspend, clone, tar, compress and copy Parallels VMs (backupParallels.py)")
        {
            config, log, dryRun, vm, socket, hostConfig,
        };
        progress.AddTo(backup);
        backup.SetAction(async (parse, invocationToken) =>
        {
            using var termination = new Termination(invocationToken);
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var path = parse.GetValue(config) is { } given ? Path.GetFullPath(given) : ParallelsConfig.Find(home);
            await using var logFile = parse.GetValue(log) is { } file ? new StreamWriter(file, append: true) { AutoFlush = true } : null;
            var lines = logFile ?? output;
            if (path is null)
            {
                await lines.WriteLineAsync($"error: no configuration: neither {string.Join(" nor ", ParallelsConfig.Candidates)} exists; write one or give --config");
                return 2;
            }
            var request = new ParallelsBackupRequest { Config = path, Home = home, DryRun = parse.GetValue(dryRun), Vm = parse.GetValue(vm) ?? "" };
            await using var link = await HostLink.OpenAsync(parse.GetValue(socket)!, parse.GetValue(hostConfig), CancellationToken.None);
            return await JobCall.RunAsync(link.Channel, new JobRequest { ParallelsBackup = request }, lines, input, termination.Token,
                progress.Display(parse, output, logFile));
        });
        return new Command("parallels", "Parallels virtual machines") { backup };
    }
}
