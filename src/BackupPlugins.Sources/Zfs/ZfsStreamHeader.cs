// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Buffers.Binary;
using System.Text;

namespace BackupPlugins.Sources.Zfs;

/// <summary>
/// The first record of a `zfs send` stream (DRR_BEGIN of dmu_replay_record, OpenZFS and zfs-fuse alike): record type
/// 0, payload length, then drr_magic 0x2F5BACBAC, version, creation time, objset type, flags, to-GUID, from-GUID and
/// the NUL-terminated drr_toname[256] ("pool/ds@snap"), in the sender's byte order (the magic tells which).
/// A raw stream restored through bpipe is named by it, as a Bareos job names it /@zfs/&lt;toname&gt;.
/// </summary>
public static class ZfsStreamHeader
{
    public const int Length = 8 + 48 + 256;
    private const ulong Magic = 0x2F5BACBAC;

    public static (string ToName, ulong FromGuid) Read(ReadOnlySpan<byte> header)
    {
        if (header.Length < Length)
        {
            throw new InvalidDataException($"standard input ends after {header.Length} bytes: not a zfs send stream");
        }
        var swapped = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]) != Magic;
        if (swapped && BinaryPrimitives.ReadUInt64BigEndian(header[8..]) != Magic)
        {
            throw new InvalidDataException("standard input is not a zfs send stream: no DRR_BEGIN magic at its start " +
                "(bpipe-reader --source zfs writes one)");
        }
        var fromGuid = swapped ? BinaryPrimitives.ReadUInt64BigEndian(header[48..]) : BinaryPrimitives.ReadUInt64LittleEndian(header[48..]);
        var name = header.Slice(56, 256);
        var end = name.IndexOf((byte)0);
        return (Encoding.UTF8.GetString(end < 0 ? name : name[..end]), fromGuid);
    }
}
