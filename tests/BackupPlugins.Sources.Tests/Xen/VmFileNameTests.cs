// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Xen;
using Xunit;

namespace BackupPlugins.Sources.Tests.Xen;

public sealed class VmFileNameTests
{
    [Theory]
    [InlineData("web", "web")]
    [InlineData("Web, \"Büro\" $HOME '1' 日本", "Web, \"Büro\" $HOME '1' 日本")] // kept as the seed kept it
    [InlineData("a/b", "a%2Fb")]
    [InlineData("../../etc", "..%2F..%2Fetc")]
    [InlineData("..", "%2E%2E")]
    [InlineData(".", "%2E")]
    [InlineData("", "%00")]
    [InlineData("100%", "100%25")]
    [InlineData("a%2Fb", "a%252Fb")]
    [InlineData("nul\0", "nul%00")]
    public void AName_IsOneFileNameComponent_AndReadsBack(string name, string fileName)
    {
        Assert.Equal(fileName, VmFileName.Of(name));
        Assert.DoesNotContain('/', VmFileName.Of(name));
        Assert.Equal(name, VmFileName.Decode(fileName));
    }
}
