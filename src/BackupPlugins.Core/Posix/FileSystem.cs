// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Buffers.Binary;

namespace BackupPlugins.Core.Posix;

/// <summary>File-system calls on raw byte paths. Every failure is a <see cref="PosixException"/>.</summary>
public static unsafe class FileSystem
{
    private static byte[] Z(ReadOnlySpan<byte> path) => [.. path, 0];

    private static void Check(int rc, string call, byte[] path)
    {
        if (rc != 0)
        {
            throw new PosixException(call, path[..^1], Libc.Errno);
        }
    }

    public static PosixStat LStat(ReadOnlySpan<byte> path) => TryLStat(path, out var st, out var errno)
        ? st : throw new PosixException("lstat", path.ToArray(), errno);

    public static bool TryLStat(ReadOnlySpan<byte> path, out PosixStat stat, out int errno)
    {
        var z = Z(path);
        Span<byte> buf = stackalloc byte[256];
        fixed (byte* p = z)
        fixed (byte* b = buf)
        {
            if (Libc.statx(Libc.AtFdCwd, p, Libc.AtSymlinkNoFollow, Libc.StatxBasicStats, b) != 0)
            {
                errno = Libc.Errno;
                stat = default;
                return false;
            }
        }
        errno = 0;
        stat = new PosixStat(
            Dev: PosixStat.MakeDev(U32(buf, 136), U32(buf, 140)),
            Ino: BinaryPrimitives.ReadUInt64LittleEndian(buf[32..]),
            Mode: BinaryPrimitives.ReadUInt16LittleEndian(buf[28..]),
            Nlink: U32(buf, 16), Uid: U32(buf, 20), Gid: U32(buf, 24),
            Rdev: PosixStat.MakeDev(U32(buf, 128), U32(buf, 132)),
            Size: BinaryPrimitives.ReadInt64LittleEndian(buf[40..]),
            Atime: BinaryPrimitives.ReadInt64LittleEndian(buf[64..]), AtimeNsec: U32(buf, 72),
            Mtime: BinaryPrimitives.ReadInt64LittleEndian(buf[112..]), MtimeNsec: U32(buf, 120),
            Ctime: BinaryPrimitives.ReadInt64LittleEndian(buf[96..]), CtimeNsec: U32(buf, 104),
            Blksize: U32(buf, 4),
            Blocks: BinaryPrimitives.ReadUInt64LittleEndian(buf[48..]));
        return true;
    }

