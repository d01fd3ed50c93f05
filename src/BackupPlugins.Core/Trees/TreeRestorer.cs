// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using System.Text;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Core.Trees;

/// <summary>
/// Creates restored entries of every type under a restore root and applies their metadata once their data
/// is closed: owner, then mode, then xattrs and ACLs, then times (nanoseconds when the backup carried them).
/// Directory metadata is applied at the end, so later entries cannot disturb directory times.
/// Refuses targets outside the root, with '..' components, or below a symlink this restore created.
/// </summary>
public sealed class TreeRestorer(byte[] root)
{
    private static readonly byte[] TimesName = Encoding.ASCII.GetBytes(TreeWalker.TimesXattr);
    private static readonly byte[] LinkName = Encoding.ASCII.GetBytes(TreeWalker.LinkXattr);
    private readonly HashSet<string> _createdSymlinks = [];
    private readonly List<(RestoreItem Item, RestoreMetadata Metadata)> _directories = [];

    public byte[] Root => root;

    /// <summary>
    /// The restore root for a tree backed up from <paramref name="path"/>: where + path; the path itself in place;
    /// "/" when regexwhere may send names anywhere (each name is still checked).
    /// </summary>
    public static TreeRestorer For(string path, string where, string regexWhere)
    {
        where = where.TrimEnd('/');
        var rootPath = regexWhere.Length > 0 ? "/" : where.Length == 0 ? path : where + path;
        return new TreeRestorer(PosixPath.FromString(rootPath));
    }

    /// <summary>
    /// Makes the entry (or asks for its data). <paramref name="dataFollows"/>: a regular file whose data comes whatever
    /// its recorded size says — a stream whose length was not known when its entry was sent (it was recorded as 0).
    /// </summary>
    public CreateResult Create(RestoreItem item, bool dataFollows = false)
    {
        var target = item.Target;
        CheckInsideRoot(target);
        EnsureParents(target);
        if (FileSystem.TryLStat(target, out var existing, out _))
        {
            if (!ShouldReplace(item, existing))
            {
                return new CreateResult(CreateOutcome.Skip);
            }
            if (existing.IsDirectory && item.Kind == EntryKind.Directory)
            {
                return new CreateResult(CreateOutcome.Created);
            }
            Remove(target, existing);
        }
        switch (item.Kind)
        {
            case EntryKind.Directory:
                FileSystem.MakeDirectory(target, 0x1C0);
                return new CreateResult(CreateOutcome.Created);
            case EntryKind.Regular when item.Stat.Size == 0 && !dataFollows:
                FileSystem.Close(FileSystem.Open(target, Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.ONoFollow, 0x180));
                return CreateResult.CreatedWithMetadata;
            case EntryKind.Regular:
                return new CreateResult(CreateOutcome.Extract, DataDelivery.Path, target);
            case EntryKind.Symlink:
                FileSystem.Symlink(item.Link, target);
                _createdSymlinks.Add(Convert.ToBase64String(target));
                return CreateResult.CreatedWithMetadata;
            case EntryKind.HardLink:
                CheckInsideRoot(item.Link);
                FileSystem.Link(item.Link, target);
                return new CreateResult(CreateOutcome.Created);
            case EntryKind.Fifo:
                FileSystem.MakeNode(target, PosixStat.Fifo | (item.Stat.Mode & 0xFFF), 0);
                return CreateResult.CreatedWithMetadata;
            default:
                FileSystem.MakeNode(target, item.Stat.Mode, item.Stat.Rdev);
                return CreateResult.CreatedWithMetadata;
        }
    }

    public void Finish(RestoreItem item, RestoreMetadata metadata)
    {
        switch (item.Kind)
        {
            case EntryKind.Directory:
                _directories.Add((item, metadata));
                return;
            case EntryKind.HardLink:
                return;
            case EntryKind.Regular when metadata.DataOk && LinkAgain(item, metadata):
                return; // one more name of a file restored before: the link carries its metadata
            case EntryKind.Regular when metadata.DataOk:
                var now = FileSystem.LStat(item.Target);
                if (now.Size < item.Stat.Size)
                {
                    // A sparse file whose last block was a hole.
                    FileSystem.Truncate(item.Target, item.Stat.Size);
                }
                if ((long)item.Stat.Blocks * 512 < item.Stat.Size && (long)now.Blocks * 512 > (long)item.Stat.Blocks * 512)
                {
                    FileSystem.PunchZeroBlocks(item.Target); // it was sparse: the core wrote zeros around its data
                }
                break;
        }
        Apply(item, metadata);
    }

    /// <summary>
    /// A hard link saved as a copy (the grpc-fd module, on a FileSet with HardLinks = no): its pseudo xattr
    /// <see cref="TreeWalker.LinkXattr"/> holds the first name and its own as backed up. Where the first name was restored
    /// is this name's target with the same prefix change (where, regexwhere); if a regular file of the same size is there,
    /// the copy becomes a link to it, as it was. Otherwise the copy stays (nothing is lost) and gets its metadata.
    /// </summary>
    private static bool LinkAgain(RestoreItem item, RestoreMetadata metadata)
    {
        var value = metadata.Xattrs.FirstOrDefault(x => x.Name.AsSpan().SequenceEqual(LinkName)).Value;
        var nul = value is null ? -1 : Array.IndexOf(value, (byte)0);
        if (nul < 0)
        {
            return false;
        }
        var first = value.AsSpan(0, nul);
        var own = value.AsSpan(nul + 1);
        var target = item.Target.AsSpan();
        var common = 0;
        while (common < own.Length && common < target.Length && own[^(common + 1)] == target[^(common + 1)])
        {
            common++;
        }
        var ownPrefix = own[..^common];
        var targetPrefix = target[..^common];
        if (!first.StartsWith(ownPrefix))
        {
            return false;
        }
        byte[] firstTarget = [.. targetPrefix, .. first[ownPrefix.Length..]];
        if (!FileSystem.TryLStat(firstTarget, out var there, out _) || there.Type != PosixStat.Reg || there.Size != item.Stat.Size
            || firstTarget.AsSpan().SequenceEqual(target))
        {
            return false;
        }
        FileSystem.Unlink(item.Target);
        FileSystem.Link(firstTarget, item.Target);
        return true;
    }

