// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Zfs;

namespace BackupPlugins.Sources.Tests.Zfs;

/// <summary>Outputs captured from zfs-fuse 0.7.0 (Debian 12), the ZFS the tests run on.</summary>
public class ZfsOutputParserTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "zfs", name));

    [Fact]
    public void ParseSnapshots_OwnSnapshotsOnly_OldestFirst_WithHolds()
    {
        var snapshots = ZfsOutputParser.ParseSnapshots(Fixture("zfs-fuse-0.7-get-snapshots.txt"), "bph1/data");

        Assert.Equal(
        [
            new ZfsSnapshot("bph1/data", "2026-12-01_10:00:00", 11250429403114038401, 11, 0),
            new ZfsSnapshot("bph1/data", "manual", 18188030364321865605, 16, 1),
        ], snapshots);
        Assert.Equal("bph1/data@manual", snapshots[1].FullName);
    }

    [Fact]
    public void ParseProperties_EveryPropertyAskedFor_OrNull()
    {
        var output = Fixture("zfs-fuse-0.7-get-properties.txt");
        Assert.Equal(new Dictionary<string, string> { ["guid"] = "331795415139496999", ["creation"] = "1796569754" },
            ZfsOutputParser.ParseProperties(output, ["guid", "creation"]));
        Assert.Null(ZfsOutputParser.ParseProperties(output, ["guid", "origin"]));
        Assert.Null(ZfsOutputParser.ParseProperties("", ["guid"]));
    }

    [Fact]
    public void ParseSnapshots_MissingGuid_SaysWhichSnapshot()
    {
        var ex = Assert.Throws<FormatException>(() => ZfsOutputParser.ParseSnapshots("p/d@s\tcreatetxg\t5\n", "p/d"));
        Assert.Equal("zfs get gave no numeric guid for p/d@s", ex.Message);
    }

    [Fact]
    public void ParsePoolGuids_TableAndTabForms()
    {
        Assert.Equal(new Dictionary<string, string> { ["ta"] = "7921092433317617657", ["tb"] = "12735672777338015840" },
            ZfsOutputParser.ParsePoolGuids(Fixture("zfs-fuse-0.7-zpool-get-guid.txt")));
        Assert.Equal(new Dictionary<string, string> { ["rpool"] = "14531335982323491945" },
            ZfsOutputParser.ParsePoolGuids("rpool\tguid\t14531335982323491945\t-\n"));
    }

    [Fact]
    public void ParseSendSize_OpenZfsParsableDryRun() =>
        Assert.Equal(1234567, ZfsOutputParser.ParseSendSize("incremental\ts1\tp/d@s2\t1234567\nsize\t1234567\n"));
}
