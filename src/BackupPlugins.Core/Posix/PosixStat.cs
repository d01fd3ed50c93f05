// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Posix;

/// <summary>Everything lstat knows about an entry, times to the nanosecond.</summary>
public readonly record struct PosixStat(
    ulong Dev, ulong Ino, uint Mode, uint Nlink, uint Uid, uint Gid, ulong Rdev, long Size,
    long Atime, uint AtimeNsec, long Mtime, uint MtimeNsec, long Ctime, uint CtimeNsec,
    uint Blksize, ulong Blocks)
{
    public const uint TypeMask = 0xF000;
    public const uint Fifo = 0x1000, Chr = 0x2000, Dir = 0x4000, Blk = 0x6000, Reg = 0x8000, Lnk = 0xA000, Sock = 0xC000;

    public uint Type => Mode & TypeMask;
    public bool IsDirectory => Type == Dir;
    public bool IsRegular => Type == Reg;
    public bool IsSymlink => Type == Lnk;

    /// <summary>glibc's makedev.</summary>
    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
}
