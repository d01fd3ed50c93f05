// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Config;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Sources.Lvm;

/// <summary>
/// What killed hosts left of lvm jobs: the bind mounts, snapshot mounts, mount points and snapshots the journal says a
/// job made and did not undo, newest first as the job would have (unmount, remove the mount point, lvremove), each
/// checked to be the one the job made (<see cref="LvmEffects"/>). Only recorded names are looked at: a <c>bp-*</c>
/// volume made by hand is never touched.
/// </summary>
public sealed class LvmSweeper(Reloadable<LvmSettings> reloadable, IToolRunner runner, EffectJournal journal, ILogger<LvmSweeper> logger) : ILeftoverSweeper
{
    public async Task<IReadOnlyList<Leftover>> SweepAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var settings = reloadable.Current;
        var lvm = new LvmTool(runner, settings);
        var found = new List<Leftover>();
        foreach (var entry in journal.Leftovers(LvmEffects.Source))
        {
            found.Add(await Leftover.UndoAsync(journal, entry, $"lvm {entry.Kind}", entry.Target, dryRun,
                () => LvmEffects.UndoAsync(lvm, entry, cancellationToken), logger));
        }
        return found;
    }
}
