// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Buffers.Binary;

namespace BackupPlugins.GrpcModule.Mapping;

/// <summary>
/// Stat packets between the two protocols: the host's packed stat (96 bytes, backupplugins.v1, the field order of
/// bareosfd.StatPacket, then the sub-second parts) and the grpc-fd wire's <c>stats</c>, the bytes of the native
/// <c>struct stat</c> (x86-64 Linux, glibc: 144 bytes).
/// </summary>
public static class NativeStat
{
    public const int PackedSize = 96, NativeSize = 144;

    /// <summary>The native struct stat of a packed stat (padding and reserved words zero).</summary>
    public static byte[] FromPacked(ReadOnlySpan<byte> p)
    {
        if (p.Length < PackedSize)
        {
            throw new InvalidDataException($"a packed stat of {p.Length} bytes, not {PackedSize}: the module and the host are not of the same release");
        }
        var n = new byte[NativeSize];
        BinaryPrimitives.WriteUInt64LittleEndian(n, BinaryPrimitives.ReadUInt64LittleEndian(p)); // st_dev
        BinaryPrimitives.WriteUInt64LittleEndian(n.AsSpan(8), BinaryPrimitives.ReadUInt64LittleEndian(p[8..])); // st_ino
        BinaryPrimitives.WriteUInt64LittleEndian(n.AsSpan(16), BinaryPrimitives.ReadUInt32LittleEndian(p[20..])); // st_nlink
        BinaryPrimitives.WriteUInt32LittleEndian(n.AsSpan(24), BinaryPrimitives.ReadUInt32LittleEndian(p[16..])); // st_mode
        BinaryPrimitives.WriteUInt32LittleEndian(n.AsSpan(28), BinaryPrimitives.ReadUInt32LittleEndian(p[24..])); // st_uid
        BinaryPrimitives.WriteUInt32LittleEndian(n.AsSpan(32), BinaryPrimitives.ReadUInt32LittleEndian(p[28..])); // st_gid
        BinaryPrimitives.WriteUInt64LittleEndian(n.AsSpan(40), BinaryPrimitives.ReadUInt64LittleEndian(p[32..])); // st_rdev
        BinaryPrimitives.WriteInt64LittleEndian(n.AsSpan(48), BinaryPrimitives.ReadInt64LittleEndian(p[40..])); // st_size
        BinaryPrimitives.WriteInt64LittleEndian(n.AsSpan(56), BinaryPrimitives.ReadUInt32LittleEndian(p[72..])); // st_blksize
        BinaryPrimitives.WriteInt64LittleEndian(n.AsSpan(64), (long)BinaryPrimitives.ReadUInt64LittleEndian(p[76..])); // st_blocks
        WriteTime(n.AsSpan(72), p[48..], p[84..]); // st_atim
        WriteTime(n.AsSpan(88), p[56..], p[88..]); // st_mtim
        WriteTime(n.AsSpan(104), p[64..], p[92..]); // st_ctim
        return n;
    }

    /// <summary>The packed stat of a native struct stat (a restore's stats, for the host).</summary>
    public static byte[] ToPacked(ReadOnlySpan<byte> n)
    {
        if (n.Length < NativeSize)
        {
            throw new InvalidDataException($"a struct stat of {n.Length} bytes, not {NativeSize}: not an x86-64 Linux file daemon");
        }
        var p = new byte[PackedSize];
        BinaryPrimitives.WriteUInt64LittleEndian(p, BinaryPrimitives.ReadUInt64LittleEndian(n));
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8), BinaryPrimitives.ReadUInt64LittleEndian(n[8..]));
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(16), BinaryPrimitives.ReadUInt32LittleEndian(n[24..]));
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(20), (uint)Math.Min(uint.MaxValue, BinaryPrimitives.ReadUInt64LittleEndian(n[16..])));
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(24), BinaryPrimitives.ReadUInt32LittleEndian(n[28..]));
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(28), BinaryPrimitives.ReadUInt32LittleEndian(n[32..]));
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(32), BinaryPrimitives.ReadUInt64LittleEndian(n[40..]));
        BinaryPrimitives.WriteInt64LittleEndian(p.AsSpan(40), BinaryPrimitives.ReadInt64LittleEndian(n[48..]));
        BinaryPrimitives.WriteInt64LittleEndian(p.AsSpan(48), BinaryPrimitives.ReadInt64LittleEndian(n[72..]));
        BinaryPrimitives.WriteInt64LittleEndian(p.AsSpan(56), BinaryPrimitives.ReadInt64LittleEndian(n[88..]));
        BinaryPrimitives.WriteInt64LittleEndian(p.AsSpan(64), BinaryPrimitives.ReadInt64LittleEndian(n[104..]));
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(72), (uint)BinaryPrimitives.ReadInt64LittleEndian(n[56..]));
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(76), (ulong)BinaryPrimitives.ReadInt64LittleEndian(n[64..]));
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(84), (uint)BinaryPrimitives.ReadInt64LittleEndian(n[80..]));
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(88), (uint)BinaryPrimitives.ReadInt64LittleEndian(n[96..]));
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(92), (uint)BinaryPrimitives.ReadInt64LittleEndian(n[112..]));
        return p;
    }

    private static void WriteTime(Span<byte> native, ReadOnlySpan<byte> seconds, ReadOnlySpan<byte> nanoseconds)
    {
        BinaryPrimitives.WriteInt64LittleEndian(native, BinaryPrimitives.ReadInt64LittleEndian(seconds));
        BinaryPrimitives.WriteInt64LittleEndian(native[8..], BinaryPrimitives.ReadUInt32LittleEndian(nanoseconds));
    }
}
