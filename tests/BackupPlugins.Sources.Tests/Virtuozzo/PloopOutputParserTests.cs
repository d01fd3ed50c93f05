// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Virtuozzo;

namespace BackupPlugins.Sources.Tests.Virtuozzo;

/// <summary>snapshot-list in the format of OpenVZ/ploop tools/ploop-snapshot.c (fixtures written from that format).</summary>
public class PloopOutputParserTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "ploop", name));

    [Fact]
    public void ParseSnapshotList_OneImage_IsTheCurrentBase()
    {
        var rows = PloopOutputParser.ParseSnapshotList(Fixture("snapshot-list-one-image.txt"));

        var row = Assert.Single(rows);
        Assert.Equal(new PloopSnapshot(PloopOutputParser.NoneUuid, "5fbaabe3-6958-40ff-92a7-860e329aab41", true,
            "/vz/private/2d109ae4-5231-475f-bc44-5cabf5d8503b/root.hdd/root.hds"), row);
        Assert.True(row.IsBase);
    }

    [Fact]
    public void ParseSnapshotList_AfterASnapshot_TheSnapshotIsInactiveAndTheNewDeltaCurrent()
    {
        var rows = PloopOutputParser.ParseSnapshotList(Fixture("snapshot-list-after-snapshot.txt"));

        Assert.Equal(2, rows.Count);
        Assert.Equal(("0bac0bac-1e11-4d52-ac04-8031319afd5b", false, true), (rows[0].Uuid, rows[0].Current, rows[0].IsBase));
        Assert.Equal(("0bac0bac-1e11-4d52-ac04-8031319afd5b", true), (rows[1].Parent, rows[1].Current));
        Assert.EndsWith("/root.hds.{a59b80d9-0113-4b86-a7e8-d9fad815d8e8}", rows[1].File);
    }

    [Fact]
    public void ParseSnapshotList_PathWithSpacesAndUpperCaseUuid_ParsesByColumn()
    {
        var row = Assert.Single(PloopOutputParser.ParseSnapshotList(Fixture("snapshot-list-path-with-spaces.txt")));

        Assert.Equal("/srv/vz storage/private/ct one/root.hdd/root.hds", row.File);
        Assert.Equal("5fbaabe3-6958-40ff-92a7-860e329aab41", row.Uuid);
    }

    [Fact]
    public void ParseSnapshotList_UnexpectedLine_SaysWhichLine()
    {
        var ex = Assert.Throws<FormatException>(() => PloopOutputParser.ParseSnapshotList("PARENT_UUID C UUID FNAME\ngarbage here\n"));

        Assert.Equal("unexpected line in ploop snapshot-list output: \"garbage here\"", ex.Message);
    }
}
