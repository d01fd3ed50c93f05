// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Formats.Tar;
using System.Text;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Core.Archive;

/// <summary>
/// Writes the entries of a tree (as <see cref="TreeWalker"/> yields them) as a POSIX pax archive with
/// System.Formats.Tar: names relative to the tree's root, owners, modes, device numbers, symlinks, hard links
/// (to the first name), and — in pax extended headers readable by libarchive — every xattr as
/// <c>LIBARCHIVE.xattr.&lt;name&gt;</c> (base64; nanosecond times travel as the <c>backupplugins.times</c> pseudo
/// xattr) and the POSIX ACLs as <c>BACKUPPLUGINS.acl</c>. Sparse files keep their holes (<see cref="GnuSparse"/>). Names that are not UTF-8 are stored in the reversible
/// encoding of <see cref="BareosNames"/>.
/// </summary>
/// <param name="changed">Told about a file that changed while it was read (stored at its stated size, as tar does).</param>
public sealed class PaxArchiveWriter(Stream output, byte[] root, Action<string>? changed = null) : IAsyncDisposable
{
    public const string XattrPrefix = "LIBARCHIVE.xattr.";
    public const string AclKey = "BACKUPPLUGINS.acl";
    /// <summary>The key of the global header <see cref="CompleteAsync"/> writes last: the number of members before it.</summary>
    public const string EndKey = "BACKUPPLUGINS.end";
    private readonly CutOffStream _output = new(output);
    private TarWriter? _tar;
    private bool _completed;

    private TarWriter Tar => _tar ??= new TarWriter(_output, TarEntryFormat.Pax, leaveOpen: true);

    /// <summary>Entries written so far.</summary>
    public long Entries { get; private set; }

    public Task WriteAsync(BackupItem item, CancellationToken cancellationToken) => WriteAsync(item, null, cancellationToken);

