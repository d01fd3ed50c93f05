// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Posix;

namespace BackupPlugins.Core.Tests;

public sealed class RemoveTreeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("bp-removetree-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ATreeWithANonUtf8Name_IsRemovedWhole_AndASymlinkInsideIsNotFollowed()
    {
        var outside = Path.Combine(_root, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "keep.txt"), "not ours");
        var tree = Path.Combine(_root, "clone");
        Directory.CreateDirectory(Path.Combine(tree, "sub", "deeper"));
        byte[] latin1 = [.. PosixPath.FromString(Path.Combine(tree, "sub")), .. "/K"u8, 0xDC, .. "BLER.csv"u8]; // not UTF-8
        FileSystem.Close(FileSystem.Open(latin1, Libc.OWrOnly | Libc.OCreat | Libc.OExcl, 0x1A4));
        File.CreateSymbolicLink(Path.Combine(tree, "sub", "deeper", "link"), outside);

        FileSystem.RemoveTree(PosixPath.FromString(tree));

        Assert.False(Path.Exists(tree));
        Assert.Equal("not ours", File.ReadAllText(Path.Combine(outside, "keep.txt")));
    }
}
