// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Sources.Zfs;

/// <summary>
/// Snapshots of ours (<c>@bp-F|I|D-&lt;jobid&gt;</c>) without our hold belong to a job that never ended well (the
/// host was killed): they are destroyed. Held ones are the bases of the next backups and stay.
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
        foreach (var name in names.Where(n => n.Contains('@') && ZfsStreamDriver.OurName().IsMatch(n[(n.IndexOf('@') + 1)..])))
        {
            if (await zfs.GetAsync("userrefs", name, cancellationToken) != "0")
            {
                continue;
            }
            if (dryRun)
            {
                found.Add(new Leftover("zfs snapshot", name, false));
                continue;
            }
            try
            {
                await zfs.DestroyAsync(name, cancellationToken);
                found.Add(new Leftover("zfs snapshot", name, true));
            }
            catch (ToolFailedException ex)
            {
                found.Add(new Leftover("zfs snapshot", name, false, ex.Message));
            }
        }
        return found;
    }
}
