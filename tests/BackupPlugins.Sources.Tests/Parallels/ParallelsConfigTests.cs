// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Parallels;

namespace BackupPlugins.Sources.Tests.Parallels;

/// <summary>The seed's backupParallels.ini, read unchanged, with the seed's defaults and its bugs fixed.</summary>
public sealed class ParallelsConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-prlini-").FullName;

    /// <summary>The example ini of the seed's repository, as operators copied it.</summary>
    private const string SeedExample = """
        [main]
        StatusDirectory = ~/Parallels/.ParallelsStatus
        prlctl = /usr/local/bin/prlctl
        backupRotations = 3
        BeforeBackup =
          +Starting the backup
          -curl -s https://hooks.example/start?token=s3cr3t
        AfterBackup =
          echo done

        [scp]
        destinations = backup@nas1:/volume1/VMs
          backup@nas2:/srv/vm backups
        timeout = 7200

        [compression]
        program = /usr/bin/xz
        compressedExtension = xz
        arguments = -4 -T0 -f
        timeout = 3600

        [Windows 10]
        BeforeSuspend = echo suspending
        AfterResume = echo 100%% back
        """;

    [Fact]
    public void TheSeedsExample_ReadsWithItsValues_AndTildeMeansHome()
    {
        var config = ParallelsConfig.Load(Write(SeedExample), "/home/op");
        Assert.Equal("/home/op/Parallels/.ParallelsStatus", config.StatusDirectory);
        Assert.Equal("/usr/local/bin/prlctl", config.Prlctl);
        Assert.Equal("/usr/bin/tar", config.Tar);
        Assert.Equal(3, config.BackupRotations);
        Assert.Equal("/var/tmp", config.TempDirectory);
        Assert.Equal([new HookLine("Starting the backup", true, false), new HookLine("curl -s https://hooks.example/start?token=s3cr3t", false, true)],
            config.BeforeBackup);
        Assert.Equal(["backup@nas1:/volume1/VMs", "backup@nas2:/srv/vm backups"], config.Destinations);
        Assert.Equal(CopyPolicy.All, config.Require);
        Assert.Equal(("/usr/bin/xz", "xz", TimeSpan.FromHours(1)), (config.Compression.Program, config.Compression.Extension, config.Compression.Timeout));
        Assert.Equal(["-4", "-T0", "-f"], config.Compression.Arguments);
        Assert.Equal([new HookLine("echo 100% back", true, true)], config.VmHooks["Windows 10"].AfterResume);
        Assert.Null(config.SshConfig);
    }

    [Fact]
    public void Defaults_AreTheSeeds()
    {
        var config = ParallelsConfig.Load(Write("[main]\nStatusDirectory = /s\n[scp]\n[compression]\n"), "/root");
        Assert.Equal(("/usr/bin/gzip", "gz", 3), (config.Compression.Program, config.Compression.Extension, config.BackupRotations));
        Assert.Equal(["-f"], config.Compression.Arguments);
        Assert.Equal(TimeSpan.FromSeconds(7200), config.CopyTimeout);
        Assert.Empty(config.Destinations);
        Assert.Null(config.SshConfig);
    }

    [Fact]
    public void SshConfig_IsRead_WithTildeMeaningHome()
    {
        Directory.CreateDirectory(Path.Combine(_dir, ".ssh"));
        File.WriteAllText(Path.Combine(_dir, ".ssh", "backup_config"), "Host nas1\n  Port 2222\n");
        var config = ParallelsConfig.Load(Write("[main]\nStatusDirectory = /s\n[scp]\nssh_config = ~/.ssh/backup_config\n[compression]\n"), _dir);
        Assert.Equal(Path.Combine(_dir, ".ssh", "backup_config"), config.SshConfig);
    }

    [Fact]
    public void SshConfig_ThatDoesNotExist_IsAProblem()
    {
        var path = Write("[main]\nStatusDirectory = /s\n[scp]\nssh_config = /nonexistent/ssh_config\n[compression]\n");
        var error = Assert.Throws<FormatException>(() => ParallelsConfig.Load(path, "/root"));
        Assert.Equal($"{path}: [scp] ssh_config: \"/nonexistent/ssh_config\" does not exist (leave the key out to use ~/.ssh/config)",
            error.Message);
    }

    [Fact]
    public void Problems_AreAllReportedAtOnce_NamingSectionAndKey()
    {
        var path = Write("[main]\nbackupRotations = zero\n[scp]\ndestinations = nas-without-dir\nrequire = most\n");
        var error = Assert.Throws<FormatException>(() => ParallelsConfig.Load(path, "/root"));
        Assert.Equal($"{path}: section [compression] is missing; [main] StatusDirectory is missing: the directory of the <vm>.last files; " +
            "[scp] destinations: \"nas-without-dir\" is not user@host:directory; [scp] require must be all or any, got \"most\"; " +
            "[main] backupRotations must be a whole number of at least 1, got \"zero\"", error.Message);
    }

    private string Write(string text)
    {
        var path = Path.Combine(_dir, "backupParallels.ini");
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
