// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Protocol.Bareos;
using Google.Protobuf;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.GrpcModule.Mapping;

/// <summary>
/// Entries between the host's FdPlugin protocol (Bareos's FT_* codes, a packed stat) and the grpc-fd wire (its own
/// file type numbers, the native struct stat). Names pass as bytes both ways: the host sends them raw to a client that
/// says it carries bytes (BareosNames.ForBytes on its side).
/// </summary>
public static class EntryMapping
{
    /// <summary>An entry to back up, as the core's save packet takes it.</summary>
    public static PluginFile ToBareos(V1.BackupFile file) => new()
    {
        File = file.Fname,
        Stats = ByteString.CopyFrom(NativeStat.FromPacked(file.Stat.Span)),
        Type = ToBareos(file.Type),
        // A hard link's first name: the core finds it itself (its own (dev, ino) table of this job, which it fills
        // from the stat packets), as for its own FileSets; the grpc-fd plugin passes no link for this type.
        Link = file.Type == V1.FileType.FtLnk ? file.Link : ByteString.Empty,
        NoRead = file.NoRead,
        SparseBackup = file.Sparse,
    };

    public static FileType ToBareos(V1.FileType type) => type switch
    {
        V1.FileType.FtReg => FileType.Regular,
        V1.FileType.FtDirend => FileType.Directory,
        V1.FileType.FtLnk => FileType.Symlink,
        V1.FileType.FtLnksaved => FileType.HardlinkCopy,
        V1.FileType.FtFifo => FileType.Fifo,
        V1.FileType.FtSpec => FileType.Special,
        _ => throw new InvalidDataException($"the host sent an entry of file type {type}, which the grpc-fd wire does not carry"),
    };

    /// <summary>A restore packet's file type as the host takes it (Bareos's FT_* codes, as the python3-fd shim passes them).</summary>
    public static V1.FileType ToHost(FileType type) => type switch
    {
        FileType.Regular => V1.FileType.FtReg,
        FileType.Directory => V1.FileType.FtDirend,
        FileType.Symlink => V1.FileType.FtLnk,
        FileType.HardlinkCopy => V1.FileType.FtLnksaved,
        FileType.Fifo => V1.FileType.FtFifo,
        FileType.Special or FileType.BlockDevice => V1.FileType.FtSpec,
        _ => (V1.FileType)(int)type, // refused by the host with the entry's name
    };

    public static V1.ReplaceMode ToHost(ReplaceType replace) => replace switch
    {
        ReplaceType.ReplaceIfNewer => V1.ReplaceMode.ReplaceIfnewer,
        ReplaceType.ReplaceIfOlder => V1.ReplaceMode.ReplaceIfolder,
        ReplaceType.ReplaceNever => V1.ReplaceMode.ReplaceNever,
        _ => V1.ReplaceMode.ReplaceAlways,
    };

    public static CreateFileStatus ToBareos(V1.CreateStatus status) => status switch
    {
        V1.CreateStatus.CfCreated => CreateFileStatus.CreateFileCreated,
        V1.CreateStatus.CfExtract => CreateFileStatus.CreateFileExtract,
        V1.CreateStatus.CfSkip => CreateFileStatus.CreateFileSkip,
        _ => CreateFileStatus.CreateFileError,
    };

    /// <summary>
    /// The xattrs of an entry for getXattr. The grpc-fd plugin takes an empty list for an error, so an entry without
    /// xattrs gets one attribute with an empty name, which the core passes over (it keeps only named ones).
    /// </summary>
    public static IEnumerable<Xattribute> Xattrs(V1.BackupFile file) => file.Xattrs.Count == 0
        ? [new Xattribute()]
        : file.Xattrs.Select(x => new Xattribute { Key = x.Name, Value = x.Value });
}
