// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;

namespace BackupPlugins.Core.Trees;

/// <summary>
/// An exclusive flock(2) on a lock file. The kernel drops it when the host dies, so it is never stale;
/// the file itself stays (removing it would race with the next locker).
/// </summary>
public sealed class FileLock : IAsyncDisposable
{
    private int _fd;

    private FileLock(int fd) => _fd = fd;

    /// <summary>
    /// A standalone job's run lock, taken at once or not at all: when it is held, "another <paramref name="whatRuns"/>
    /// is running (lock PATH); try again when it has finished" (<paramref name="code"/>).
    /// </summary>
    public static async Task<FileLock> AcquireRunLockAsync(string path, string code, string whatRuns, CancellationToken cancellationToken)
    {
        try
        {
            return await AcquireAsync(path, TimeSpan.Zero, cancellationToken);
        }
        catch (BackupPluginException ex) when (ex.Code == "lock.timeout")
        {
            throw new BackupPluginException(ErrorKind.Precondition, code, $"another {whatRuns} is running (lock {path}); try again when it has finished");
        }
    }

    public static async Task<FileLock> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var bytes = PosixPath.FromString(path);
        int fd;
        try
        {
            fd = FileSystem.Open(bytes, Libc.ORdWr | Libc.OCreat, 0x1A4);
        }
        catch (PosixException ex)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "lock.open",
                $"cannot open lockfile {path}: {ex.Message}; check that its directory exists and is writable", ex);
        }
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Libc.flock(fd, Libc.LockEx | Libc.LockNb) == 0)
            {
                return new FileLock(fd);
            }
            var errno = Libc.Errno;
            if (errno != Libc.EWOULDBLOCK && errno != Libc.EINTR)
            {
                Libc.close(fd);
                throw new BackupPluginException(ErrorKind.Failed, "lock.failed", $"cannot lock {path}: {Libc.Describe(errno)}");
            }
            if (DateTime.UtcNow >= deadline)
            {
                Libc.close(fd);
                throw new BackupPluginException(ErrorKind.Precondition, "lock.timeout",
                    $"lockfile {path} is held by another job; gave up after {timeout.TotalSeconds:0} s (lock_timeout=). " +
                    "Wait for that job to finish, or raise lock_timeout");
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Libc.close(fd);
                throw;
            }
        }
    }

    /// <summary>
    /// Takes the lock now or not at all: exclusive, or shared with other shared holders. Null when another process
    /// holds it in a conflicting mode.
    /// </summary>
    public static FileLock? TryAcquire(string path, bool shared)
    {
        var bytes = PosixPath.FromString(path);
        var fd = FileSystem.Open(bytes, Libc.ORdWr | Libc.OCreat, 0x1A4);
        if (Libc.flock(fd, (shared ? Libc.LockSh : Libc.LockEx) | Libc.LockNb) == 0)
        {
            return new FileLock(fd);
        }
        Libc.close(fd);
        return null;
    }

    public ValueTask DisposeAsync()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Libc.flock(fd, Libc.LockUn);
            Libc.close(fd);
        }
        return ValueTask.CompletedTask;
    }
}
