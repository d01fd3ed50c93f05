// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Parallels;

namespace BackupPlugins.Sources.Tests.Parallels;

/// <summary>The seed's skip-by-uptime rule and rotation slots, the off-by-one fixed.</summary>
public sealed class UptimeRuleTests
{
    [Theory]
    [InlineData("12 days 01:02:03 (since 2026-11-24 10:00:00)", 12 * 86400 + 3723)]
    [InlineData("1 days 00:00:01 (since 2026-12-05 10:00:00)", 86401)]
    [InlineData("00:00:00 (since 2026-12-06 10:00:00)", 0)]
    [InlineData("00:10:05", 605)]
    public void PrlctlUptimeTexts_AreSeconds(string text, long seconds) => Assert.Equal(seconds, UptimeRule.ParseSeconds(text));

    [Fact]
    public void AnUnreadableUptime_IsNull_NotACrash() => Assert.Null(UptimeRule.ParseSeconds("unknown"));

    [Fact]
    public void NoStatusFile_ForcesABackupIntoSlotOne() =>
        Assert.Equal(new BackupDecision(true, 1, 500, "no status file: backing up"), UptimeRule.Decide(500, null, 3));

    [Fact]
    public void UptimeThatDidNotGrow_SkipsTheVm() =>
        Assert.False(UptimeRule.Decide(500, (2, 500), 3).Backup);

    [Fact]
    public void UptimeZero_CountsAsOne_SoAVmThatNeverRanIsBackedUpOnce()
    {
        Assert.Equal((true, 1L), (UptimeRule.Decide(0, null, 3).Backup, UptimeRule.Decide(0, null, 3).Uptime));
        Assert.False(UptimeRule.Decide(0, (1, 1), 3).Backup);
    }

    [Fact]
    public void UptimeThatWentBackwards_ForcesABackup() =>
        Assert.Equal((true, 3), (UptimeRule.Decide(100, (2, 9000), 3).Backup, UptimeRule.Decide(100, (2, 9000), 3).Number));

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 1)] // N = 3 keeps exactly three slots
    [InlineData(0, 1)] // a seed-written slot 0 continues at 1
    [InlineData(7, 1)] // rotations lowered since
    public void Slots_RunOneToRotations(int last, int next) => Assert.Equal(next, UptimeRule.Decide(900, (last, 100), 3).Number);
}
