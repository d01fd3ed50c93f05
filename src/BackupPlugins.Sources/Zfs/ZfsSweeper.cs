// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Sources.Zfs;

/// <summary>
/// What a killed host left of zfs jobs: stream snapshots of ours (<c>@bp-F|I|D-&lt;jobid&gt;</c>) without our hold
/// (held ones are the bases of the next backups and stay), and mode=files snapshots (<c>@bp-files-*</c>) and
/// clones (<c>bp-clone-*</c>), which never outlive a job.
/// </summary>
public sealed class ZfsSweeper(ZfsSettings settings, IToolRunner runner, ILogger<ZfsSweeper> logger) : ILeftoverSweeper
{
    public async Task<IReadOnlyList<Leftover>> SweepAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var zfs = new ZfsTool(runner, settings.Zfs, settings.Zpool);
        IReadOnlyList<string> names;
        try
        {
            names = await zfs.AllSnapshotNamesAsync(cancellationToken);
        }
        catch (ToolFailedException ex)
        {
            logger.LogDebug("No ZFS to sweep: {Error}", ex.Message);
            return [];
        }
        var found = new List<Leftover>();
        // mode=files: clones first (they depend on their snapshots), then the snapshots.
        foreach (var clone in (await zfs.AllFileSystemNamesAsync(cancellationToken)).Where(n => n.Split('/')[^1].StartsWith("bp-clone-", StringComparison.Ordinal)))
        {
            found.Add(await Leftover.UndoAsync("zfs clone", clone, dryRun, () => zfs.DestroyWhenFreeAsync(clone, cancellationToken, "-f"), logger));
        }
        foreach (var name in names.Where(n => n.Contains('@')))
        {
            var snapshot = SnapshotPart(name);
            if (snapshot.StartsWith("bp-files-", StringComparison.Ordinal)
                || (ZfsStreamDriver.OurName().IsMatch(snapshot) && await zfs.GetAsync("userrefs", name, cancellationToken) == "0"))
            {
                found.Add(await Leftover.UndoAsync("zfs snapshot", name, dryRun, () => zfs.DestroyWhenFreeAsync(name, cancellationToken), logger));
            }
        }
        return found;

        static string SnapshotPart(string full) => full[(full.IndexOf('@') + 1)..];
    }

}
