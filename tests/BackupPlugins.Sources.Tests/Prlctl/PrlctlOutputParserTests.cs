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

    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "prlctl", name));

    [Fact]
    public void ParseSnapshotCreated_GivesTheIdWithoutBraces() =>
        Assert.Equal("4a94c4f8-495c-4e80-a953-cd50fcc3fc53", PrlctlOutputParser.ParseSnapshotCreated(Fixture("snapshot-created.txt")));

    [Fact]
    public void ParseSnapshotCreated_WithoutTheLine_IsAnError() =>
        Assert.Equal("no \"The snapshot with id {…} has been successfully created.\" line",
            Assert.Throws<FormatException>(() => PrlctlOutputParser.ParseSnapshotCreated("Creating the snapshot...\n")).Message);

    [Fact]
    public void ParseSnapshotList_RootAndChild_TheCurrentOneMarked_GivesEveryId() =>
        Assert.Equal(["4a94c4f8-495c-4e80-a953-cd50fcc3fc53", "c521dc1e-2f4c-4a8b-a3d4-7d34489d5387"],
            PrlctlOutputParser.ParseSnapshotList(Fixture("snapshot-list-H-two.txt")));

    [Fact]
    public void ParseSnapshotList_AHeader_IsNotExpectedWithMinusH() =>
        Assert.Equal("unexpected line in prlctl snapshot-list output: \"PARENT_SNAPSHOT_ID                      SNAPSHOT_ID\"",
            Assert.Throws<FormatException>(() => PrlctlOutputParser.ParseSnapshotList("PARENT_SNAPSHOT_ID                      SNAPSHOT_ID\n")).Message);
}
