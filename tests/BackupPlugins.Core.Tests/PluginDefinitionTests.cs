// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Options;

namespace BackupPlugins.Core.Tests;

public class PluginDefinitionTests
{
    [Fact]
    public void Merge_SameKeyTwice_FirstValueWins()
    {
        var d = PluginDefinition.Parse("source=dir:path=/a:");
        d.Merge("path=/b:exclude=*.tmp:");
        Assert.Equal("/a", d["path"]);
        Assert.Equal("*.tmp", d["exclude"]);
        Assert.Equal(["source", "path", "exclude"], d.Keys);
    }

    [Fact]
    public void Parse_EscapedColon_StaysInTheValue()
    {
        var d = PluginDefinition.Parse(@"path=/srv/a\:b:source=dir:");
        Assert.Equal("/srv/a:b", d["path"]);
    }

    [Fact]
    public void Parse_TokenWithoutValue_IsAnErrorNamingIt()
    {
        var ex = Assert.Throws<BackupPluginException>(() => PluginDefinition.Parse("source=dir:path"));
        Assert.Equal(ErrorKind.BadInput, ex.Kind);
        Assert.Equal("plugin option \"path\" has no value: write key=value, separated by ':' (a ':' inside a value is written '\\:')", ex.Message);
    }

    [Fact]
    public void Parse_EmptyValue_IsIgnoredWithAWarning()
    {
        var d = PluginDefinition.Parse("source=dir:exclude=:");
        Assert.False(d.Contains("exclude"));
        Assert.Equal(["plugin option \"exclude\" has an empty value and is ignored"], d.Warnings);
    }

    [Fact]
    public void StripCommand_RemovesPluginNameAndModuleOptions()
    {
        var stripped = PluginDefinition.StripCommand(@"python3:module_path=/x:module_name=bareos-fd-backupplugins:source=dir:path=/a\:b");
        Assert.Equal(@"source=dir:path=/a\:b", stripped);
    }

    [Fact]
    public void OptionReader_ManyProblems_ReportedTogether()
    {
        var d = PluginDefinition.Parse("source=dir:path=rel:lock_timeout=x:colour=red");
        var reader = new OptionReader(d, "dir", [new("path", "p", Required: true), new("lock_timeout", "t", Default: "60")]);
        reader.AbsolutePath("path");
        reader.Int("lock_timeout", 0, 10);
        var ex = Assert.Throws<BackupPluginException>(reader.ThrowIfInvalid);
        Assert.Equal("option \"path\" must be an absolute path, got \"rel\"; " +
                     "option \"lock_timeout\" must be a whole number from 0 to 10, got \"x\"; " +
                     "unknown option \"colour\" for source=dir (known: path, lock_timeout, source, socket, timeout)", ex.Message);
    }
}
