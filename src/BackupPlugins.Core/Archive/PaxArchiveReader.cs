// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Formats.Tar;
using System.Text;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Core.Archive;

/// <summary>
/// Extracts a pax archive written by <see cref="PaxArchiveWriter"/> under a target directory through
/// <see cref="TreeRestorer"/>: every entry type, owners, modes, xattrs, ACLs and nanosecond times, directory
/// metadata at the end, sparse files with their holes (GNU sparse 1.0); members that would land outside the target (absolute names, <c>..</c>, below a symlink the
/// archive created) are refused.
/// </summary>
public static class PaxArchiveReader
{
    /// <summary>Extracts every member under <paramref name="target"/> on this machine; returns how many. Problems with one member go to <paramref name="report"/>.</summary>
    public static async Task<long> ExtractAsync(Stream input, string target, Action<string> report, CancellationToken cancellationToken)
    {
        var root = PosixPath.FromString(target.TrimEnd('/') is { Length: > 0 } t ? t : "/");
        var local = new LocalExtractTarget(new TreeRestorer(root));
        try
        {
            return await ExtractAsync(input, root, local, cancellationToken);
        }
        finally
        {
            local.Restorer.Complete(report); // the directories restored so far get their times, even from a cut archive
        }
    }

    /// <summary>
    /// Hands every member to <paramref name="target"/> (which checks where it may go), with names joined to
    /// <paramref name="root"/>; data the target wants on this machine is written here (holes kept), data it wants
    /// as a stream goes into the stream it opens. Returns how many members there were. An archive without the end record
    /// of <see cref="PaxArchiveWriter.CompleteAsync"/> is cut: the members it held are restored, then it fails.
    /// </summary>
    public static async Task<long> ExtractAsync(Stream input, byte[] root, IExtractTarget target, CancellationToken cancellationToken)
    {
        var counted = new CountingStream(input);
        var reader = new TarReader(counted);
        long count = 0;
        long? end = null;
        while (await NextAsync(reader, counted, count, end is not null, cancellationToken) is { } entry)
        {
            if (entry is PaxGlobalExtendedAttributesTarEntry global)
            {
                end = End(global, count, end);
                continue;
            }
            if (end is not null)
            {
                throw new InvalidDataException($"archive member {entry.Name} follows the archive's end record: it is not one archive");
            }
            var item = Item(entry, root);
            var (xattrs, acl) = Metadata(entry);
            var result = await target.CreateAsync(item, cancellationToken);
            var dataOk = true;
            if (result.Outcome == CreateOutcome.Extract && entry.DataStream is { } data)
            {
                dataOk = await WriteDataAsync(entry, data, item, result, target, cancellationToken);
            }
            if (result.Outcome != CreateOutcome.Skip)
            {
                await target.FinishAsync(item, new RestoreMetadata(xattrs, acl, dataOk), cancellationToken);
            }
            count++;
        }
        return end ?? throw new InvalidDataException(
            $"the archive ends after {count} members without bpipe-reader's end record: it was cut short (did its reader fail?)");
    }

