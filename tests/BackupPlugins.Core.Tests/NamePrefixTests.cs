// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Core.Tests;

public class NamePrefixTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    private readonly NamePrefix _prefix = new(B("/mnt/bareos/bp-x"), B("/mnt/bareos/x"));

    [Theory]
    [InlineData("/mnt/bareos/bp-x", "/mnt/bareos/x")]
    [InlineData("/mnt/bareos/bp-x/etc/passwd", "/mnt/bareos/x/etc/passwd")]
    [InlineData("/mnt/bareos/bp-xy/etc", null)]
    [InlineData("/other", null)]
    public void Map_SwapsAWholeLeadingDirectoryOnly(string name, string? expected) =>
        Assert.Equal(expected, _prefix.Map(B(name)) is { } mapped ? Encoding.UTF8.GetString(mapped) : null);

    [Fact]
    public void Rename_HardLink_MapsItsFirstNameButKeepsWhereTheDataIs()
    {
        var item = new BackupItem(B("/mnt/bareos/bp-x/b"), EntryKind.HardLink, default) { Link = B("/mnt/bareos/bp-x/a"), OpenPath = B("/mnt/bareos/bp-x/b") };

        var renamed = _prefix.Rename(item);

        Assert.Equal("/mnt/bareos/x/b", PosixPath.Display(renamed.Name));
        Assert.Equal("/mnt/bareos/x/a", PosixPath.Display(renamed.Link));
        Assert.Equal("/mnt/bareos/bp-x/b", PosixPath.Display(renamed.OpenPath));
    }

    [Fact]
    public void Rename_Symlink_KeepsItsTarget()
    {
        var item = new BackupItem(B("/mnt/bareos/bp-x/l"), EntryKind.Symlink, default) { Link = B("/mnt/bareos/bp-x/a") };

        Assert.Equal("/mnt/bareos/bp-x/a", PosixPath.Display(_prefix.Rename(item).Link));
    }
}
