// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Buffers.Binary;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using Google.Protobuf;

namespace BackupPlugins.Service.Mapping;

/// <summary>
/// The protocol's packed stat (fd_plugin.proto, "Stat fields travel packed"): 96 bytes, little-endian, the first
/// thirteen fields in the order of bareosfd.StatPacket's arguments, then the sub-second parts. The shim reads it with
/// one struct call for every entry of a backup.
/// </summary>
public static class PackedStat
{
    public const int Size = 96;

    public static ByteString Pack(PosixStat s)
    {
        var b = new byte[Size];
        Write(s, b);
        return UnsafeByteOperations.UnsafeWrap(b);
    }

    public static void Write(PosixStat s, Span<byte> b)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(b, s.Dev);
        BinaryPrimitives.WriteUInt64LittleEndian(b[8..], s.Ino);
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], s.Mode);
        BinaryPrimitives.WriteUInt32LittleEndian(b[20..], s.Nlink);
        BinaryPrimitives.WriteUInt32LittleEndian(b[24..], s.Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(b[28..], s.Gid);
        BinaryPrimitives.WriteUInt64LittleEndian(b[32..], s.Rdev);
        BinaryPrimitives.WriteInt64LittleEndian(b[40..], s.Size);
        BinaryPrimitives.WriteInt64LittleEndian(b[48..], s.Atime);
        BinaryPrimitives.WriteInt64LittleEndian(b[56..], s.Mtime);
        BinaryPrimitives.WriteInt64LittleEndian(b[64..], s.Ctime);
        BinaryPrimitives.WriteUInt32LittleEndian(b[72..], s.Blksize);
        BinaryPrimitives.WriteUInt64LittleEndian(b[76..], s.Blocks);
        BinaryPrimitives.WriteUInt32LittleEndian(b[84..], s.AtimeNsec);
        BinaryPrimitives.WriteUInt32LittleEndian(b[88..], s.MtimeNsec);
        BinaryPrimitives.WriteUInt32LittleEndian(b[92..], s.CtimeNsec);
    }

    /// <summary>Empty is all zero (a restore packet without a stat); a longer one is read up to its known fields.</summary>
    public static PosixStat Read(ReadOnlySpan<byte> b)
    {
        if (b.IsEmpty)
        {
            return default;
        }
        if (b.Length < Size)
        {
            throw new BackupPluginException(ErrorKind.BadInput, "protocol.stat",
                $"a packed stat has {b.Length} bytes, not {Size}: the shim and the host are not of the same version");
        }
        return new PosixStat(
            Dev: BinaryPrimitives.ReadUInt64LittleEndian(b),
            Ino: BinaryPrimitives.ReadUInt64LittleEndian(b[8..]),
            Mode: BinaryPrimitives.ReadUInt32LittleEndian(b[16..]),
            Nlink: BinaryPrimitives.ReadUInt32LittleEndian(b[20..]),
            Uid: BinaryPrimitives.ReadUInt32LittleEndian(b[24..]),
            Gid: BinaryPrimitives.ReadUInt32LittleEndian(b[28..]),
            Rdev: BinaryPrimitives.ReadUInt64LittleEndian(b[32..]),
            Size: BinaryPrimitives.ReadInt64LittleEndian(b[40..]),
            Atime: BinaryPrimitives.ReadInt64LittleEndian(b[48..]),
            AtimeNsec: BinaryPrimitives.ReadUInt32LittleEndian(b[84..]),
            Mtime: BinaryPrimitives.ReadInt64LittleEndian(b[56..]),
            MtimeNsec: BinaryPrimitives.ReadUInt32LittleEndian(b[88..]),
            Ctime: BinaryPrimitives.ReadInt64LittleEndian(b[64..]),
            CtimeNsec: BinaryPrimitives.ReadUInt32LittleEndian(b[92..]),
            Blksize: BinaryPrimitives.ReadUInt32LittleEndian(b[72..]),
            Blocks: BinaryPrimitives.ReadUInt64LittleEndian(b[76..]));
    }
}
