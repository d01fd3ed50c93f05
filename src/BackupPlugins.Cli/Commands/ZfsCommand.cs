// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Sources.Zfs;
using BackupPlugins.Sources.Zfs.Sync;
using BackupPlugins.Tools;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// <c>zfs sync --to usb|os --config zbackup.ini</c>: the seed zbackup's transfer between this host's pool and a USB
/// pool, run here (not through the host: it is a local administration job, like zrepl's). Non-interactive unless
/// <c>--confirm</c>. Exit codes 0 / 1 warnings / 2 errors.
/// </summary>
internal static class ZfsCommand
{
    public static Command Create(TextWriter output, TextReader input)
    {
        var to = new Option<string>("--to") { Description = "usb: host pool to USB pool; os: USB pool to host pool", Required = true };
        to.AcceptOnlyFromAmong("usb", "os");
        var config = new Option<string>("--config") { Description = "zbackup.ini ([DEFAULT] volume=, [USB device], [host…])", Required = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "print what would be sent (base, snapshot, estimated size) and change nothing" };
        var confirm = new Option<bool>("--confirm") { Description = "ask before destroying anything (rollback, forced full, retention)" };
        var rollback = new Option<bool>("--rollback") { Description = "roll the destination back over snapshots newer than the common one" };
        var forceFull = new Option<bool>("--force-full") { Description = "without a common snapshot: destroy the destination's snapshots and send in full" };
        var noIntermediates = new Option<bool>("--no-intermediates") { Description = "send only the newest snapshot (-i), not those in between (-I)" };
        var keep = new Option<int?>("--keep") { Description = "keep the newest N date-named snapshots on both sides (overrides save-last-snapshots)" };
        var deviceDir = new Option<string>("--device-dir") { Description = "where the USB partition is found by partuuid", DefaultValueFactory = _ => "/dev/disk/by-partuuid" };
        var lockDir = new Option<string>("--lock-dir") { Description = "directory of the run lock", DefaultValueFactory = _ => "/run/lock" };
        var sync = new Command("sync", "send ZFS snapshots between this host's pool and a USB pool (zbackup)")
        {
            to, config, dryRun, confirm, rollback, forceFull, noIntermediates, keep, deviceDir, lockDir,
        };
        sync.SetAction(async (parse, invocationToken) =>
        {
            using var termination = new Termination(invocationToken);
            var cancellationToken = termination.Token;
            ZbackupConfig settings;
            try
            {
                settings = ZbackupConfig.Load(parse.GetValue(config)!);
            }
            catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
            {
                await output.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }
            var options = new SyncOptions(parse.GetValue(to) == "usb", parse.GetValue(deviceDir)!, parse.GetValue(dryRun), parse.GetValue(confirm),
                parse.GetValue(rollback), parse.GetValue(forceFull), !parse.GetValue(noIntermediates), parse.GetValue(keep), parse.GetValue(lockDir)!);
            using var logging = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
            var zfs = new ZfsTool(new ToolRunner(logging.CreateLogger<ToolRunner>()));
            return await new ZfsSync(zfs, settings, options, output, question => Ask(output, input, question), TimeProvider.System)
                .RunAsync(cancellationToken);
        });
        return new Command("zfs", "ZFS jobs run on this machine") { sync };
    }

    private static bool Ask(TextWriter output, TextReader input, string question)
    {
        output.Write(question + " [y/N] ");
        output.Flush();
        return (input.ReadLine() ?? "").Trim().ToLowerInvariant() is "y" or "yes";
    }
}
