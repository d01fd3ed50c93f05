// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Config;

namespace BackupPlugins.Core.Tests;

/// <summary>The seeds' ini files as Python's configparser.ConfigParser() reads them (values checked with Python 3.11).</summary>
public sealed class IniFileTests
{
    private const string Seedlike = """
        [main]
        StatusDirectory = /var/lib/status
        BeforeBackup =
            echo one

            -echo secret
            +just a note
          Indented = still a key?
        [scp]
        destinations = backup@host1:/srv/a
        	backup@host2:/srv/b
        # comment
        timeout: 60
        [VM with spaces]
        AfterResume = echo 100%%

        """;

    [Fact]
    public void MultiLineValues_KeepEmptyLinesBetweenContinuations_AndEndAtTheKeysIndentation()
    {
        var ini = IniFile.Parse(Seedlike, "seed.ini");
        Assert.Equal("\necho one\n\n-echo secret\n+just a note\nIndented = still a key?", ini.Get("main", "BeforeBackup"));
        Assert.Equal("backup@host1:/srv/a\nbackup@host2:/srv/b", ini.Get("scp", "destinations"));
        Assert.Equal("60", ini.Get("scp", "TIMEOUT"));
        Assert.Equal("echo 100%", ini.Get("VM with spaces", "afterresume"));
        Assert.Equal(["main", "scp", "VM with spaces"], ini.Sections);
    }

    [Fact]
    public void AnEmptyLineBeforeAKeyAtTheSameIndentation_EndsTheValue()
    {
        var ini = IniFile.Parse("[a]\nx = 1\n    2\n\ny = 3\n", "a.ini");
        Assert.Equal("1\n2", ini.Get("a", "x"));
        Assert.Equal("3", ini.Get("a", "y"));
    }

    [Fact]
    public void SectionNamesAreCaseSensitive_KeysAreNot()
    {
        var ini = IniFile.Parse("[Main]\nKey = v\n", "a.ini");
        Assert.True(ini.HasSection("Main"));
        Assert.False(ini.HasSection("main"));
        Assert.Equal("v", ini.Get("Main", "KEY"));
    }
}
