// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Options;
using BackupPlugins.Sources.Virtuozzo;

namespace BackupPlugins.Sources.Tests.Virtuozzo;

public class Vz7OptionsTests
{
    private static Vz7Options Read(string text) => Vz7Options.Read(PluginDefinition.Parse(text));

    [Fact]
    public void Read_SeedStrings_GiveTheSeedsDefaults()
    {
        var o = Read("source=vz7:blocker=tmp/backup_blocker:lockfile=/tmp/bareos_backup_cts:name=web:" +
                     "uuid={2D109AE4-5231-475F-BC44-5CABF5D8503B}:excluded_backup_paths='/home/admin','/var/cache'");

        Assert.Equal("2d109ae4-5231-475f-bc44-5cabf5d8503b", o.Uuid);
        Assert.Equal(["/home/admin", "/var/cache"], o.Exclude);
        Assert.Equal(Vz7RestoreMode.Container, o.Restore);
        Assert.Equal(50, o.DiskGiB);
        Assert.Equal(TimeSpan.FromSeconds(60), o.LockTimeout);
    }

    [Theory]
    [InlineData("excluded_backup_paths='/home/admin,var/tmp/junk'", new[] { "/home/admin", "/var/tmp/junk" })]
    [InlineData("excluded_backup_paths=var/tmp/, /srv/a'b,'/var/log/*.gz'", new[] { "/var/tmp/", "/srv/ab", "/var/log/*.gz" })]
    [InlineData("excluded_backup_paths=','", new string[0])]
    public void Read_ExcludedPaths_AreAnchoredAtTheContainersRoot_AsTheSeedJoinedThem(string option, string[] expected) =>
        Assert.Equal(expected, Read("source=vz7:" + option).Exclude);

    [Theory]
    [InlineData("restore=files", Vz7RestoreMode.Files)]
    [InlineData("restore=file", Vz7RestoreMode.Files)]
    [InlineData("restore=ct", Vz7RestoreMode.Container)]
    public void Read_RestoreMode_AcceptsBothSpellingsOfFiles(string option, Vz7RestoreMode expected) =>
        Assert.Equal(expected, Read("source=vz7:" + option).Restore);

    [Theory]
    [InlineData("disk=250", 250)]
    [InlineData("diskspace=120", 120)]
    [InlineData("disk=10:diskspace=20", 10)]
    public void Read_DiskSize_AcceptsDiskAndTheSeedsDiskspace(string option, int gib) =>
        Assert.Equal(gib, Read("source=vz7:" + option).DiskGiB);

    [Fact]
    public void Read_BadValues_AreAllReportedAtOnce()
    {
        var ex = Assert.Throws<BackupPluginException>(() => Read("source=vz7:uuid=ct101:disk=0:lockfile=run/x.lock:size=3"));

        Assert.Equal(ErrorKind.BadInput, ex.Kind);
        Assert.Equal("option \"lockfile\" must be an absolute path, got \"run/x.lock\"; " +
                     "option \"disk\" must be a whole number from 1 to 1048576, got \"0\"; " +
                     "option \"uuid\" must be a container UUID such as 2d109ae4-5231-475f-bc44-5cabf5d8503b, got \"ct101\"; " +
                     "unknown option \"size\" for source=vz7 (known: name, uuid, blocker, lockfile, lock_timeout, " +
                     "excluded_backup_paths, restore, disk, diskspace, source, socket, timeout)", ex.Message);
    }
}
