// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.GrpcModule.Mapping;
using BackupPlugins.Protocol.Bareos;
using Google.Protobuf;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.GrpcModule.Tests;

/// <summary>Entries between the host's protocol and the grpc-fd wire.</summary>
public class EntryMappingTests
{
    private static V1.BackupFile File(V1.FileType type, string name = "/srv/a", string link = "") => new()
    {
        Fname = ByteString.CopyFrom([.. System.Text.Encoding.UTF8.GetBytes(name), 0xFF]), // not UTF-8: passes as bytes
        Link = ByteString.CopyFromUtf8(link),
        Type = type,
        Stat = ByteString.CopyFrom(new byte[NativeStat.PackedSize]),
        Sparse = true,
    };

    [Fact]
    public void RegularFile_KeepsItsNameBytes_AndNativeStat_AndSparse()
    {
        var file = EntryMapping.ToBareos(File(V1.FileType.FtReg));
        Assert.Equal(FileType.Regular, file.Type);
        Assert.Equal(0xFF, file.File[^1]);
        Assert.Equal(NativeStat.NativeSize, file.Stats.Length);
        Assert.True(file.SparseBackup);
        Assert.True(file.Link.IsEmpty);
    }

    [Fact]
    public void Symlink_CarriesItsTarget_AndAHardLinkNone()
    {
        Assert.Equal("target", EntryMapping.ToBareos(File(V1.FileType.FtLnk, link: "target")).Link.ToStringUtf8());
        var hard = EntryMapping.ToBareos(File(V1.FileType.FtLnksaved, link: "/srv/first"));
        Assert.Equal(FileType.HardlinkCopy, hard.Type);
        Assert.True(hard.Link.IsEmpty); // the grpc-fd plugin passes no link for this type: the daemon's own table fills it
    }

    [Fact]
    public void EntryWithoutXattrs_GetsOneNamelessAttribute_WhichTheCoreSkips()
    {
        var attribute = Assert.Single(EntryMapping.Xattrs(File(V1.FileType.FtReg)));
        Assert.True(attribute.Key.IsEmpty);
    }

    [Theory]
    [InlineData(ReplaceType.ReplaceIfNewer, V1.ReplaceMode.ReplaceIfnewer)]
    [InlineData(ReplaceType.ReplaceIfOlder, V1.ReplaceMode.ReplaceIfolder)]
    [InlineData(ReplaceType.ReplaceNever, V1.ReplaceMode.ReplaceNever)]
    [InlineData(ReplaceType.ReplaceAlways, V1.ReplaceMode.ReplaceAlways)]
    public void ReplaceModes_AreBareosLetters(ReplaceType given, V1.ReplaceMode expected) => Assert.Equal(expected, EntryMapping.ToHost(given));

    [Theory]
    [InlineData(FileType.HardlinkCopy, V1.FileType.FtLnksaved)]
    [InlineData(FileType.Directory, V1.FileType.FtDirend)]
    [InlineData(FileType.BlockDevice, V1.FileType.FtSpec)]
    public void RestoreTypes_AreBareosCodes(FileType given, V1.FileType expected) => Assert.Equal(expected, EntryMapping.ToHost(given));
}
