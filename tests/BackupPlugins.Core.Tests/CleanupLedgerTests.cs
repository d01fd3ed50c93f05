// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sessions;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupPlugins.Core.Tests;

public class CleanupLedgerTests
{
    [Fact]
    public async Task UndoAll_RunsNewestFirst_AndEveryUndoEvenAfterAFailure()
    {
        var ledger = new CleanupLedger(NullLogger.Instance);
        var done = new List<string>();
        ledger.Add("release lock", _ => { done.Add("lock"); return Task.CompletedTask; });
        ledger.Add("merge snapshot", _ => throw new IOException("device busy"));
        ledger.Add("unmount", _ => { done.Add("mount"); return Task.CompletedTask; });

        var failures = await ledger.UndoAllAsync(CancellationToken.None);

        Assert.Equal(["mount", "lock"], done);
        Assert.Equal(["cleanup failed: could not merge snapshot: device busy"], failures);
        Assert.Empty(ledger.Pending);
    }

    [Fact]
    public async Task UndoAll_Twice_UndoesNothingTheSecondTime()
    {
        var ledger = new CleanupLedger(NullLogger.Instance);
        var count = 0;
        ledger.Add("x", _ => { count++; return Task.CompletedTask; });
        await ledger.UndoAllAsync(CancellationToken.None);
        await ledger.UndoAllAsync(CancellationToken.None);
        Assert.Equal(1, count);
    }

    [Fact]
    public async Task EarlyUndo_RemovesTheEntry()
    {
        var ledger = new CleanupLedger(NullLogger.Instance);
        var count = 0;
        var handle = ledger.Add("x", _ => { count++; return Task.CompletedTask; });
        await handle.DisposeAsync();
        await ledger.UndoAllAsync(CancellationToken.None);
        Assert.Equal(1, count);
    }
}
