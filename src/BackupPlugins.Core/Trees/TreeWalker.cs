// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Core.Trees;

/// <summary>
/// Walks a directory tree lazily and yields one <see cref="BackupItem"/> per entry, the root included:
/// every entry type, a complete stat, xattrs and ACLs, later names of a hard-linked file as
/// <see cref="EntryKind.HardLink"/> to the first, directories after their contents. Never follows symlinks or
/// crosses into excluded directories. An entry that cannot be read is yielded with <see cref="BackupItem.Error"/>.
/// Memory grows with depth × directory width and the number of multiply-linked files, not with the tree size.
/// </summary>
public sealed class TreeWalker(byte[] root, PathFilter filter, bool oneFileSystem = false)
{
    public const string TimesXattr = "backupplugins.times";
    /// <summary>A hard link saved as a copy by a client that cannot pass link names (the grpc-fd module): first name, NUL, own name.</summary>
    public const string LinkXattr = "backupplugins.link";
    private static readonly byte[] AclAccess = "system.posix_acl_access"u8.ToArray();
    private static readonly byte[] AclDefault = "system.posix_acl_default"u8.ToArray();

    private readonly Dictionary<(ulong Dev, ulong Ino), byte[]> _firstNames = [];

    public IEnumerable<BackupItem> Walk(CancellationToken cancellationToken)
    {
        var rootStat = FileSystem.LStat(root);
        if (!rootStat.IsDirectory)
        {
            throw new PosixException("walk", root, Libc.ENOTDIR);
        }
        // Each frame: a directory, its stat, and the names still to visit.
        var stack = new Stack<(byte[] Path, PosixStat Stat, Queue<byte[]> Names)>();
        stack.Push((root, rootStat, ListSorted(root, out var rootError)));
        if (rootError is not null)
        {
            throw rootError;
        }
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (dir, dirStat, names) = stack.Peek();
            if (names.Count == 0)
            {
                stack.Pop();
                yield return Describe(dir, dirStat, EntryKind.Directory);
                continue;
            }
            var path = PosixPath.Join(dir, names.Dequeue());
            if (filter.IsExcluded(Relative(path)))
            {
                continue;
            }
            if (!FileSystem.TryLStat(path, out var stat, out var errno))
            {
                if (errno != Libc.ENOENT)
                {
                    yield return new BackupItem(path, EntryKind.Regular, default) { Error = $"cannot stat: {Libc.Describe(errno)}" };
                }
                continue;
            }
            if (stat.IsDirectory && (!oneFileSystem || stat.Dev == rootStat.Dev))
            {
                var children = ListSorted(path, out var error);
                if (error is not null)
                {
                    yield return new BackupItem(path, EntryKind.Directory, stat) { Error = error.Message };
                    continue;
                }
                stack.Push((path, stat, children));
                continue;
            }
            yield return Entry(path, stat);
        }
    }

    private ReadOnlySpan<byte> Relative(byte[] path) =>
        path.AsSpan(root.Length).TrimStart((byte)'/');

    private static Queue<byte[]> ListSorted(byte[] dir, out PosixException? error)
    {
        try
        {
            var names = FileSystem.ListDirectory(dir);
            names.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
            error = null;
            return new Queue<byte[]>(names);
        }
        catch (PosixException ex)
        {
            error = ex;
            return new Queue<byte[]>();
        }
    }

    private BackupItem Entry(byte[] path, PosixStat stat)
    {
        if (stat.Nlink > 1 && !stat.IsDirectory)
        {
            if (_firstNames.TryGetValue((stat.Dev, stat.Ino), out var first))
            {
                return new BackupItem(path, EntryKind.HardLink, stat) { Link = first };
            }
            _firstNames[(stat.Dev, stat.Ino)] = path;
        }
        return stat.Type switch
        {
            PosixStat.Reg => Describe(path, stat, EntryKind.Regular),
            PosixStat.Lnk => Describe(path, stat, EntryKind.Symlink),
            PosixStat.Fifo => Describe(path, stat, EntryKind.Fifo),
            _ => Describe(path, stat, EntryKind.Special),
        };
    }

    private static BackupItem Describe(byte[] path, PosixStat stat, EntryKind kind)
    {
        try
        {
            var (xattrs, acl) = ReadXattrs(path, stat);
            return new BackupItem(path, kind, stat)
            {
                Link = kind == EntryKind.Symlink ? FileSystem.ReadLink(path) : [],
                Data = kind == EntryKind.Regular ? DataDelivery.Path : DataDelivery.None,
                OpenPath = kind == EntryKind.Regular ? path : null,
                Xattrs = xattrs,
                Acl = acl,
                Sparse = kind == EntryKind.Regular && (long)stat.Blocks * 512 < stat.Size,
            };
        }
        catch (PosixException ex) when (ex.NotFound)
        {
            return new BackupItem(path, kind, stat) { Error = "vanished while being read" };
        }
        catch (PosixException ex)
        {
            return new BackupItem(path, kind, stat) { Error = ex.Message };
        }
    }

    private static (List<(byte[], byte[])> Xattrs, byte[]? Acl) ReadXattrs(byte[] path, PosixStat stat)
    {
        var xattrs = new List<(byte[], byte[])>();
        var acl = new List<(byte[], byte[])>();
        foreach (var (name, value) in FileSystem.ListXattrs(path))
        {
            if (name.AsSpan().SequenceEqual(AclAccess) || name.AsSpan().SequenceEqual(AclDefault))
            {
                acl.Add((name, value));
            }
            else
            {
                xattrs.Add((name, value));
            }
        }
        xattrs.Add((System.Text.Encoding.ASCII.GetBytes(TimesXattr), TimesValue(stat)));
        return (xattrs, acl.Count == 0 ? null : AclBlob.Encode(acl));
    }

    /// <summary>Nanosecond atime and mtime, carried as a pseudo xattr (Bareos stat packets hold whole seconds).</summary>
    public static byte[] TimesValue(PosixStat s) =>
        System.Text.Encoding.ASCII.GetBytes($"{s.Atime}.{s.AtimeNsec:D9} {s.Mtime}.{s.MtimeNsec:D9}");
}
