// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Config;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Sources.Zfs;

/// <summary>
/// What killed hosts left of zfs jobs: the snapshots and clones the journal says a job made and did not undo,
/// each checked to be the one the job made (<see cref="ZfsEffects"/>). Only the names in the journal are looked at —
/// no listing of every snapshot on the machine: a snapshot received by a restore, a held base, or a <c>@bp-…</c>
/// made by hand is never touched.
/// </summary>
public sealed class ZfsSweeper(Reloadable<ZfsSettings> reloadable, IToolRunner runner, EffectJournal journal, ILogger<ZfsSweeper> logger) : ILeftoverSweeper
{
    public async Task<IReadOnlyList<Leftover>> SweepAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var settings = reloadable.Current;
        var zfs = new ZfsTool(runner, settings.Zfs, settings.Zpool);
        var found = new List<Leftover>();
        foreach (var entry in journal.Leftovers(ZfsEffects.Source))
        {
            found.Add(await Leftover.UndoAsync(journal, entry, $"zfs {entry.Kind}", entry.Target, dryRun,
                () => ZfsEffects.UndoAsync(zfs, entry, cancellationToken), logger));
        }
        return found;
    }
}