    /// <summary>Applies the deferred directory metadata, deepest first.</summary>
    public void Complete(Action<string> report)
    {
        foreach (var (item, metadata) in _directories.OrderByDescending(d => d.Item.Target.Length))
        {
            try
            {
                Apply(item, metadata);
            }
            catch (PosixException ex)
            {
                report(ex.Message);
            }
        }
        _directories.Clear();
    }

    private static void Apply(RestoreItem item, RestoreMetadata metadata)
    {
        var target = item.Target;
        var stat = item.Stat;
        FileSystem.LChown(target, stat.Uid, stat.Gid);
        if (item.Kind != EntryKind.Symlink)
        {
            FileSystem.Chmod(target, stat.Mode);
        }
        var (atime, atimeNsec, mtime, mtimeNsec) = (stat.Atime, 0u, stat.Mtime, 0u);
        foreach (var (name, value) in metadata.Xattrs)
        {
            if (name.AsSpan().SequenceEqual(TimesName))
            {
                (atime, atimeNsec, mtime, mtimeNsec) = ParseTimes(value, stat);
                continue;
            }
            if (name.AsSpan().SequenceEqual(LinkName))
            {
                continue; // a hard link that stays a copy (LinkAgain)
            }
            FileSystem.SetXattr(target, name, value);
        }
        if (metadata.Acl is { Length: > 0 } acl)
        {
            foreach (var (name, value) in AclBlob.Decode(acl))
            {
                FileSystem.SetXattr(target, name, value);
            }
        }
        FileSystem.SetTimes(target, atime, atimeNsec, mtime, mtimeNsec);
    }

    private static (long, uint, long, uint) ParseTimes(byte[] value, PosixStat stat)
    {
        var parts = Encoding.ASCII.GetString(value).Split(' ', '.');
        if (parts.Length == 4
            && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var a)
            && uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var an)
            && long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var m)
            && uint.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var mn)
            && m == stat.Mtime)
        {
            return (a, an, m, mn);
        }
        return (stat.Atime, 0, stat.Mtime, 0);
    }

    private static bool ShouldReplace(RestoreItem item, PosixStat existing) => item.Replace switch
    {
        ReplaceMode.Never => false,
        ReplaceMode.IfNewer => item.Stat.Mtime > existing.Mtime,
        ReplaceMode.IfOlder => item.Stat.Mtime < existing.Mtime,
        _ => true,
    };

    private static void Remove(byte[] target, PosixStat existing)
    {
        if (existing.IsDirectory)
        {
            FileSystem.RemoveDirectory(target);
        }
        else
        {
            FileSystem.Unlink(target);
        }
    }

    private void CheckInsideRoot(byte[] target)
    {
        if (!PosixPath.IsAbsolute(target))
        {
            throw Refuse(target, "is not an absolute path");
        }
        var parts = PosixPath.Components(target);
        if (parts.Any(p => p.AsSpan().SequenceEqual(".."u8) || p.AsSpan().SequenceEqual("."u8)))
        {
            throw Refuse(target, "contains a '..' or '.' component");
        }
        var rootParts = PosixPath.Components(root);
        if (parts.Count < rootParts.Count || !rootParts.Select((p, i) => p.AsSpan().SequenceEqual(parts[i])).All(x => x))
        {
            throw Refuse(target, $"is outside the restore root {PosixPath.Display(root)}");
        }
        if (_createdSymlinks.Count == 0)
        {
            return;
        }
        var prefix = new List<byte>();
        for (var i = 0; i < parts.Count - 1; i++)
        {
            prefix.Add((byte)'/');
            prefix.AddRange(parts[i]);
            if (_createdSymlinks.Contains(Convert.ToBase64String(prefix.ToArray())))
            {
                throw Refuse(target, $"would be written through the symlink {PosixPath.Display(prefix.ToArray())} restored by this job");
            }
        }
    }

    private static BackupPluginException Refuse(byte[] target, string why) =>
        new(ErrorKind.BadInput, "restore.outside-root", $"refusing to restore {PosixPath.Display(target)}: it {why}");

    private static void EnsureParents(byte[] target)
    {
        var parent = PosixPath.Parent(target);
        if (FileSystem.TryLStat(parent, out var st, out _))
        {
            if (!st.IsDirectory)
            {
                throw new BackupPluginException(ErrorKind.Failed, "restore.parent",
                    $"cannot restore {PosixPath.Display(target)}: {PosixPath.Display(parent)} exists and is not a directory");
            }
            return;
        }
        EnsureParents(parent);
        FileSystem.MakeDirectory(parent, 0x1ED);
    }
}
