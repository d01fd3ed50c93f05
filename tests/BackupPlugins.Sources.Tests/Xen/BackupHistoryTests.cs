// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Xen.Backup;

namespace BackupPlugins.Sources.Tests.Xen;

public sealed class BackupHistoryTests
{
    [Fact]
    public void DirectoryNames_AreTheSeeds() =>
        Assert.Equal(["backup-2017-04-27-(10:33:49)", "backup-2017-04-27-(10:33:49)-metadata"],
            [BackupHistory.DirectoryName(new DateTime(2017, 4, 27, 10, 33, 49), false), BackupHistory.DirectoryName(new DateTime(2017, 4, 27, 10, 33, 49), true)]);

    [Fact]
    public void Pruning_RemovesTheOldestBackups_NotTheCurrentOne_NorStrayFiles()
    {
        HistoryEntry[] entries =
        [
            new("backup-2024-01-03-(01:00:00)", true), new("backup-2024-01-01-(01:00:00)", true), new("notes.txt", false),
            new("backup-2024-01-02-(01:00:00)-metadata", true), new("backup-2024-01-04-(01:00:00)", false),
        ];

        Assert.Equal(["backup-2024-01-01-(01:00:00)", "backup-2024-01-02-(01:00:00)-metadata"],
            BackupHistory.ToPrune(entries, 2, "backup-2024-01-04-(01:00:00)"));
        Assert.Empty(BackupHistory.ToPrune(entries, 4, "backup-2024-01-04-(01:00:00)"));
    }

    [Fact]
    public void EveryFailedBackup_IsRemovedBeforeANewOne_NotOnlyTheNewest() =>
        Assert.Equal(["backup-2024-01-01-(01:00:00)", "backup-2024-01-03-(01:00:00)"], BackupHistory.FailedToRemove(
        [
            new("backup-2024-01-03-(01:00:00)", false), new("backup-2024-01-02-(01:00:00)", true), new("backup-2024-01-01-(01:00:00)", false),
            new("lost+found", false),
        ]));

    [Theory]
    [InlineData(61L << 30, "success_compress")]
    [InlineData((61L << 30) - 1, "success")] // 60 whole GiB: not above 60
    [InlineData(1L << 20, "success")]
    public void TheMarker_FollowsTheSeeds60GiBRule(long bytes, string marker) => Assert.Equal(marker, BackupHistory.Marker(bytes));
}
