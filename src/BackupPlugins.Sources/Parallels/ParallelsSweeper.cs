// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// What a killed Parallels backup left: a VM it suspended (resumed, if it is still suspended) and a bundle clone
/// (removed) — only what the journal says the job made; no VM is looked at by its state or name alone.
/// </summary>
public sealed class ParallelsSweeper(IToolRunner runner, EffectJournal journal, ILogger<ParallelsSweeper> logger) : ILeftoverSweeper
{
    public async Task<IReadOnlyList<Leftover>> SweepAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var found = new List<Leftover>();
        foreach (var entry in journal.Leftovers(ParallelsEffects.Source))
        {
            var name = entry.Kind is ParallelsEffects.Suspend or ParallelsEffects.Snapshot ? $"{entry.Fact(ParallelsEffects.Name)} ({entry.Target})" : entry.Target;
            found.Add(await Leftover.UndoAsync(journal, entry, $"parallels {entry.Kind}", name, dryRun,
                () => ParallelsEffects.UndoAsync(runner, entry, null, cancellationToken), logger));
        }
        return found;
    }
}
