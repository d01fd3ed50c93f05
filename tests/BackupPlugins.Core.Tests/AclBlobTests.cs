// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Core.Tests;

public class AclBlobTests
{
    private static readonly (byte[], byte[])[] Entries =
    [
        (Encoding.ASCII.GetBytes("system.posix_acl_access"), [2, 0, 0, 0, 1, 0, 6, 0]),
        (Encoding.ASCII.GetBytes("system.posix_acl_default"), []),
    ];

    [Fact]
    public void Decode_AsSetAclHandsItBack_WithTheCoresTerminatingNul()
    {
        byte[] fromCore = [.. AclBlob.Encode(Entries), 0];
        Assert.Equal(Entries, AclBlob.Decode(fromCore));
        Assert.Equal(Entries, AclBlob.Decode(AclBlob.Encode(Entries)));
    }

    [Fact]
    public void Decode_ACutStream_SaysWhatIsLeft() =>
        Assert.Equal("ACL stream is truncated (3 byte(s) left: 000501)",
            Assert.Throws<FormatException>(() => AclBlob.Decode([.. AclBlob.Encode(Entries), 0, 5, 1])).Message);
}
