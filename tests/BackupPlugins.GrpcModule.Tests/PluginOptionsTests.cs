// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.GrpcModule.Tests;

public sealed class PluginOptionsTests
{
    [Fact]
    public void Pairs_AreSplitOnColons_WithEscapedColonsInValues_KeysWithoutCase_FirstValueWins()
    {
        var values = PluginOptions.Parse(@"source=dir:PATH=/srv/a\:b:path=/other:flag:empty=:=x: Socket =/run/x.sock");
        Assert.Equal(new Dictionary<string, string> { ["source"] = "dir", ["path"] = "/srv/a:b", ["socket"] = "/run/x.sock" }, values);
    }

    [Fact]
    public void ALaterString_AddsOnlyWhatIsNotThereYet()
    {
        var values = PluginOptions.Parse("source=dir:path=/srv");
        PluginOptions.Parse("path=/elsewhere:timeout=20", values);
        Assert.Equal("/srv", values["path"]);
        Assert.Equal(TimeSpan.FromSeconds(20), PluginOptions.Timeout(values));
    }

    [Theory]
    [InlineData(null, 300.0)]
    [InlineData("0.2", 1.0)]
    [InlineData("soon", 300.0)]
    [InlineData("NaN", 300.0)]
    [InlineData("42.5", 42.5)]
    public void Timeout_IsAtLeastASecond_AndTheDefaultWhenNotANumber(string? text, double seconds)
    {
        var values = text is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["timeout"] = text };
        Assert.Equal(TimeSpan.FromSeconds(seconds), PluginOptions.Timeout(values));
    }

    [Fact]
    public void Socket_DefaultsToTheHostsSocket()
    {
        Assert.Equal("/run/backup-plugins/host.sock", PluginOptions.Socket(new Dictionary<string, string>()));
    }
}
