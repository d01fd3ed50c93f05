// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Buffers.Binary;

namespace BackupPlugins.Core.Trees;

/// <summary>
/// The ACL stream we hand to the file daemon's get_acl: the raw system.posix_acl_access/default xattrs, each
/// as name length (u16 BE), name, value length (u32 BE), value. Restored by setting the same xattrs; what set_acl
/// returns may end with the NUL byte the core adds to every ACL stream.
/// </summary>
public static class AclBlob
{
    public static byte[] Encode(IEnumerable<(byte[] Name, byte[] Value)> entries)
    {
        var output = new List<byte>();
        Span<byte> len = stackalloc byte[4];
        foreach (var (name, value) in entries)
        {
            BinaryPrimitives.WriteUInt16BigEndian(len, (ushort)name.Length);
            output.AddRange(len[..2]);
            output.AddRange(name);
            BinaryPrimitives.WriteUInt32BigEndian(len, (uint)value.Length);
            output.AddRange(len);
            output.AddRange(value);
        }
        return [.. output];
    }

    public static List<(byte[] Name, byte[] Value)> Decode(ReadOnlySpan<byte> blob)
    {
        var entries = new List<(byte[], byte[])>();
        while (blob.Length >= 6)
        {
            int nameLength = BinaryPrimitives.ReadUInt16BigEndian(blob);
            var name = blob.Slice(2, nameLength).ToArray();
            blob = blob[(2 + nameLength)..];
            var valueLength = (int)BinaryPrimitives.ReadUInt32BigEndian(blob);
            entries.Add((name, blob.Slice(4, valueLength).ToArray()));
            blob = blob[(4 + valueLength)..];
        }
        // The Bareos core sends every ACL stream with a terminating NUL (it was text once), so set_acl hands back one byte more.
        if (!blob.IsEmpty && !(blob.Length == 1 && blob[0] == 0))
        {
            throw new FormatException($"ACL stream is truncated ({blob.Length} byte(s) left: {Convert.ToHexString(blob)})");
        }
        return entries;
    }
}
