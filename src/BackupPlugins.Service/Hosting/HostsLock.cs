// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Service.Hosting;

/// <summary>
/// The machine-wide lock between sweeps and embedded hosts: an embedded host (a bpipe command's own) holds it shared
/// while it lives; a sweep (at start-up, or on request) runs only if it can take it exclusive. Its jobs' snapshots
/// and mounts carry the same fixed names a sweep removes.
/// </summary>
internal static class HostsLock
{
    public static IAsyncDisposable? TryExclusive(string path, ILogger logger)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return FileLock.TryAcquire(path, shared: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PosixException)
        {
            logger.LogWarning("Cannot open {Lock} ({Reason}); sweeping without knowing of embedded hosts", path, ex.Message);
            return new Unlocked();
        }
    }

    public static async Task<FileLock?> HoldSharedAsync(string path, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            for (var waited = 0; ; waited++)
            {
                if (FileLock.TryAcquire(path, shared: true) is { } held)
                {
                    return held;
                }
                if (waited == 300)
                {
                    throw new IOException($"{path} stayed locked by a sweep for 30 s");
                }
                await Task.Delay(100, cancellationToken); // a sweep is running: wait for it to finish
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PosixException)
        {
            logger.LogWarning("Cannot hold {Lock} ({Reason}); a sweep could mistake this job's snapshots for leftovers", path, ex.Message);
            return null;
        }
    }

    private sealed class Unlocked : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