    /// <summary>
    /// Writes one entry. A regular file's data is read from its <see cref="BackupItem.OpenPath"/> (holes kept when
    /// it is sparse) or, when <paramref name="openData"/> is given, from the stream it opens, which must hold exactly
    /// the stat's size (a tar header states the size before the data).
    /// </summary>
    public async Task WriteAsync(BackupItem item, Func<CancellationToken, Task<Stream>>? openData, CancellationToken cancellationToken)
    {
        if (item.Error is not null)
        {
            throw new IOException($"{PosixPath.Display(item.Name)}: {item.Error}");
        }
        var stat = item.Stat;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (xattr, value) in item.Xattrs)
        {
            attributes[XattrPrefix + Uri.EscapeDataString(Text(xattr))] = Convert.ToBase64String(value);
        }
        if (item.Acl is { Length: > 0 } acl)
        {
            attributes[AclKey] = Convert.ToBase64String(acl);
        }
        var name = Name(item.Name, item.Kind == EntryKind.Directory);
        var hasData = item.Kind == EntryKind.Regular && stat.Size > 0;
        using var file = hasData && openData is null ? FileSystem.OpenRead(item.OpenPath ?? item.Name) : null;
        var extents = file is not null && item.Sparse ? FileSystem.DataExtents(file, stat.Size) : null;
        if (extents is not null && (extents.Count == 0 || extents[^1].Offset + extents[^1].Length < stat.Size))
        {
            extents.Add((stat.Size, 0)); // a trailing hole: GNU tar takes the file's size from the map's last region
        }
        if (extents is not null)
        {
            attributes[GnuSparse.Major] = "1";
            attributes[GnuSparse.Minor] = "0";
            attributes[GnuSparse.Name] = name;
            attributes[GnuSparse.RealSize] = stat.Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var slash = name.LastIndexOf('/');
            name = slash < 0 ? $"GNUSparseFile.0/{name}" : $"{name[..slash]}/GNUSparseFile.0/{name[(slash + 1)..]}";
        }
        var entry = new PaxTarEntry(Type(item), name, attributes)
        {
            Mode = (UnixFileMode)(stat.Mode & 0xFFF),
            Uid = (int)stat.Uid,
            Gid = (int)stat.Gid,
            ModificationTime = DateTimeOffset.FromUnixTimeSeconds(stat.Mtime).AddTicks(stat.MtimeNsec / 100),
        };
        switch (item.Kind)
        {
            case EntryKind.Symlink:
                entry.LinkName = Text(item.Link);
                break;
            case EntryKind.HardLink:
                entry.LinkName = Name(item.Link, false);
                break;
            case EntryKind.Special:
                entry.DeviceMajor = (int)Major(stat.Rdev);
                entry.DeviceMinor = (int)Minor(stat.Rdev);
                break;
        }
        if (file is not null)
        {
            // A sparse file stores its map and data regions only (GNU sparse 1.0); any other file, all of it.
            Stream local = extents is not null
                ? new GnuSparse.DataStream(file, GnuSparse.Map(extents), extents)
                : new FileStream(file, FileAccess.Read, 1 << 20);
            await using var data = new ExactLengthStream(local, local.Length, PosixPath.Display(item.Name),
                changed ?? (text => throw new IOException(text)));
            entry.DataStream = data;
            await Tar.WriteEntryAsync(entry, cancellationToken);
        }
        else if (hasData && openData is not null)
        {
            await using var data = new ExactLengthStream(await openData(cancellationToken), stat.Size, PosixPath.Display(item.Name));
            entry.DataStream = data;
            await Tar.WriteEntryAsync(entry, cancellationToken);
        }
        else
        {
            await Tar.WriteEntryAsync(entry, cancellationToken);
        }
        Entries++;
    }

    private static TarEntryType Type(BackupItem item) => item.Kind switch
    {
        EntryKind.Directory => TarEntryType.Directory,
        EntryKind.Symlink => TarEntryType.SymbolicLink,
        EntryKind.HardLink => TarEntryType.HardLink,
        EntryKind.Fifo => TarEntryType.Fifo,
        EntryKind.Special when item.Stat.Type == PosixStat.Chr => TarEntryType.CharacterDevice,
        EntryKind.Special when item.Stat.Type == PosixStat.Blk => TarEntryType.BlockDevice,
        EntryKind.Special => throw new IOException($"{PosixPath.Display(item.Name)}: a socket cannot be archived"),
        _ => TarEntryType.RegularFile,
    };

    /// <summary>The name relative to the root ("." for the root), in the reversible UTF-8 encoding.</summary>
    private string Name(byte[] name, bool directory)
    {
        var relative = name.AsSpan().StartsWith(root) ? name.AsSpan(root.Length).TrimStart((byte)'/') : name.AsSpan().TrimStart((byte)'/');
        var text = relative.IsEmpty ? "." : Text(relative);
        return directory ? text + "/" : text;
    }

    /// <summary>
    /// Bytes as pax text: the reversible encoding of <see cref="BareosNames"/>, and a newline as U+F70A too (the same
    /// scheme, so the reader's decode restores it): .NET's pax reader refuses records whose value holds a newline.
    /// </summary>
    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(BareosNames.Encode(bytes)).Replace("\n", "\uF70A");

    // glibc's major/minor
    private static uint Major(ulong dev) => (uint)(((dev >> 32) & 0xfffff000) | ((dev >> 8) & 0xfff));
    private static uint Minor(ulong dev) => (uint)(((dev >> 12) & 0xffffff00) | (dev & 0xff));

    /// <summary>
    /// Ends the archive: a pax global header with <see cref="EndKey"/> (tar and libarchive ignore it; our reader
    /// requires it) and the end-of-archive blocks. Only a complete archive gets them.
    /// </summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await Tar.WriteEntryAsync(new PaxGlobalExtendedAttributesTarEntry(new Dictionary<string, string>
        {
            [EndKey] = Entries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }), cancellationToken);
        await Tar.DisposeAsync();
        _completed = true;
    }

    /// <summary>Without <see cref="CompleteAsync"/> the archive stays cut where it is: no end blocks that would make it look whole.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_completed)
        {
            _output.CutOff();
        }
        if (_tar is not null)
        {
            await _tar.DisposeAsync();
        }
    }

    /// <summary>Passes writes through until cut off; after that, drops them (TarWriter writes its end blocks when disposed).</summary>
    private sealed class CutOffStream(Stream inner) : Stream
    {
        private bool _cut;

        public void CutOff() => _cut = true;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (!_cut)
            {
                inner.Write(buffer);
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            _cut ? ValueTask.CompletedTask : inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
            if (!_cut)
            {
                inner.Flush();
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => _cut ? Task.CompletedTask : inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
