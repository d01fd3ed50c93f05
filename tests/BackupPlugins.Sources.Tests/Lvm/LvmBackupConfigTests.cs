// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Lvm.Backup;

namespace BackupPlugins.Sources.Tests.Lvm;

public sealed class LvmBackupConfigTests
{
    // The seed's examples/host-precise.ini, as it is (its quoted snapshot name, no archive_prefix).
    private static readonly string[] Example =
    [
        "", "; Example uses 'host' as the hostname, and 'host-xub-precise' on the", "; data volume group.", "",
        "[lvm]", "snapshot_size = 2G", "snapshot_lv_name = \"host-xub-precise-backsnap\"", "volume_group = data",
        "logical_volume = host-xub-precise", "", "[backup]", "source_type = lvm", "target = /net/server/backups/host/os/xub-precise", "",
        "[bindmounts]", "equals = /boot",
    ];

    [Fact]
    public void TheSeedsExample_Reads_WithItsQuotesStripped_AndAPrefixFromTheVolume()
    {
        var c = LvmBackupConfig.Parse(Example, "host-precise.ini");

        Assert.Equal(("lvm", "data", "host-xub-precise", "host-xub-precise-backsnap", "2G"), (c.SourceType, c.Vg, c.Lv, c.SnapshotName, c.SnapshotSize));
        Assert.Equal("/net/server/backups/host/os/xub-precise", c.Target);
        Assert.Equal("host-xub-precise-", c.ArchivePrefix);
        Assert.Equal(["/boot"], c.BindMounts);
        Assert.False(c.RsyncEnabled);
        Assert.True(c.Verify);
    }

    [Fact]
    public void ConfigParserForms_ColonsContinuationsAndCaseOfKeys_AreRead()
    {
        var c = LvmBackupConfig.Parse(
        [
            "[backup]", "Source_Type: dir", "source_root = /srv", "target=/b", "subdirs = 'my documents' etc", "  var/lib",
            "[rsync]", "enabled = Yes", "target_dir = /mirror/", "# a comment",
        ], "x.ini");

        Assert.Equal(("dir", "/srv", "srv-"), (c.SourceType, c.SourceRoot, c.ArchivePrefix));
        Assert.Equal(["my documents", "etc", "var/lib"], c.Subdirs);
        Assert.True(c.RsyncEnabled);
        Assert.Equal("/mirror", c.RsyncTarget);
    }

    [Fact]
    public void EveryProblem_IsSaidAtOnce_WithItsSectionAndKey()
    {
        var ex = Assert.Throws<FormatException>(() => LvmBackupConfig.Parse(
            ["[backup]", "target = b", "keep_months = soon", "[lvm]", "volume_group = vg", "snapshot_lv_name = -bad", "[extra]", "x = 1"], "x.ini"));

        Assert.Equal(
        [
            "x.ini line 7: unknown section [extra] (known: [backup], [lvm], [bindmounts], [rsync])",
            "[backup] target = b: give an absolute path",
            "[backup] keep_months = soon: give a whole number from 0 to 10000",
            "[lvm] logical_volume is missing: the logical volume to back up",
            "[lvm] snapshot_size is missing: the snapshot's space, as lvcreate takes it (2G, 20%ORIGIN)",
            "[lvm] snapshot_lv_name = -bad: not an LVM name (letters, digits, + _ . -)",
        ], ex.Message.Split('\n'));
    }

    [Theory]
    [InlineData("a b  c", new[] { "a", "b", "c" })]
    [InlineData("'a b' \"c \\\" d\" e\\ f", new[] { "a b", "c \" d", "e f" })]
    [InlineData("/boot /home/'x y'", new[] { "/boot", "/home/x y" })]
    [InlineData("", new string[0])]
    public void ShellWords_SplitAsShlexDoes(string text, string[] words) => Assert.Equal(words, ShellWords.Split(text));

    [Fact]
    public void ShellWords_AnUnclosedQuote_IsAnError() => Assert.Throws<FormatException>(() => ShellWords.Split("'a b"));
}
