// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Cli.Commands;
using BackupPlugins.Protocol.V1;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console;
using Spectre.Console.Testing;

namespace BackupPlugins.Cli.Tests;

/// <summary>The bars on a terminal: drawn while a transfer runs, the job's lines above them, out of the way of a question.</summary>
public sealed class ProgressViewTests
{
    private const long MiB = 1 << 20;

    private static TransferProgress Report(long bytes, bool done = false) =>
        new() { Id = 1, Name = "tank/a@s -> usb/a", Bytes = bytes, TotalBytes = 10 * MiB, Done = done };

    [Fact]
    public async Task Bars_ShowTheTransfer_LinesGoAbove_AQuestionIsPlain_ThenDone()
    {
        var console = new TestConsole().Interactive().SupportsAnsi(true).Width(120);
        var clock = new FakeTimeProvider();
        await using (var view = new ProgressView(console, clock: clock))
        {
            await view.LineAsync("sending tank/a@s");
            await view.ProgressAsync(Report(0));
            await view.ProgressAsync(Report(5 * MiB));
            await Task.Delay(500); // the display draws ten times a second
            await view.LineAsync("a line while it runs");
            await view.PauseAsync();
            console.Write(new Text("a question? [y/N] \n")); // what JobCall writes, with nothing drawn
            await view.ResumeAsync();
            await view.ProgressAsync(Report(8 * MiB));
            await Task.Delay(500);
            clock.Advance(TimeSpan.FromSeconds(2));
            await view.ProgressAsync(Report(10 * MiB, done: true));
            await view.LineAsync("sent");
        }
        var text = console.Output;
        var order = new[]
        {
            "sending tank/a@s", "5.0 MiB of 10.0 MiB", "a line while it runs", "a question? [y/N]", "8.0 MiB of 10.0 MiB",
            "done: tank/a@s -> usb/a: 10.0 MiB in 2 s, 5.0 MiB/s", "sent",
        }.Select(s => text.IndexOf(s, StringComparison.Ordinal)).ToArray();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
        Assert.Contains("50%", text);
    }

    [Fact]
    public async Task ATransferOfUnknownSize_ShowsItsBytes_WithoutPercentNorTotal()
    {
        var console = new TestConsole().Interactive().SupportsAnsi(true).Width(120);
        await using (var view = new ProgressView(console))
        {
            await view.ProgressAsync(new TransferProgress { Id = 1, Name = "xen1 -> /backup/xen1.xva", Bytes = 0 });
            await view.ProgressAsync(new TransferProgress { Id = 1, Name = "xen1 -> /backup/xen1.xva", Bytes = 5 * MiB });
            await Task.Delay(500);
        }
        var text = console.Output;
        Assert.Contains("xen1 -> /backup/xen1.xva", text);
        Assert.Contains("5.0 MiB", text);
        Assert.DoesNotContain(" of ", text);
        Assert.DoesNotContain("%", text);
    }

    [Fact]
    public async Task WithoutATransfer_LinesArePlain()
    {
        var console = new TestConsole().Interactive().SupportsAnsi(true);
        await using (var view = new ProgressView(console))
        {
            await view.LineAsync("exported usb");
        }
        Assert.Equal("exported usb\n", console.Output.Replace("\r\n", "\n"));
    }

    [Theory]
    [InlineData("tank/a@s -> usb/a", 20, "tank/a@s -> usb/a")]
    [InlineData("bph06419/data@2026-12-07_06:20:18 -> bpu06419/data", 20, "bph06419/…06419/data")]
    public void LongNames_LoseTheirMiddle(string name, int room, string expected) => Assert.Equal(expected, ProgressView.Shorten(name, room));
}
