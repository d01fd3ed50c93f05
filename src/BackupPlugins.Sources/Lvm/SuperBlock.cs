// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Buffers.Binary;

namespace BackupPlugins.Sources.Lvm;

/// <summary>
/// The file system on a block device, from its superblock's magic (no tool needed), and the options a snapshot of it
/// is mounted with: always read-only; XFS with <c>nouuid</c> (the snapshot has the mounted origin's UUID, which XFS
/// refuses twice); ext3/ext4 with <c>noload</c> (the journal is not replayed: LVM froze the file system for the
/// snapshot, so it is consistent, and a replay would write).
/// </summary>
public static class SuperBlock
{
    private const int ExtSuperBlock = 1024;
    private const uint ExtHasJournal = 0x4;

    /// <summary><c>xfs</c>, <c>ext4</c>, <c>ext3</c>, <c>ext2</c>, <c>btrfs</c>, or null when none of those.</summary>
    public static string? Probe(string device)
    {
        var head = new byte[0x10048];
        using (var stream = new FileStream(device, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            var n = 0;
            while (n < head.Length && stream.Read(head, n, head.Length - n) is var got and > 0)
            {
                n += got;
            }
        }
        if (head.AsSpan(0, 4).SequenceEqual("XFSB"u8))
        {
            return "xfs";
        }
        if (head.AsSpan(0x10040, 8).SequenceEqual("_BHRfS_M"u8))
        {
            return "btrfs";
        }
        if (BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(ExtSuperBlock + 56)) == 0xEF53)
        {
            var compat = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(ExtSuperBlock + 92));
            var incompat = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(ExtSuperBlock + 96));
            return (compat & ExtHasJournal) == 0 ? "ext2" : (incompat & 0x40) != 0 ? "ext4" : "ext3"; // 0x40: extents
        }
        return null;
    }

    public static string MountOptions(string? type) => type switch
    {
        "xfs" => "ro,nouuid",
        "ext3" or "ext4" => "ro,noload",
        _ => "ro",
    };
}
