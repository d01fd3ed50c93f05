// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;
using Google.Protobuf;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.Service.Mapping;

/// <summary>Proto ↔ domain. Names cross here: raw bytes inside, Bareos-safe UTF-8 (<see cref="BareosNames"/>) outside.</summary>
public static class ProtoMapping
{
    public static JobFacts ToFacts(V1.JobInfo? job) => job is null
        ? new JobFacts(0, "", JobLevel.None, ' ', 0, false, "", "", "")
        : new JobFacts(job.JobId, job.JobName, JobFacts.ParseLevel(job.Level), job.Type.Length > 0 ? job.Type[0] : ' ',
            job.SinceTime, job.Accurate, job.Where, job.RegexWhere, job.Client);

    public static IEnumerable<V1.JobMessage> ToProto(IEnumerable<JobMessage> messages) =>
        messages.Select(m => new V1.JobMessage { Severity = (V1.Severity)(int)m.Severity, Text = m.Text });

    /// <summary>
    /// The name Bareos records, directories with a trailing '/': escaped for a client that carries text (python3-fd), as
    /// bytes for one that carries bytes (grpc-fd; see <see cref="BareosNames.ForBytes"/>).
    /// </summary>
    public static byte[] BareosName(BackupItem item, bool asBytes = false)
    {
        var name = asBytes ? BareosNames.ForBytes(item.Name) : BareosNames.Encode(item.Name);
        return item.Kind == EntryKind.Directory && (name.Length == 0 || name[^1] != (byte)'/') ? [.. name, (byte)'/'] : name;
    }

    public static V1.BackupItem ToProto(BackupItem item, bool namesAsBytes = false)
    {
        var fname = BareosName(item, namesAsBytes);
        if (item.Error is not null)
        {
            return new V1.BackupItem
            {
                Error = new V1.FileError { Fname = ByteString.CopyFrom(fname), Type = V1.FileType.FtNostat, Reason = item.Error },
            };
        }
        var file = new V1.BackupFile
        {
            Fname = ByteString.CopyFrom(fname),
            Type = ToProto(item.Kind),
            Stat = PackedStat.Pack(item.Stat),
            NoRead = item.Data == DataDelivery.None,
            DataPath = item.Data switch
            {
                DataDelivery.Path => V1.DataPath.Path,
                DataDelivery.Socket => V1.DataPath.Socket,
                _ => V1.DataPath.None,
            },
            Sparse = item.Sparse,
        };
        file.Link = item.Kind switch
        {
            EntryKind.Directory => ByteString.CopyFrom(fname),
            EntryKind.Symlink or EntryKind.HardLink => ByteString.CopyFrom(namesAsBytes ? BareosNames.ForBytes(item.Link) : BareosNames.Encode(item.Link)),
            _ => ByteString.Empty,
        };
        if (item.Data == DataDelivery.Path && item.OpenPath is not null && !item.OpenPath.AsSpan().SequenceEqual(fname))
        {
            // Left out when it is the name itself (the common case): the shim then opens fname.
            file.OpenPath = ByteString.CopyFrom(item.OpenPath);
        }
        foreach (var (name, value) in item.Xattrs)
        {
            file.Xattrs.Add(new V1.Xattr { Name = ByteString.CopyFrom(name), Value = ByteString.CopyFrom(value) });
        }
        if (item.Acl is not null)
        {
            file.Acl = ByteString.CopyFrom(item.Acl);
        }
        return new V1.BackupItem { File = file };
    }

    /// <summary>About the bytes an entry takes in a StartBackupFile reply (for its byte budget; names counted twice).</summary>
    public static long ApproximateSize(BackupItem item)
    {
        long size = 16 + PackedStat.Size + 2L * item.Name.Length + item.Link.Length + (item.Acl?.Length ?? 0) + (item.Error?.Length ?? 0);
        foreach (var (name, value) in item.Xattrs)
        {
            size += 8 + name.Length + value.Length;
        }
        return size;
    }

    public static V1.FileType ToProto(EntryKind kind) => kind switch
    {
        EntryKind.Regular => V1.FileType.FtReg,
        EntryKind.Directory => V1.FileType.FtDirend,
        EntryKind.Symlink => V1.FileType.FtLnk,
        EntryKind.HardLink => V1.FileType.FtLnksaved,
        EntryKind.Fifo => V1.FileType.FtFifo,
        _ => V1.FileType.FtSpec,
    };