    private static uint U32(ReadOnlySpan<byte> buf, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(buf[offset..]);

    /// <summary>Names in a directory (without . and ..), as raw bytes, in readdir order.</summary>
    public static List<byte[]> ListDirectory(ReadOnlySpan<byte> path)
    {
        var z = Z(path);
        nint dir;
        fixed (byte* p = z)
        {
            dir = Libc.opendir(p);
        }
        if (dir == 0)
        {
            throw new PosixException("opendir", path.ToArray(), Libc.Errno);
        }
        var names = new List<byte[]>();
        try
        {
            while (true)
            {
                var ent = Libc.readdir64(dir);
                if (ent == 0)
                {
                    break;
                }
                var name = new ReadOnlySpan<byte>((byte*)ent + 19, 256);
                name = name[..name.IndexOf((byte)0)];
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                {
                    continue;
                }
                names.Add(name.ToArray());
            }
        }
        finally
        {
            Libc.closedir(dir);
        }
        return names;
    }

    public static byte[] ReadLink(ReadOnlySpan<byte> path)
    {
        var z = Z(path);
        var buf = new byte[4096];
        nint n;
        fixed (byte* p = z)
        fixed (byte* b = buf)
        {
            n = Libc.readlink(p, b, buf.Length);
        }
        if (n < 0)
        {
            throw new PosixException("readlink", path.ToArray(), Libc.Errno);
        }
        return buf[..(int)n];
    }

    /// <summary>All extended attributes of an entry (not following symlinks); empty where unsupported.</summary>
    public static List<(byte[] Name, byte[] Value)> ListXattrs(ReadOnlySpan<byte> path)
    {
        var z = Z(path);
        var result = new List<(byte[], byte[])>();
        // Pooled, not zeroed: this runs for every entry of every backup.
        var list = System.Buffers.ArrayPool<byte>.Shared.Rent(65536);
        try
        {
            nint n;
            fixed (byte* p = z)
            fixed (byte* l = list)
            {
                n = Libc.llistxattr(p, l, list.Length);
            }
            if (n < 0)
            {
                var errno = Libc.Errno;
                if (errno == Libc.ENOTSUP)
                {
                    return result;
                }
                throw new PosixException("llistxattr", path.ToArray(), errno);
            }
            foreach (var range in list.AsSpan(0, (int)n).Split((byte)0))
            {
                var name = list.AsSpan(0, (int)n)[range];
                if (name.IsEmpty)
                {
                    continue;
                }
                var value = GetXattr(z, name.ToArray());
                if (value is not null)
                {
                    result.Add((name.ToArray(), value));
                }
            }
            return result;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(list);
        }
    }

    private static byte[]? GetXattr(byte[] zPath, byte[] name)
    {
        var zName = Z(name);
        var value = System.Buffers.ArrayPool<byte>.Shared.Rent(65536);
        try
        {
            nint n;
            fixed (byte* p = zPath)
            fixed (byte* k = zName)
            fixed (byte* v = value)
            {
                n = Libc.lgetxattr(p, k, v, value.Length);
            }
            if (n < 0)
            {
                var errno = Libc.Errno;
                if (errno == Libc.ENODATA)
                {
                    return null;
                }
                throw new PosixException("lgetxattr", zPath[..^1], errno);
            }
            return value[..(int)n];
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(value);
        }
    }

    public static void SetXattr(ReadOnlySpan<byte> path, byte[] name, byte[] value)
    {
        var z = Z(path);
        var zName = Z(name);
        fixed (byte* p = z)
        fixed (byte* k = zName)
        fixed (byte* v = value)
        {
            Check(Libc.lsetxattr(p, k, v, value.Length, 0), "lsetxattr", z);
        }
    }

    public static void MakeDirectory(ReadOnlySpan<byte> path, uint mode)
    {
        var z = Z(path);
        fixed (byte* p = z)
        {
            Check(Libc.mkdir(p, mode), "mkdir", z);
        }
    }

    public static void MakeNode(ReadOnlySpan<byte> path, uint mode, ulong dev)
    {
        var z = Z(path);
        fixed (byte* p = z)
        {
            Check(Libc.mknod(p, mode, dev), "mknod", z);
        }
    }

    public static void Symlink(ReadOnlySpan<byte> target, ReadOnlySpan<byte> path)
    {
        var zt = Z(target);
        var z = Z(path);
        fixed (byte* t = zt)
        fixed (byte* p = z)
        {
            Check(Libc.symlink(t, p), "symlink", z);
        }
    }

    public static void Link(ReadOnlySpan<byte> existing, ReadOnlySpan<byte> path)
    {
        var ze = Z(existing);
        var z = Z(path);
        fixed (byte* e = ze)
        fixed (byte* p = z)
        {
            Check(Libc.link(e, p), "link", z);
        }
    }

    public static void Unlink(ReadOnlySpan<byte> path)
    {
        var z = Z(path);
        fixed (byte* p = z)
        {
            Check(Libc.unlink(p), "unlink", z);
        }
    }

    public static void RemoveDirectory(ReadOnlySpan<byte> path)
    {
        var z = Z(path);
        fixed (byte* p = z)
        {
            Check(Libc.rmdir(p), "rmdir", z);
        }
    }

    /// <summary>
    /// Removes a tree we made (a clone), names as bytes (.NET's own recursive delete cannot name a file whose name is
    /// not UTF-8). Symlinks are removed, never followed; a mount point inside fails as rmdir fails on it.
    /// </summary>
    public static void RemoveTree(ReadOnlySpan<byte> path)
    {
        var stat = LStat(path);
        if (!stat.IsDirectory)
        {
            Unlink(path);
            return;
        }
        foreach (var name in ListDirectory(path))
        {
            RemoveTree([.. path, (byte)'/', .. name]);
        }
        RemoveDirectory(path);
    }

    public static void LChown(ReadOnlySpan<byte> path, uint uid, uint gid)
    {
        var z = Z(path);
        fixed (byte* p = z)
        {
            Check(Libc.lchown(p, uid, gid), "lchown", z);
        }
    }

    public static void Chmod(ReadOnlySpan<byte> path, uint mode)
    {
        var z = Z(path);
        fixed (byte* p = z)
        {
            Check(Libc.chmod(p, mode & 0xFFF), "chmod", z);
        }
    }

    public static void Truncate(ReadOnlySpan<byte> path, long length)
    {
        var z = Z(path);
        fixed (byte* p = z)
        {
            Check(Libc.truncate(p, length), "truncate", z);
        }
    }

    /// <summary>Sets atime and mtime without following a symlink.</summary>
    public static void SetTimes(ReadOnlySpan<byte> path, long atime, uint atimeNsec, long mtime, uint mtimeNsec)
    {
        var z = Z(path);
        var times = stackalloc long[4] { atime, atimeNsec, mtime, mtimeNsec };
        fixed (byte* p = z)
        {
            Check(Libc.utimensat(Libc.AtFdCwd, p, times, Libc.AtSymlinkNoFollow), "utimensat", z);
        }
    }

    public static int Open(ReadOnlySpan<byte> path, int flags, uint mode)
    {
        var z = Z(path);
        fixed (byte* p = z)
        {
            var fd = Libc.open(p, flags | Libc.OCloexec, mode);
            if (fd < 0)
            {
                throw new PosixException("open", path.ToArray(), Libc.Errno);
            }
            return fd;
        }
    }

    public static void Close(int fd) => Libc.close(fd);

    /// <summary>
    /// Replaces <paramref name="path"/> with what <paramref name="write"/> writes, durably: into a temporary file beside
    /// it, fsynced, renamed over it, the directory fsynced. A crash leaves the old file or the new one, never half of one
    /// (at worst a stray <c>.tmp</c>).
    /// </summary>
    public static void ReplaceDurably(string path, Action<Stream> write)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>Makes a directory's entries durable (after a file in it was created, renamed or removed).</summary>
    public static void SyncDirectory(string directory)
    {
        var fd = Open(PosixPath.FromString(directory), Libc.ORdOnly | Libc.ODirectory, 0);
        try
        {
            if (Libc.fsync(fd) != 0)
            {
                throw new PosixException("fsync", PosixPath.FromString(directory), Libc.Errno);
            }
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /// <summary>Opens a file for reading, as a handle a FileStream can own.</summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenRead(ReadOnlySpan<byte> path) =>
        new(Open(path, Libc.ORdOnly, 0), ownsHandle: true);

    /// <summary>Opens (creating or truncating) a file for writing without following a symlink.</summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenWrite(ReadOnlySpan<byte> path) =>
        new(Open(path, Libc.OWrOnly | Libc.OCreat | Libc.OTrunc | Libc.ONoFollow, 0x180), ownsHandle: true);

    public static string DescribeErrno(int errno) => Libc.Describe(errno);

    /// <summary>The regions of a file that hold data (SEEK_DATA/SEEK_HOLE), in order; the rest are holes.</summary>
    public static List<(long Offset, long Length)> DataExtents(Microsoft.Win32.SafeHandles.SafeFileHandle file, long size)
    {
        var extents = new List<(long, long)>();
        var fd = (int)file.DangerousGetHandle();
        long offset = 0;
        while (offset < size)
        {
            var start = Libc.lseek(fd, offset, Libc.SeekData);
            if (start < 0)
            {
                var errno = Libc.Errno;
                if (errno == Libc.ENXIO)
                {
                    break; // only a hole up to the end
                }
                throw new IOException($"SEEK_DATA failed: {Libc.Describe(errno)}");
            }
            var end = Libc.lseek(fd, start, Libc.SeekHole);
            if (end < 0)
            {
                throw new IOException($"SEEK_HOLE failed: {Libc.Describe(Libc.Errno)}");
            }
            end = Math.Min(end, size);
            extents.Add((start, end - start));
            offset = end;
        }
        return extents;
    }

    /// <summary>
    /// Gives back the space of every all-zero 4 KiB block of a restored file (punches holes, size kept), so a file that
    /// was sparse when it was backed up is sparse again exactly — the Bareos core writes whole buffers around each data
    /// island. Returns the bytes punched. A file system that cannot punch holes keeps the zeros (nothing is lost).
    /// </summary>
    public static long PunchZeroBlocks(ReadOnlySpan<byte> path)
    {
        const int Block = 4096;
        using var file = new Microsoft.Win32.SafeHandles.SafeFileHandle(Open(path, Libc.ORdWr | Libc.ONoFollow, 0), ownsHandle: true);
        var size = RandomAccess.GetLength(file);
        var fd = (int)file.DangerousGetHandle();
        var buffer = new byte[1 << 20];
        long punched = 0, runStart = -1, runEnd = -1;
        bool Flush()
        {
            if (runStart >= 0 && Libc.fallocate(fd, Libc.FallocPunchHole | Libc.FallocKeepSize, runStart, runEnd - runStart) != 0)
            {
                return false; // EOPNOTSUPP and friends: leave the zeros
            }
            punched += runStart >= 0 ? runEnd - runStart : 0;
            runStart = -1;
            return true;
        }
        foreach (var (offset, length) in DataExtents(file, size))
        {
            for (var at = offset - offset % Block; at < offset + length; at += buffer.Length)
            {
                var read = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, offset + length - at)), at);
                for (var i = 0; i + Block <= read; i += Block)
                {
                    if (!buffer.AsSpan(i, Block).ContainsAnyExcept((byte)0))
                    {
                        if (runStart < 0 || runEnd != at + i)
                        {
                            if (!Flush())
                            {
                                return punched;
                            }
                            runStart = at + i;
                        }
                        runEnd = at + i + Block;
                    }
                }
            }
        }
        Flush();
        return punched;
    }
}
