// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Prlctl;

namespace BackupPlugins.Sources.Tests.Prlctl;

public class PrlctlOutputParserTests
{
    [Fact]
    public void ParseList_NamesWithSpacesAndLongNames_AreWhole()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "prlctl", "list-name-uuid-status.txt"));

        Assert.Equal(
        [
            new PrlctlContainer("testcustomer.testproject.q3arena", "2d109ae4-5231-475f-bc44-5cabf5d8503b", "running"),
            new PrlctlContainer("web server 2", "6f1c8e02-7a43-4b8e-9d21-0c5e4f3a2b10", "stopped"),
            new PrlctlContainer("a-name-longer-than-the-thirty-two-columns", "11111111-2222-4333-8444-555555555555", "suspended"),
        ], PrlctlOutputParser.ParseList(text));
    }

    [Fact]
    public void ParseList_HeaderOnly_IsEmpty() =>
        Assert.Empty(PrlctlOutputParser.ParseList("NAME                             UUID                                   STATUS\n"));

    [Theory]
    [InlineData("", "no header line NAME UUID STATUS")]
    [InlineData("Unable to connect to Virtuozzo: Connection refused\n", "no header line NAME UUID STATUS")]
    [InlineData("NAME UUID STATUS\nweb {2d109ae4-5231-475f-bc44} running\n", "unexpected line in prlctl list output: \"web {2d109ae4-5231-475f-bc44} running\"")]
    public void ParseList_OutputItDoesNotKnow_IsAnError_NotAnEmptyList(string output, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => PrlctlOutputParser.ParseList(output)).Message);
}
