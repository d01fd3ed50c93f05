// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Core.Sources;

/// <summary>A job's <c>lockfile=</c>: taken with a timeout, released through the ledger on every path (flock: never stale after a crash).</summary>
public static class JobLock
{
    public static async Task TakeAsync(JobContext context, string? path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return;
        }
        var fileLock = await FileLock.AcquireAsync(path, timeout, cancellationToken);
        context.Ledger.Add($"release lock {path}", _ => fileLock.DisposeAsync().AsTask());
        context.Messages.Info($"locked {path}");
    }
}
