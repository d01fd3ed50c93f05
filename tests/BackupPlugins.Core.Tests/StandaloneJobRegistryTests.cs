// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Jobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupPlugins.Core.Tests;

/// <summary>Standalone jobs in the host: what a job left recorded is undone however it ends, and the exit code says how.</summary>
public sealed class StandaloneJobRegistryTests
{
    private sealed class Console : IJobConsole
    {
        public StringWriter Text { get; } = new();
        public TextWriter Out => Text;
        public Task<bool> AskAsync(string question, CancellationToken cancellationToken) => Task.FromResult(false);
    }

    private readonly StandaloneJobRegistry _jobs = new(NullLoggerFactory.Instance, TimeProvider.System);

    [Fact]
    public async Task AStoppedJob_EndsWith130_AndWhatItLeftIsUndone_AndSaid()
    {
        var console = new Console();
        var undone = new List<string>();
        using var stop = new CancellationTokenSource();
        var code = await _jobs.RunAsync("zfs-sync", console, async (ledger, ct) =>
        {
            ledger.Add("export pool usb", _ => { undone.Add("usb"); return Task.CompletedTask; });
            Assert.Single(_jobs.All);
            await stop.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
            return 0;
        }, stop.Token);
        Assert.Equal(StandaloneJobRegistry.Stopped, code);
        Assert.Equal(["usb"], undone);
        Assert.Equal("stopped; undoing: export pool usb\n", console.Text.ToString().ReplaceLineEndings("\n"));
        Assert.Empty(_jobs.All);
    }

    [Fact]
    public async Task AJobThatEndsWell_ButCannotUndoWhatItLeft_EndsWith2_AndSaysWhy()
    {
        var console = new Console();
        var code = await _jobs.RunAsync("zfs-sync", console, (ledger, _) =>
        {
            ledger.Add("export pool usb", _ => throw new IOException("pool is busy"));
            return Task.FromResult(0);
        }, CancellationToken.None);
        Assert.Equal(2, code);
        Assert.Equal("error: cleanup failed: could not export pool usb: pool is busy\n", console.Text.ToString().ReplaceLineEndings("\n"));
    }
}