    /// <summary>The end record's member count, which must match what was read.</summary>
    private static long? End(PaxGlobalExtendedAttributesTarEntry global, long count, long? end)
    {
        if (!global.GlobalExtendedAttributes.TryGetValue(PaxArchiveWriter.EndKey, out var text))
        {
            return end; // another tool's global header: nothing we use
        }
        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var stated) || stated != count)
        {
            throw new InvalidDataException($"the archive's end record says {text} members, but it holds {count}: it is damaged");
        }
        return count;
    }

    /// <summary>The next member; an input that ends before the end blocks is reported by where it ends.</summary>
    private static async Task<TarEntry?> NextAsync(TarReader reader, CountingStream input, long count, bool ended, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.GetNextEntryAsync(copyData: false, cancellationToken);
        }
        catch (EndOfStreamException) when (ended && input.Position % 512 == 0)
        {
            return null; // the end record was read; only the end blocks are missing
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException(input.Position == 0 || (count == 0 && input.Position < 512)
                ? "the input ends inside the first header: it is not a tar archive"
                : input.Position % 512 == 0
                    ? $"the archive ends after {count} members without bpipe-reader's end record: it was cut short (did its reader fail?)"
                    : $"the archive ends inside a header after {count} members: it was cut short");
        }
    }

    /// <summary>Counts what the tar reader consumed, to tell a cut between members from one inside a header.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            _position += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async Task<bool> WriteDataAsync(TarEntry entry, Stream data, RestoreItem item, CreateResult result,
        IExtractTarget target, CancellationToken cancellationToken)
    {
        if (result.Data == DataDelivery.Socket)
        {
            // a stream has no holes: a sparse member's regions are written with its zeros in between
            await using var sink = await target.OpenDataAsync(item, cancellationToken);
            if (IsSparse(entry))
            {
                await CopySparseAsync(data, (offset, bytes) => sink.WriteAsync(bytes, cancellationToken), item.Stat.Size, cancellationToken);
            }
            else
            {
                await data.CopyToAsync(sink, 1 << 20, cancellationToken);
            }
            return true;
        }
        using var file = FileSystem.OpenWrite(result.OpenPath!);
        if (IsSparse(entry))
        {
            await CopySparseAsync(data, (offset, bytes) => RandomAccess.WriteAsync(file, bytes, offset, cancellationToken), null, cancellationToken);
        }
        else
        {
            await using var stream = new FileStream(file, FileAccess.Write, 1 << 20);
            await data.CopyToAsync(stream, 1 << 20, cancellationToken);
        }
        return true;
    }

    private static bool IsSparse(TarEntry entry) =>
        entry is PaxTarEntry pax && pax.ExtendedAttributes.TryGetValue(GnuSparse.Major, out var major) && major == "1";

    /// <summary>
    /// The data regions at their offsets. With <paramref name="zeroFillTo"/> the holes are written as zeros (for a
    /// stream, up to that size); without it they stay holes (the restorer sets the real size).
    /// </summary>
    private static async Task CopySparseAsync(Stream data, Func<long, ReadOnlyMemory<byte>, ValueTask> write, long? zeroFillTo,
        CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        var zeros = zeroFillTo is null ? null : new byte[1 << 16];
        long written = 0;
        async ValueTask FillAsync(long upTo)
        {
            for (; zeros is not null && written < upTo; written += Math.Min(zeros.Length, upTo - written))
            {
                await write(written, zeros.AsMemory(0, (int)Math.Min(zeros.Length, upTo - written)));
            }
        }
        foreach (var (offset, length) in await GnuSparse.ReadMapAsync(data, cancellationToken))
        {
            await FillAsync(offset);
            for (long done = 0; done < length;)
            {
                var n = await data.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - done)), cancellationToken);
                if (n == 0)
                {
                    throw new InvalidDataException("a sparse member's data ends early");
                }
                await write(offset + done, buffer.AsMemory(0, n));
                done += n;
            }
            written = offset + length;
        }
        await FillAsync(zeroFillTo ?? 0);
    }

    private static RestoreItem Item(TarEntry entry, byte[] root)
    {
        var sparse = IsSparse(entry) ? (PaxTarEntry)entry : null;
        var name = Path((sparse?.ExtendedAttributes[GnuSparse.Name] ?? entry.Name).TrimEnd('/'), root);
        var (kind, type) = entry.EntryType switch
        {
            TarEntryType.Directory => (EntryKind.Directory, PosixStat.Dir),
            TarEntryType.SymbolicLink => (EntryKind.Symlink, PosixStat.Lnk),
            TarEntryType.HardLink => (EntryKind.HardLink, PosixStat.Reg),
            TarEntryType.Fifo => (EntryKind.Fifo, PosixStat.Fifo),
            TarEntryType.CharacterDevice => (EntryKind.Special, PosixStat.Chr),
            TarEntryType.BlockDevice => (EntryKind.Special, PosixStat.Blk),
            TarEntryType.RegularFile or TarEntryType.V7RegularFile => (EntryKind.Regular, PosixStat.Reg),
            var other => throw new IOException($"archive member {entry.Name}: entry type {other} is not supported"),
        };
        var link = kind switch
        {
            EntryKind.Symlink => BareosNames.Decode(Encoding.UTF8.GetBytes(entry.LinkName)),
            EntryKind.HardLink => Path(entry.LinkName, root),
            _ => [],
        };
        var mtime = entry.ModificationTime.ToUnixTimeSeconds();
        var size = sparse is null ? entry.Length : long.Parse(sparse.ExtendedAttributes[GnuSparse.RealSize], System.Globalization.CultureInfo.InvariantCulture);
        var rdev = kind == EntryKind.Special && entry is PosixTarEntry posix ? PosixStat.MakeDev((uint)posix.DeviceMajor, (uint)posix.DeviceMinor) : 0;
        var stat = new PosixStat(0, 0, type | (uint)entry.Mode, 1, (uint)entry.Uid, (uint)entry.Gid, rdev, size,
            mtime, 0, mtime, 0, mtime, 0, 4096, (ulong)((sparse is null ? size : entry.Length) + 511) / 512);
        return new RestoreItem(name, link, kind, stat, ReplaceMode.Always);
    }

    /// <summary>The target path of a member name; the restorer refuses '..' and absolute escapes.</summary>
    private static byte[] Path(string member, byte[] root)
    {
        var relative = BareosNames.Decode(Encoding.UTF8.GetBytes(member == "." ? "" : member.StartsWith("./", StringComparison.Ordinal) ? member[2..] : member));
        return relative.Length == 0 ? root : PosixPath.Join(root, relative);
    }

    private static (IReadOnlyList<(byte[], byte[])> Xattrs, byte[]? Acl) Metadata(TarEntry entry)
    {
        var xattrs = new List<(byte[], byte[])>();
        byte[]? acl = null;
        if (entry is PaxTarEntry pax)
        {
            foreach (var (key, value) in pax.ExtendedAttributes)
            {
                if (key.StartsWith(PaxArchiveWriter.XattrPrefix, StringComparison.Ordinal))
                {
                    var name = BareosNames.Decode(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(key[PaxArchiveWriter.XattrPrefix.Length..])));
                    xattrs.Add((name, Convert.FromBase64String(value)));
                }
                else if (key == PaxArchiveWriter.AclKey)
                {
                    acl = Convert.FromBase64String(value);
                }
            }
        }
        return (xattrs, acl); // the nanosecond times are among them: TreeRestorer applies them last

    }
}
