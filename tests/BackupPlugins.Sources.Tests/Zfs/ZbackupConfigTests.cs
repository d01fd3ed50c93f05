// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Config;
using BackupPlugins.Sources.Zfs.Sync;

namespace BackupPlugins.Sources.Tests.Zfs;

/// <summary>The seed's zbackup.ini, read as Python's configparser reads it.</summary>
public class ZbackupConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-ini-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string text)
    {
        var path = Path.Combine(_dir, "zbackup.ini");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Load_TheSeedsExample_WithDefaultsInheritedAndAMultiLineVolumeList()
    {
        var config = ZbackupConfig.Load(Write("""
            # zbackup configuration
            [DEFAULT]
            volume = /test
                     /tmp
                     /home
            last_snapshots = 30

            [USB device]
            partuuid = 09353f9f-c554-11e1-8897-5c260a0e9ee6
            truecrypt = no
            save-last-snapshots = 10

            [host1]
            guid = 14531335982323491945
            save-last-snapshots = 60

            [host2]
            GUID = 42
            volume = /only
            """));

        Assert.Equal(("09353f9f-c554-11e1-8897-5c260a0e9ee6", "backup", "/backup", 10, false),
            (config.PartUuid, config.UsbPool, config.MountPoint, config.UsbKeepSnapshots, config.TrueCrypt));
        var host1 = config.Hosts[0];
        Assert.Equal(("host1", "14531335982323491945", 60), (host1.Section, host1.Guid, host1.KeepSnapshots));
        Assert.Equal(["/test", "/tmp", "/home"], host1.Volumes);
        Assert.Equal(["/only"], config.Hosts[1].Volumes);
        Assert.Equal(0, config.Hosts[1].KeepSnapshots);
    }

    [Fact]
    public void Get_Interpolation_AsBasicInterpolation()
    {
        var ini = IniFile.Parse("[DEFAULT]\nroot = /srv\n[a]\npath = %(root)s/x\npct = 100%%\nbad = 5%\n", "t.ini");
        Assert.Equal(("/srv/x", "100%"), (ini.Get("a", "path"), ini.Get("a", "pct")));
        Assert.Equal("t.ini: [a] bad: a lone '%' must be written '%%'", Assert.Throws<FormatException>(() => ini.Get("a", "bad")).Message);
    }

    [Fact]
    public void Parse_DuplicateKey_IsAnErrorWithTheLine() =>
        Assert.Equal("t.ini, line 3: key \"guid\" appears twice in [host1]",
            Assert.Throws<FormatException>(() => IniFile.Parse("[host1]\nguid = 1\nGuid = 2\n", "t.ini")).Message);

    [Fact]
    public void Load_BadValues_AreAllReportedNamingSectionAndKey()
    {
        var path = Write("[DEFAULT]\nvolume = data\n[USB device]\npartuuid = x\nsave-last-snapshots = all\n[host1]\nguid = 7\n");
        var ex = Assert.Throws<FormatException>(() => ZbackupConfig.Load(path));
        Assert.Equal($"{path}: [host1] volume data must start with '/' (it is appended to the pool name); " +
                     "[USB device] save-last-snapshots must be a whole number (0 keeps all), got \"all\"", ex.Message);
    }
}
