// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Config;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>
/// What killed hosts left of vz7 jobs: the mounts, mount points and ploop snapshots the journal says a job made and
/// did not undo, undone newest first as the job would have (unmount, remove the mount point, merge the snapshot).
/// A half-restored container image is unmounted and left in place. Then it reports, without touching them, mounts
/// <c>bp-*</c> under the mount root and snapshots <c>0bac0bac-*</c> that carry our prefix but that no job of ours
/// recorded.
/// </summary>
public sealed class Vz7Sweeper(Reloadable<Vz7Settings> reloadable, IToolRunner runner, EffectJournal journal, ILogger<Vz7Sweeper> logger) : ILeftoverSweeper
{
    public async Task<IReadOnlyList<Leftover>> SweepAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var settings = reloadable.Current;
        var ploop = new PloopTool(settings, runner, session: null);
        var found = new List<Leftover>();
        var recorded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in journal.Leftovers(Vz7Effects.Source))
        {
            recorded.Add(entry.Target);
            found.Add(await Leftover.UndoAsync(journal, entry, $"vz7 {entry.Kind}", Vz7Effects.Describe(entry), dryRun,
                () => Vz7Effects.UndoAsync(ploop, entry, cancellationToken), logger));
        }
        found.AddRange(ForeignMounts(settings, recorded));
        found.AddRange(await ForeignSnapshotsAsync(settings, ploop, recorded, cancellationToken));
        return found;
    }

    private static IEnumerable<Leftover> ForeignMounts(Vz7Settings settings, HashSet<string> recorded)
    {
        if (!Directory.Exists(settings.MountRoot))
        {
            yield break;
        }
        foreach (var mount in MountTable.MountedChildren(settings.MountRoot, Vz7Layout.MountPrefix).Where(m => !recorded.Contains(m)))
        {
            yield return Leftover.NotOurs("vz7 mount", mount, $"if it is a leftover, unmount it with `ploop umount -m {mount}`");
        }
    }

    private async Task<IEnumerable<Leftover>> ForeignSnapshotsAsync(Vz7Settings settings, PloopTool ploop, HashSet<string> recorded, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(settings.PrivateRoot))
        {
            return [];
        }
        var found = new List<Leftover>();
        foreach (var dd in Directory.EnumerateDirectories(settings.PrivateRoot)
                     .Select(d => Path.Combine(d, "root.hdd", "DiskDescriptor.xml")).Where(File.Exists))
        {
            IReadOnlyList<PloopSnapshot> snapshots;
            try
            {
                snapshots = await ploop.ListSnapshotsAsync(dd, cancellationToken);
            }
            catch (Exception ex) when (ex is ToolFailedException or FormatException)
            {
                found.Add(new Leftover("vz7 snapshot list", dd, false, ex.Message));
                continue;
            }
            found.AddRange(snapshots
                .Where(s => s.Uuid.StartsWith(Vz7Layout.SnapshotPrefix, StringComparison.Ordinal) && !recorded.Contains(s.Uuid))
                .Select(s => Leftover.NotOurs("vz7 snapshot", $"{{{s.Uuid}}} of {dd}",
                    $"if it is a leftover, merge it with `ploop snapshot-delete -u {s.Uuid} {dd}`")));
        }
        return found;
    }
}
