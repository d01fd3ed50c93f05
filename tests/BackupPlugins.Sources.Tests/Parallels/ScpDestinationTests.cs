// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Parallels;

namespace BackupPlugins.Sources.Tests.Parallels;

/// <summary><c>[scp] destinations</c> lines split as scp splits them.</summary>
public sealed class ScpDestinationTests
{
    [Theory]
    [InlineData("backup@nas1:/volume1/VMs", "backup@nas1", "/volume1/VMs", "/volume1/VMs/x")]
    [InlineData("backup@nas2:/srv/vm backups/", "backup@nas2", "/srv/vm backups/", "/srv/vm backups/x")]
    [InlineData("backup@nas1:a:b", "backup@nas1", "a:b", "a:b/x")]
    [InlineData("backup@nas1:", "backup@nas1", "", "x")]
    [InlineData("backup@nas1:~", "backup@nas1", "", "x")]
    [InlineData("backup@nas1:~/VMs", "backup@nas1", "VMs", "VMs/x")]
    [InlineData("backup@[fd00::1]:/VMs", "backup@[fd00::1]", "/VMs", "/VMs/x")]
    public void Parse_SplitsAtTheFirstColonOutsideBrackets(string text, string login, string directory, string pathOfX)
    {
        var destination = ScpDestination.Parse(text);
        Assert.Equal((login, directory, pathOfX), (destination.Login, destination.Directory, destination.PathOf("x")));
    }

    [Fact]
    public void SshLogin_HasNoBrackets() => Assert.Equal("backup@fd00::1", ScpDestination.Parse("backup@[fd00::1]:/VMs").SshLogin);

    [Theory]
    [InlineData("nas-without-dir", "\"nas-without-dir\" is not user@host:directory")]
    [InlineData(":/dir", "\":/dir\" is not user@host:directory")]
    [InlineData("-oProxyCommand=x@h:/d", "\"-oProxyCommand=x@h:/d\" starts with '-', which scp and ssh would take for an option")]
    public void Parse_RefusesWhatIsNotADestination(string text, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => ScpDestination.Parse(text)).Message);
}
