// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>The job's lockfile (backup and restore alike): taken with a timeout, released through the ledger on every path.</summary>
internal static class Vz7Lock
{
    public static async Task TakeAsync(Vz7Options options, JobContext context, CancellationToken cancellationToken)
    {
        if (options.LockFile is null)
        {
            return;
        }
        var fileLock = await FileLock.AcquireAsync(options.LockFile, options.LockTimeout, cancellationToken);
        context.Ledger.Add($"release lock {options.LockFile}", _ => fileLock.DisposeAsync().AsTask());
        context.Messages.Info($"vz7: locked {options.LockFile}");
    }
}
