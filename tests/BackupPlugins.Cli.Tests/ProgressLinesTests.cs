// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Cli.Commands;
using BackupPlugins.Protocol.V1;
using Microsoft.Extensions.Time.Testing;

namespace BackupPlugins.Cli.Tests;

/// <summary>Progress as plain lines (not on a terminal): at most one line per transfer and interval, and the done line.</summary>
public sealed class ProgressLinesTests
{
    private const long MiB = 1 << 20;
    private const long GiB = 1 << 30;
    private readonly FakeTimeProvider _clock = new();
    private readonly StringWriter _output = new();

    private static TransferProgress Report(long bytes, long total = 4 * GiB, int id = 1, bool done = false, bool failed = false) =>
        new() { Id = id, Name = $"tank/data{id}@bp-2 -> usb/data{id}", Bytes = bytes, TotalBytes = total, Done = done, Failed = failed };

    private string[] Lines => _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task ALongTransfer_GetsALinePerInterval_AndItsDoneLine_AmongTheJobsLines()
    {
        var lines = new ProgressLines(_output, TimeSpan.FromSeconds(30), _clock);
        await lines.LineAsync("tank/data1 -> usb/data1: sending tank/data1@bp-2, full, 4294967296 bytes");
        await lines.ProgressAsync(Report(0));
        for (var second = 1; second <= 30; second++) // the host reports twice a second; one line per interval
        {
            _clock.Advance(TimeSpan.FromSeconds(0.5));
            await lines.ProgressAsync(Report((long)((second - 0.5) * 85 * MiB)));
            _clock.Advance(TimeSpan.FromSeconds(0.5));
            await lines.ProgressAsync(Report(second * 85 * MiB));
        }
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        await lines.ProgressAsync(Report(2600 * MiB));
        _clock.Advance(TimeSpan.FromSeconds(17.5));
        await lines.ProgressAsync(Report(4 * GiB, done: true));
        await lines.LineAsync("sent tank/data1@bp-2 to usb/data1: 4294967296 bytes in 48.0 s (89.5 MB/s)");
        Assert.Equal([
            "tank/data1 -> usb/data1: sending tank/data1@bp-2, full, 4294967296 bytes",
            "progress: tank/data1@bp-2 -> usb/data1: 2.5 GiB of 4.0 GiB (62%), 85.0 MiB/s, 18 s left",
            "done: tank/data1@bp-2 -> usb/data1: 4.0 GiB in 48 s, 85.3 MiB/s",
            "sent tank/data1@bp-2 to usb/data1: 4294967296 bytes in 48.0 s (89.5 MB/s)",
        ], Lines);
    }

    [Fact]
    public async Task TheRate_IsThatSinceTheLastLine()
    {
        var lines = new ProgressLines(_output, TimeSpan.FromSeconds(10), _clock);
        await lines.ProgressAsync(Report(0, total: 0));
        _clock.Advance(TimeSpan.FromSeconds(10));
        await lines.ProgressAsync(Report(1000 * MiB, total: 0));
        _clock.Advance(TimeSpan.FromSeconds(10));
        await lines.ProgressAsync(Report(1100 * MiB, total: 0));
        Assert.Equal([
            "progress: tank/data1@bp-2 -> usb/data1: 1000.0 MiB, 100.0 MiB/s",
            "progress: tank/data1@bp-2 -> usb/data1: 1.1 GiB, 10.0 MiB/s",
        ], Lines);
    }

    [Fact]
    public async Task AShortTransfer_PrintsNothing()
    {
        var lines = new ProgressLines(_output, TimeSpan.FromSeconds(30), _clock);
        await lines.ProgressAsync(Report(0));
        _clock.Advance(TimeSpan.FromSeconds(29));
        await lines.ProgressAsync(Report(GiB));
        await lines.ProgressAsync(Report(GiB, done: true));
        Assert.Equal("", _output.ToString());
    }

    [Fact]
    public async Task AFailedTransfer_GetsNoDoneLine()
    {
        var lines = new ProgressLines(_output, TimeSpan.FromSeconds(1), _clock);
        await lines.ProgressAsync(Report(0));
        _clock.Advance(TimeSpan.FromSeconds(2));
        await lines.ProgressAsync(Report(GiB, done: true, failed: true));
        Assert.Equal("", _output.ToString());
    }

    [Fact]
    public async Task TwoTransfers_AreThrottledEachOnItsOwn()
    {
        var lines = new ProgressLines(_output, TimeSpan.FromSeconds(1), _clock);
        await lines.ProgressAsync(Report(0, id: 1));
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        await lines.ProgressAsync(Report(0, id: 2));
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        await lines.ProgressAsync(Report(MiB, id: 1));
        await lines.ProgressAsync(Report(MiB, id: 2)); // only half a second since it started
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        await lines.ProgressAsync(Report(2 * MiB, id: 2));
        Assert.Equal([
            "progress: tank/data1@bp-2 -> usb/data1: 1.0 MiB of 4.0 GiB (0%), 1.0 MiB/s, 1 h 8 min left",
            "progress: tank/data2@bp-2 -> usb/data2: 2.0 MiB of 4.0 GiB (0%), 2.0 MiB/s, 34 min 7 s left",
        ], Lines);
    }

    [Fact]
    public async Task AZeroInterval_PrintsNoProgress_ButTheLines()
    {
        var lines = new ProgressLines(_output, TimeSpan.Zero, _clock);
        await lines.ProgressAsync(Report(0));
        _clock.Advance(TimeSpan.FromMinutes(5));
        await lines.ProgressAsync(Report(GiB));
        await lines.ProgressAsync(Report(4 * GiB, done: true));
        await lines.LineAsync("exported usb");
        Assert.Equal(["exported usb"], Lines);
    }
}
