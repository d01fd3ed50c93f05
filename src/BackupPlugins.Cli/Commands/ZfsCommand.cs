// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Protocol.V1;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// <c>zfs sync --to usb|os --config zbackup.ini</c>: the seed zbackup's transfer between this host's pool and a USB
/// pool. It runs in the host as a standalone job (the running host on <c>--socket</c>, or one embedded in this command
/// when none answers), so the pool it imports is recorded in the host's journal: stopped (Ctrl-C) it exports the
/// pool before it ends; killed, the host's next start or <c>backup-plugins sweep</c> does. Non-interactive unless
/// <c>--confirm</c>. Exit codes 0 / 1 warnings / 2 errors / 130 stopped.
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
        var socket = CommonOptions.Socket();
        var hostConfig = CommonOptions.HostConfig();
        var progress = new ProgressOptions();
        var sync = new Command("sync", "send ZFS snapshots between this host's pool and a USB pool (zbackup)")
        {
            to, config, dryRun, confirm, rollback, forceFull, noIntermediates, keep, deviceDir, lockDir, socket, hostConfig,
        };
        progress.AddTo(sync);
        sync.SetAction(async (parse, invocationToken) =>
        {
            using var termination = new Termination(invocationToken);
            var request = new ZfsSyncRequest
            {
                ToUsb = parse.GetValue(to) == "usb", Config = Path.GetFullPath(parse.GetValue(config)!), DryRun = parse.GetValue(dryRun),
                Confirm = parse.GetValue(confirm), Rollback = parse.GetValue(rollback), ForceFull = parse.GetValue(forceFull),
                NoIntermediates = parse.GetValue(noIntermediates), DeviceDir = Path.GetFullPath(parse.GetValue(deviceDir)!),
                LockDir = Path.GetFullPath(parse.GetValue(lockDir)!),
            };
            if (parse.GetValue(keep) is { } n)
            {
                request.Keep = n;
            }
            await using var link = await HostLink.OpenAsync(parse.GetValue(socket)!, parse.GetValue(hostConfig), CancellationToken.None);
            return await JobCall.RunAsync(link.Channel, new JobRequest { ZfsSync = request }, output, input, termination.Token,
                progress.Display(parse, output));
        });
        return new Command("zfs", "ZFS jobs run on this machine") { sync };
    }
}
