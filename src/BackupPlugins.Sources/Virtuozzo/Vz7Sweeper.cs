// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>
/// Finds what a killed host left behind for vz7 jobs, by the fixed names: mounts <c>bp-*</c> under the mount root
/// (unmounted, their directories removed) and snapshots whose UUID starts with <see cref="Vz7Layout.SnapshotPrefix"/>
/// (merged back). A half-restored container image is unmounted and left in place, and said so.
/// </summary>
public sealed class Vz7Sweeper(Vz7Settings settings, IToolRunner runner, ILogger<Vz7Sweeper> logger) : ILeftoverSweeper
{
    public async Task<IReadOnlyList<Leftover>> SweepAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var found = new List<Leftover>();
        var ploop = new PloopTool(settings, runner, session: null);
        if (Directory.Exists(settings.MountRoot))
        {
            foreach (var mount in MountTable.MountedChildren(settings.MountRoot, Vz7Layout.MountPrefix))
            {
                found.Add(await Leftover.UndoAsync("vz7 mount", mount, dryRun, async () =>
                {
                    await ploop.UnmountAtAsync(mount, cancellationToken);
                    Directory.Delete(mount);
                }, logger));
            }
            foreach (var dir in Directory.EnumerateDirectories(settings.MountRoot, Vz7Layout.MountPrefix + "*"))
            {
                if (!MountTable.IsMountPoint(dir) && !Directory.EnumerateFileSystemEntries(dir).Any())
                {
                    found.Add(await Leftover.UndoAsync("vz7 mount point", dir, dryRun, () => { Directory.Delete(dir); return Task.CompletedTask; }, logger));
                }
            }
        }
        if (Directory.Exists(settings.PrivateRoot))
        {
            foreach (var dd in Directory.EnumerateDirectories(settings.PrivateRoot)
                         .Select(d => Path.Combine(d, "root.hdd", "DiskDescriptor.xml")).Where(File.Exists))
            {
                found.AddRange(await SweepSnapshotsAsync(ploop, dd, dryRun, cancellationToken));
            }
        }
        return found;
    }

    private async Task<IEnumerable<Leftover>> SweepSnapshotsAsync(PloopTool ploop, string dd, bool dryRun, CancellationToken cancellationToken)
    {
        IReadOnlyList<PloopSnapshot> snapshots;
        try
        {
            snapshots = await ploop.ListSnapshotsAsync(dd, cancellationToken);
        }
        catch (Exception ex) when (ex is ToolFailedException or FormatException)
        {
            return [new Leftover("vz7 snapshot list", dd, false, ex.Message)];
        }
        var found = new List<Leftover>();
        foreach (var s in snapshots.Where(s => s.Uuid.StartsWith(Vz7Layout.SnapshotPrefix, StringComparison.Ordinal)))
        {
            found.Add(await Leftover.UndoAsync("vz7 snapshot", $"{{{s.Uuid}}} of {dd}", dryRun,
                () => ploop.DeleteSnapshotAsync(s.Uuid, dd, cancellationToken), logger));
        }
        return found;
    }

}
