// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Runtime.InteropServices;

namespace BackupPlugins.Core.Posix;

/// <summary>libc entry points used with raw byte paths (names need not be UTF-8).</summary>
internal static unsafe partial class Libc
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const uint StatxBasicStats = 0x7ff;
    public const int ENOENT = 2, EINTR = 4, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, EWOULDBLOCK = 11, ENODATA = 61, ENOTSUP = 95, ERANGE = 34;
    public const int LockSh = 1, LockEx = 2, LockNb = 4, LockUn = 8;
    public const int ORdOnly = 0, OWrOnly = 1, ORdWr = 2, OCreat = 0x40, OExcl = 0x80, OTrunc = 0x200, ONoFollow = 0x20000, OCloexec = 0x80000, ODirectory = 0x10000;

    [LibraryImport("libc", SetLastError = true)] public static partial int statx(int dirfd, byte* path, int flags, uint mask, byte* buf);
    [LibraryImport("libc", SetLastError = true)] public static partial nint opendir(byte* path);
    [LibraryImport("libc", SetLastError = true)] public static partial nint readdir64(nint dir);
    [LibraryImport("libc", SetLastError = true)] public static partial int closedir(nint dir);
    [LibraryImport("libc", SetLastError = true)] public static partial nint readlink(byte* path, byte* buf, nint size);
    [LibraryImport("libc", SetLastError = true)] public static partial nint llistxattr(byte* path, byte* list, nint size);
    [LibraryImport("libc", SetLastError = true)] public static partial nint lgetxattr(byte* path, byte* name, byte* value, nint size);
    [LibraryImport("libc", SetLastError = true)] public static partial int lsetxattr(byte* path, byte* name, byte* value, nint size, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int mkdir(byte* path, uint mode);
    [LibraryImport("libc", SetLastError = true)] public static partial int mknod(byte* path, uint mode, ulong dev);
    [LibraryImport("libc", SetLastError = true)] public static partial int symlink(byte* target, byte* path);
    [LibraryImport("libc", SetLastError = true)] public static partial int link(byte* oldPath, byte* newPath);
    [LibraryImport("libc", SetLastError = true)] public static partial int unlink(byte* path);
    [LibraryImport("libc", SetLastError = true)] public static partial int rmdir(byte* path);
    [LibraryImport("libc", SetLastError = true)] public static partial int lchown(byte* path, uint uid, uint gid);
    [LibraryImport("libc", SetLastError = true)] public static partial int chmod(byte* path, uint mode);
    [LibraryImport("libc", SetLastError = true)] public static partial int truncate(byte* path, long length);
    [LibraryImport("libc", SetLastError = true)] public static partial int utimensat(int dirfd, byte* path, long* times, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int open(byte* path, int flags, uint mode);
    [LibraryImport("libc", SetLastError = true)] public static partial int close(int fd);
    [LibraryImport("libc", SetLastError = true)] public static partial int fsync(int fd);
    [LibraryImport("libc", SetLastError = true)] public static partial int fallocate(int fd, int mode, long offset, long length);
    public const int FallocKeepSize = 1, FallocPunchHole = 2;
    [LibraryImport("libc", SetLastError = true)] public static partial int flock(int fd, int op);
    [LibraryImport("libc", SetLastError = true)] public static partial nint read(int fd, byte* buf, nint count);
    [LibraryImport("libc", SetLastError = true)] public static partial nint write(int fd, byte* buf, nint count);
    [LibraryImport("libc", SetLastError = true)] public static partial long lseek(int fd, long offset, int whence);
    public const int SeekData = 3, SeekHole = 4, ENXIO = 6;

    public static int Errno => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
