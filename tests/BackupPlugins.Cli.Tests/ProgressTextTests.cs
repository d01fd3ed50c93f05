// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Jobs;
using BackupPlugins.Cli.Commands;

namespace BackupPlugins.Cli.Tests;

public sealed class ProgressTextTests
{
    private const long MiB = 1 << 20;
    private const long GiB = 1 << 30;
    private const string Name = "tank/data@bp-2 -> usb/data";

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1024, "1.0 KiB")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(MiB - 1, "1.0 MiB")] // 1023.999 KiB would round to "1024.0 KiB"
    [InlineData(1_288_490_189, "1.2 GiB")]
    [InlineData(4 * GiB, "4.0 GiB")]
    [InlineData(3L << 40, "3.0 TiB")]
    public void Sizes_AreBinary_WithOneDecimal(long bytes, string expected) => Assert.Equal(expected, ProgressText.Size(bytes));

    [Theory]
    [InlineData(0, "0 s")]
    [InlineData(34, "34 s")]
    [InlineData(59.4, "59 s")]
    [InlineData(725, "12 min 5 s")]
    [InlineData(11_520, "3 h 12 min")]
    public void Durations_AreRoundedToSeconds(double seconds, string expected) =>
        Assert.Equal(expected, ProgressText.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Progress_WithAKnownTotal_ShowsSizesPercentRateAndTimeLeft() =>
        Assert.Equal("progress: tank/data@bp-2 -> usb/data: 1.2 GiB of 4.0 GiB (30%), 85.0 MiB/s, 34 s left",
            ProgressText.Progress(Name, 1_288_490_189, 4 * GiB, estimated: false, rate: 85 * MiB));

    [Fact]
    public void Progress_WithAnEstimatedTotal_MarksIt() =>
        Assert.Equal("progress: tank/data@bp-2 -> usb/data: 1.2 GiB of ~4.0 GiB (30%), 85.0 MiB/s, 34 s left",
            ProgressText.Progress(Name, 1_288_490_189, 4 * GiB, estimated: true, rate: 85 * MiB));

    [Fact]
    public void Progress_WithoutATotal_ShowsBytesAndRate() =>
        Assert.Equal("progress: xen1 -> /backup/xen1.xva: 1.2 GiB, 85.0 MiB/s",
            ProgressText.Progress("xen1 -> /backup/xen1.xva", 1_288_490_189, 0, estimated: false, rate: 85 * MiB));

    [Fact]
    public void Progress_PastItsEstimate_HasNoPercentNorTimeLeft() =>
        Assert.Equal("progress: tank/data@bp-2 -> usb/data: 5.0 GiB of ~4.0 GiB, 85.0 MiB/s",
            ProgressText.Progress(Name, 5 * GiB, 4 * GiB, estimated: true, rate: 85 * MiB));

    [Fact]
    public void Progress_ThatStalled_HasNoTimeLeft() =>
        Assert.Equal("progress: tank/data@bp-2 -> usb/data: 1.2 GiB of 4.0 GiB (30%), 0 B/s",
            ProgressText.Progress(Name, 1_288_490_189, 4 * GiB, estimated: false, rate: 0));

    [Fact]
    public void Progress_NeverSays100PercentBeforeTheEnd() =>
        Assert.Equal("progress: tank/data@bp-2 -> usb/data: 4.0 GiB of 4.0 GiB (99%), 1.0 MiB/s, 0 s left",
            ProgressText.Progress(Name, 4 * GiB - 1, 4 * GiB, estimated: false, rate: MiB));

    [Fact]
    public void Done_ShowsSizeTimeAndAverageRate() =>
        Assert.Equal("done: tank/data@bp-2 -> usb/data: 4.0 GiB in 48 s, 85.3 MiB/s",
            ProgressText.Done(Name, 4 * GiB, TimeSpan.FromSeconds(48)));
}