    public static RestoreItem ToDomain(V1.CreateFileRequest r)
    {
        var stat = PackedStat.Read(r.Stat.Span);
        var kind = r.Type switch
        {
            V1.FileType.FtReg => EntryKind.Regular,
            V1.FileType.FtDirend => EntryKind.Directory,
            V1.FileType.FtLnk => EntryKind.Symlink,
            V1.FileType.FtLnksaved => EntryKind.HardLink,
            V1.FileType.FtFifo => EntryKind.Fifo,
            V1.FileType.FtSpec when stat.Type == PosixStat.Fifo => EntryKind.Fifo,
            V1.FileType.FtSpec => EntryKind.Special,
            _ => throw new Core.Errors.BackupPluginException(Core.Errors.ErrorKind.BadInput, "restore.type",
                $"cannot restore {PosixPath.Display(r.Ofname.Span)}: file type {r.Type} is not one this plugin writes"),
        };
        var target = DecodeTarget(r.Ofname.Span);
        var replace = r.Replace switch
        {
            V1.ReplaceMode.ReplaceIfnewer => ReplaceMode.IfNewer,
            V1.ReplaceMode.ReplaceIfolder => ReplaceMode.IfOlder,
            V1.ReplaceMode.ReplaceNever => ReplaceMode.Never,
            _ => ReplaceMode.Always,
        };
        return new RestoreItem(target, BareosNames.Decode(r.Olname.Span), kind, stat, replace);
    }

    /// <summary>A restore packet's output name as the raw path (directories lose their trailing '/').</summary>
    public static byte[] DecodeTarget(ReadOnlySpan<byte> ofname)
    {
        var target = BareosNames.Decode(ofname);
        return target.Length > 1 && target[^1] == (byte)'/' ? target[..^1] : target;
    }

    public static V1.CreateStatus ToProto(CreateOutcome outcome) => outcome switch
    {
        CreateOutcome.Skip => V1.CreateStatus.CfSkip,
        CreateOutcome.Extract => V1.CreateStatus.CfExtract,
        _ => V1.CreateStatus.CfCreated,
    };

    public static IReadOnlyList<(byte[], byte[])> ToDomain(IEnumerable<V1.Xattr> xattrs) =>
        xattrs.Select(x => (x.Name.ToByteArray(), x.Value.ToByteArray())).ToList();

    // ---- the client side (bpipe reader and writer): the same mapping the other way round -------------------

    /// <summary>An entry as a client receives it: the name and link decoded to raw bytes, the data's path or socket.</summary>
    public static BackupItem ToDomain(V1.BackupFile file)
    {
        var kind = file.Type switch
        {
            V1.FileType.FtReg => EntryKind.Regular,
            V1.FileType.FtDirend => EntryKind.Directory,
            V1.FileType.FtLnk => EntryKind.Symlink,
            V1.FileType.FtLnksaved => EntryKind.HardLink,
            V1.FileType.FtFifo => EntryKind.Fifo,
            _ => EntryKind.Special,
        };
        var name = DecodeTarget(file.Fname.Span);
        return new BackupItem(name, kind, PackedStat.Read(file.Stat.Span))
        {
            Link = kind is EntryKind.Symlink or EntryKind.HardLink ? BareosNames.Decode(file.Link.Span) : [],
            Data = file.DataPath switch
            {
                V1.DataPath.Path => DataDelivery.Path,
                V1.DataPath.Socket => DataDelivery.Socket,
                _ => DataDelivery.None,
            },
            OpenPath = file.OpenPath.IsEmpty ? name : file.OpenPath.ToByteArray(),
            Xattrs = ToDomain(file.Xattrs),
            Acl = file.Acl.IsEmpty ? null : file.Acl.ToByteArray(),
            Sparse = file.Sparse,
        };
    }

    /// <summary>create_file's request for an entry a client restores (names encoded as the file daemon sends them).</summary>
    public static V1.CreateFileRequest ToProto(string session, byte[] cmd, RestoreItem item, string where) => new()
    {
        Session = session,
        Cmd = ByteString.CopyFrom(cmd),
        Ofname = ByteString.CopyFrom(BareosNames.Encode(item.Target)),
        Olname = ByteString.CopyFrom(BareosNames.Encode(item.Link)),
        Type = ToProto(item.Kind),
        Stat = PackedStat.Pack(item.Stat),
        Replace = item.Replace switch
        {
            ReplaceMode.IfNewer => V1.ReplaceMode.ReplaceIfnewer,
            ReplaceMode.IfOlder => V1.ReplaceMode.ReplaceIfolder,
            ReplaceMode.Never => V1.ReplaceMode.ReplaceNever,
            _ => V1.ReplaceMode.ReplaceAlways,
        },
        Where = where,
    };

    public static CreateOutcome ToDomain(V1.CreateStatus status) => status switch
    {
        V1.CreateStatus.CfSkip => CreateOutcome.Skip,
        V1.CreateStatus.CfExtract => CreateOutcome.Extract,
        V1.CreateStatus.CfCreated => CreateOutcome.Created,
        var other => throw new IOException($"the host answered create_file with {other}"),
    };

    public static IEnumerable<V1.Xattr> ToProto(IEnumerable<(byte[] Name, byte[] Value)> xattrs) =>
        xattrs.Select(x => new V1.Xattr { Name = ByteString.CopyFrom(x.Name), Value = ByteString.CopyFrom(x.Value) });
}
