// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Xen.Backup;

namespace BackupPlugins.Sources.Tests.Xen;

public sealed class VmBackupConfigTests
{
    /// <summary>The seed README's "config" usage text, as an operator's file holds it (a line starting with a space included).</summary>
    private static readonly string[] SeedExample =
    [
        "# Example config file for VmBackup.py",
        "",
        "#### high level VmBackup settings ################",
        "# Take Xen Pool DB backup: 0=No, 1=Yes (script default to 0=No)",
        "pool_db_backup=0",
        "",
        "# How many backups to keep for each vm (script default to 4)",
        "max_backups=3",
        "",
        "#Backup Directory path (script default /snapshots/BACKUPS)",
        "backup_dir=/path/to/backupspace",
        "",
        "status_log=/path/to/backupspace/logs/status.log",
        "",
        "vdi_export_format=raw",
        "",
        "exclude=PROD-WinDomainController",
        "exclude=DEV-DestructiveTest ",
        "exclude=TEMP-.*",
        "",
        "# vm-export VM name-label of vm to backup. One per line - notice :max_backups override.",
        "vm-export=my-vm-name",
        "vm-export=my-second-vm",
        "vm-export=my-third-vm:3",
        "",
        "vdi-export=my-vm-name",
        "",
        "vm-export=PROD.*",
        "vm-export=DEV.*:2",
        "# metadata-export using the same regex principle than vm-export",
        " metadata-export=WEB.*",
    ];

    [Fact]
    public void TheSeedsExample_ReadsAsTheSeedReadIt()
    {
        var config = VmBackupConfig.Parse(SeedExample, ignoreExtraKeys: false);

        Assert.False(config.PoolDbBackup);
        Assert.Equal(3, config.MaxBackups);
        Assert.Equal("/path/to/backupspace", config.BackupDir);
        Assert.Equal("/path/to/backupspace/logs/status.log", config.StatusLog);
        Assert.Equal("raw", config.VdiExportFormat);
        Assert.Equal(
        [
            ("exclude", "PROD-WinDomainController", (int?)null), ("exclude", "DEV-DestructiveTest", null), ("exclude", "TEMP-.*", null),
            ("vm-export", "my-vm-name", null), ("vm-export", "my-second-vm", null), ("vm-export", "my-third-vm", 3),
            ("vdi-export", "my-vm-name", null), ("vm-export", "PROD.*", null), ("vm-export", "DEV.*", 2), ("metadata-export", "WEB.*", null),
        ], config.Selectors.Select(s => (s.Key, s.Selector, s.MaxBackups)));
    }

    [Fact]
    public void KeysNotGiven_AreTheSeedsDefaults()
    {
        var config = VmBackupConfig.Parse(["vm-export=a"], ignoreExtraKeys: false);

        Assert.Equal((false, 4, "/snapshots/BACKUPS", "/snapshots/NAUbackup/status.log", "raw", false),
            (config.PoolDbBackup, config.MaxBackups, config.BackupDir, config.StatusLog, config.VdiExportFormat, config.Compressed));
    }

    [Fact]
    public void AValueHoldingAnEqualsSign_AndASelectorHoldingAColon_AreKept()
    {
        var config = VmBackupConfig.Parse(["backup_dir=/mnt/a=b", "vm-export=web:blue", "vm-export=db:prod:7"], ignoreExtraKeys: false);

        Assert.Equal("/mnt/a=b", config.BackupDir);
        Assert.Equal([("web:blue", (int?)null), ("db:prod", 7)], config.Selectors.Select(s => (s.Selector, s.MaxBackups)));
    }

    [Fact]
    public void EveryProblem_IsReportedAtOnce_WithItsLine()
    {
        var ex = Assert.Throws<FormatException>(() => VmBackupConfig.Parse(
            ["max_backups=0", "max_backups=3", "vdi_export_format=qcow2", "colour=blue", "vm-export=a:0", "just words"], ignoreExtraKeys: false));

        Assert.Equal(string.Join("\n",
            "line 2: max_backups is given a second time (first on line 1); keep one",
            "line 4: unexpected config key \"colour\"; fix it, or run with ignore_extra_keys=true",
            "line 5: vm-export=a:0: the :N after the VM must be a number of backups of at least 1",
            "line 6: \"just words\" is not key=value",
            "line 1: max_backups=0 must be a whole number from 1 to 100000",
            "line 3: vdi_export_format=qcow2 must be one of raw, vhd"), ex.Message);
    }

    [Fact]
    public void IgnoreExtraKeys_IgnoresThem_AndSaysSo()
    {
        var config = VmBackupConfig.Parse(["colour=blue", "vm-export=a"], ignoreExtraKeys: true);

        Assert.Equal(["ignoring config key: colour (line 1)"], config.Ignored);
    }

    [Fact]
    public void NoExportLine_IsNoVmsLoaded_AndAnEmptySelectorSelectsNothing() =>
        Assert.Equal("no VMs loaded: give at least one vm-export=, vdi-export= or metadata-export= line",
            Assert.Throws<FormatException>(() => VmBackupConfig.Parse(["exclude=x", "vm-export="], ignoreExtraKeys: false)).Message);

    [Theory]
    [InlineData("DEV-mySql", "vm-export", "DEV-mySql")]
    [InlineData("vdi-export=DEV-mySql", "vdi-export", "DEV-mySql")]
    [InlineData("DEV mySql", "vm-export", "DEV mySql")]
    [InlineData(".*", "vm-export", ".*")]
    public void TheSeedsVmSelectorForms_AreOneExportLine(string argument, string key, string selector) =>
        Assert.Equal((key, selector), VmBackupConfig.FromSelector(argument).Selectors.Select(s => (s.Key, s.Selector)).Single());

    [Fact]
    public void AnotherKeyOnTheCommandLine_IsRefused() =>
        Assert.StartsWith("\"exclude=x\" is neither a config file that exists nor a vm-selector",
            Assert.Throws<FormatException>(() => VmBackupConfig.FromSelector("exclude=x")).Message);
}
