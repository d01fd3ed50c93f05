// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Posix;

namespace BackupPlugins.Core.Sources;

public enum EntryKind { Regular, Directory, Symlink, HardLink, Fifo, Special }

/// <summary>How the data of a regular entry reaches the file daemon.</summary>
public enum DataDelivery
{
    /// <summary>No data (directories, links, special files, empty files).</summary>
    None,
    /// <summary>The shim opens <see cref="BackupItem.OpenPath"/> itself and hands the descriptor to the core.</summary>
    Path,
    /// <summary>The host writes the data into a Unix-socket connection (<see cref="ISourceDriver.OpenDataAsync"/>).</summary>
    Socket,
}

/// <summary>
/// One entry a source hands to Bareos: its name (raw bytes as Bareos records it), type, complete stat,
/// and where its data and metadata come from. An entry with <see cref="Error"/> is reported as not saved.
/// </summary>
public sealed record BackupItem(byte[] Name, EntryKind Kind, PosixStat Stat)
{
    /// <summary>Symlink target, or the first name of a hard-linked file for <see cref="EntryKind.HardLink"/>.</summary>
    public byte[] Link { get; init; } = [];
    public DataDelivery Data { get; init; }
    public byte[]? OpenPath { get; init; }
    public IReadOnlyList<(byte[] Name, byte[] Value)> Xattrs { get; init; } = [];
    public byte[]? Acl { get; init; }
    public bool Sparse { get; init; }
    public string? Error { get; init; }
}

public enum ReplaceMode { Always, IfNewer, IfOlder, Never }

/// <summary>One entry Bareos asks us to restore (create_file), names already decoded to raw bytes.</summary>
public sealed record RestoreItem(byte[] Target, byte[] Link, EntryKind Kind, PosixStat Stat, ReplaceMode Replace)
{
    /// <summary>The backed-up file had holes (fewer blocks than its size): its data may come with seeks.</summary>
    public bool Sparse => Kind == EntryKind.Regular && (long)Stat.Blocks * 512 < Stat.Size;
}

public enum CreateOutcome { Skip, Extract, Created }

/// <summary>What create_file answers: skip, write the data into <see cref="OpenPath"/> (or a socket), or already created.</summary>
public sealed record CreateResult(CreateOutcome Outcome, DataDelivery Data = DataDelivery.None, byte[]? OpenPath = null)
{
    /// <summary>
    /// Created here, but answered as an extract into /dev/null: the Bareos core drops the ACL and xattr streams of
    /// CF_CREATED entries other than directories (Bareos 25.1, measured), and they carry what a stat packet cannot
    /// (nanosecond times, xattrs, ACLs). The core opens, writes nothing, closes, and then hands the streams over.
    /// </summary>
    public static CreateResult CreatedWithMetadata { get; } =
        new(CreateOutcome.Extract, DataDelivery.Path, "/dev/null"u8.ToArray()) { MetadataOnly = true };

    /// <summary>The entry exists already; only its metadata streams are awaited (never a data socket).</summary>
    public bool MetadataOnly { get; init; }
}

/// <summary>Metadata the file daemon returns after an entry's data (set_xattr/set_acl), applied after close.</summary>
public sealed record RestoreMetadata(IReadOnlyList<(byte[] Name, byte[] Value)> Xattrs, byte[]? Acl, bool DataOk);
