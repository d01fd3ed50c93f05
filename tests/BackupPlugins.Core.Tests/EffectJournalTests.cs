// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sessions;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupPlugins.Core.Tests;

public sealed class EffectJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-journal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AnEntryIsOnDiskFromOpenToClose_AndAnotherProcessSeesItWithItsFacts()
    {
        var journal = new EffectJournal(_dir);
        var entry = journal.Open("zfs", "snapshot", "tank/data@bp-F-7", "j7-abc");
        entry = journal.Note(entry, "guid", "12345");

        var other = new EffectJournal(_dir); // what the next host (or `sweep`) sees
        var found = Assert.Single(other.Leftovers("zfs"));
        Assert.Equal(("snapshot", "tank/data@bp-F-7", "j7-abc", "12345"), (found.Kind, found.Target, found.Session, found.Fact("guid")));
        Assert.Empty(other.Leftovers("vz7"));

        journal.Close(entry);
        Assert.Empty(other.Leftovers("zfs"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Fact]
    public void EntriesOfThisProcessAreNotLeftovers_UntilTheirJobAbandonsThem()
    {
        var journal = new EffectJournal(_dir);
        var entry = journal.Open("vz7", "mount", "/mnt/bareos/bp-x", "s1");
        Assert.Empty(journal.Leftovers("vz7"));
        journal.Abandon(entry);
        Assert.Equal("/mnt/bareos/bp-x", Assert.Single(journal.Leftovers("vz7")).Target);
    }

    [Fact]
    public void Leftovers_AreNewestFirst_AndUnreadableOrHalfWrittenFilesAreNeverActedUpon()
    {
        var writer = new EffectJournal(_dir);
        writer.Open("vz7", "snapshot", "first", null);
        Thread.Sleep(5);
        writer.Open("vz7", "mount point", "second", null);
        Thread.Sleep(5);
        writer.Open("vz7", "mount", "third", null);
        File.WriteAllText(Path.Combine(_dir, "garbage.json"), "{ not json");
        var cut = Path.Combine(_dir, "20260101T000000000-0000000.json.tmp");
        File.WriteAllText(cut, "{ \"Id\": ");
        File.SetLastWriteTimeUtc(cut, DateTime.UtcNow.AddHours(-1));

        var found = new EffectJournal(_dir).Leftovers("vz7");

        Assert.Equal(["third", "second", "first"], found.Select(e => e.Target));
        Assert.False(File.Exists(cut));
        Assert.True(File.Exists(Path.Combine(_dir, "garbage.json")));
    }

    [Fact]
    public void AJournalThatCannotBeWritten_RefusesTheEffect_SayingWhereAndWhat()
    {
        var blocked = Path.Combine(_dir, "file");
        File.WriteAllText(blocked, "");
        var journal = new EffectJournal(Path.Combine(blocked, "journal"));
        var ex = Assert.Throws<Errors.BackupPluginException>(() => journal.Open("zfs", "snapshot", "tank/a@bp-F-1", null));
        Assert.StartsWith($"cannot record \"zfs snapshot tank/a@bp-F-1\" in the journal {blocked}/journal (", ex.Message);
        Assert.EndsWith("), so it was not made; the host needs a writable StateDirectory (host configuration)", ex.Message);
    }

    [Fact]
    public async Task Ledger_DurableEntry_ClosedWhenUndone_KeptAndAbandonedWhenTheUndoFails()
    {
        var journal = new EffectJournal(_dir);
        var ledger = new CleanupLedger(NullLogger.Instance, journal, "s1");
        var seen = new List<string?>();
        var ok = ledger.AddDurable("zfs", "clone", "tank/bp-clone-1-0", "destroy clone", (e, _) => { seen.Add(e.Fact("guid")); return Task.CompletedTask; });
        ledger.Note(ok, "guid", "42");
        ledger.AddDurable("vz7", "snapshot", "0bac0bac-1", "merge snapshot", (_, _) => throw new IOException("device busy"));

        var failures = await ledger.UndoAllAsync(CancellationToken.None);

        Assert.Equal(["42"], seen); // the undo sees the facts noted after the effect was made
        Assert.Equal(["cleanup failed: could not merge snapshot: device busy"], failures);
        Assert.Empty(journal.Leftovers("zfs"));
        Assert.Equal("0bac0bac-1", Assert.Single(journal.Leftovers("vz7")).Target); // for the next sweep
    }

    [Fact]
    public async Task Ledger_ReleasedEntry_IsNeitherUndoneNorLeftInTheJournal()
    {
        var journal = new EffectJournal(_dir);
        var ledger = new CleanupLedger(NullLogger.Instance, journal, "s1");
        var undone = false;
        var entry = ledger.AddDurable("zfs", "snapshot", "tank/a@bp-F-1", "destroy", (_, _) => { undone = true; return Task.CompletedTask; });
        ledger.Release(entry);
        await ledger.UndoAllAsync(CancellationToken.None);
        Assert.False(undone);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }
}
