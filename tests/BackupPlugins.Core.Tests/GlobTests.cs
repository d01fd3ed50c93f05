// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Core.Tests;

public class GlobTests
{
    [Theory]
    [InlineData("*.tmp", "a.tmp", true)]
    [InlineData("*.tmp", "dir/a.tmp", false)]
    [InlineData("**/a.tmp", "x/y/a.tmp", true)]
    [InlineData("**/a.tmp", "a.tmp", true)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file/.txt", false)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[!a-c]x", "bx", false)]
    [InlineData(@"\*", "*", true)]
    [InlineData(@"\*", "a", false)]
    public void IsMatch_FollowsShellRules(string pattern, string text, bool expected) =>
        Assert.Equal(expected, new Glob(pattern).IsMatch(Encoding.UTF8.GetBytes(text)));

    [Theory]
    [InlineData("cache", true)]
    [InlineData("keep/cache", false)]
    [InlineData("a.tmp", true)]
    [InlineData("deep/er/b.tmp", true)]
    [InlineData("src/build/x.o", true)]
    [InlineData("build/x.o", true)]
    [InlineData("keep/c.txt", false)]
    public void PathFilter_AnchoredAndAnyDepthPatterns(string relative, bool excluded)
    {
        var filter = new PathFilter(["/cache", "*.tmp", "build/*.o"]);
        Assert.Equal(excluded, filter.IsExcluded(Encoding.UTF8.GetBytes(relative)));
    }
}
