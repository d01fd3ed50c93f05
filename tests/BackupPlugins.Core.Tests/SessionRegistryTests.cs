// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupPlugins.Core.Tests;

public class SessionRegistryTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static JobFacts Job(uint id) => new(id, "job", JobLevel.Full, 'B', 0, false, "", "", "fd");

    private readonly ManualClock _clock = new();

    private SessionRegistry Registry() =>
        new(new SourceCatalog([]), new NoTools(), NullLoggerFactory.Instance, _clock) { IdleTimeout = TimeSpan.FromHours(1) };

    [Fact]
    public async Task ExpireIdle_SessionPastTheTimeout_IsCleanedUpAndForgotten()
    {
        var registry = Registry();
        var idle = registry.Open("c1", Job(1));
        var busy = registry.Open("c2", Job(2));
        var undone = false;
        idle.Ledger.Add("lock /run/x", _ => { undone = true; return Task.CompletedTask; });

        _clock.Now += TimeSpan.FromMinutes(50);
        registry.Get(busy.Id);
        _clock.Now += TimeSpan.FromMinutes(20);
        await registry.ExpireIdleAsync();

        Assert.True(undone);
        Assert.Equal(SessionPhase.Failed, idle.Phase);
        Assert.Equal([busy.Id], registry.All.Select(s => s.Id));
        var ex = Assert.Throws<BackupPluginException>(() => registry.Get(idle.Id));
        Assert.Equal(ErrorKind.NotFound, ex.Kind);
    }

    [Fact]
    public async Task ConnectionClosed_CleansUpOnlyThatConnectionsSessions()
    {
        var registry = Registry();
        var a = registry.Open("c1", Job(1));
        var b = registry.Open("c2", Job(2));
        var undone = new List<string>();
        a.Ledger.Add("a", _ => { undone.Add("a"); return Task.CompletedTask; });
        b.Ledger.Add("b", _ => { undone.Add("b"); return Task.CompletedTask; });

        await registry.ConnectionClosedAsync("c1");

        Assert.Equal(["a"], undone);
        Assert.Equal([b.Id], registry.All.Select(s => s.Id));
    }

    [Fact]
    public async Task End_ThenCancel_UndoesOnce()
    {
        var registry = Registry();
        var s = registry.Open("c1", Job(1));
        var count = 0;
        s.Ledger.Add("x", _ => { count++; return Task.CompletedTask; });
        await registry.EndAsync(s, "EndBackupJob");
        await s.CancelAsync("late cancel");
        Assert.Equal(1, count);
        Assert.Equal(SessionPhase.Ended, s.Phase);
    }

    [Fact]
    public void MergeOptions_WarnsAboutAnEmptyValueOnce()
    {
        var s = Registry().Open("c1", Job(1));
        s.MergeOptions("source=dir:exclude=:");
        s.MergeOptions("path=/srv:");
        s.MergeOptions("lockfile=/run/x:");
        Assert.Equal([new JobMessage(JobSeverity.Warning, "plugin option \"exclude\" has an empty value and is ignored")],
            s.Messages.Drain());
    }

    [Fact]
    public async Task StartBackup_UnknownSource_FailsNamingKnownSources()
    {
        var registry = Registry();
        var s = registry.Open("c1", Job(1));
        s.MergeOptions("source=tape:");
        var ex = await Assert.ThrowsAsync<BackupPluginException>(() => s.StartBackupAsync(CancellationToken.None));
        Assert.Equal("unknown source \"tape\" (known: )", ex.Message);
        Assert.Equal(SessionPhase.Failed, s.Phase);
    }
}
