// SPDX-License-Identifier: AGPL-3.0-or-later
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Core.Sessions;

/// <summary>
/// The record of every external side effect a job made (lock, snapshot, mount, suspend, temp file), each with
/// its undo. Entries are added the moment the effect exists and undone in reverse order by
/// <see cref="UndoAllAsync"/>: each undo is tried on its own, a failure is logged and reported but never
/// stops the others, and running it twice does nothing the second time. An effect that outlives the process if
/// the host is killed (a snapshot, a mount) is added with <see cref="AddDurable"/>: it is written to the
/// <see cref="EffectJournal"/> first, so the sweep after a crash finds it, and its entry there goes when it is undone.
/// </summary>
public sealed class CleanupLedger(ILogger logger, EffectJournal? journal = null, string? session = null)
{
    private readonly List<Entry> _entries = [];
    private readonly Lock _lock = new();

    private sealed class Entry(string description, Func<CancellationToken, Task> undo)
    {
        public string Description { get; } = description;
        public Func<CancellationToken, Task> Undo { get; } = undo;
        public JournalEntry? Journal { get; set; }
    }

    /// <summary>
    /// Records an effect that now exists, described by its undo as an imperative ("unmount /mnt/x"); returns a
    /// handle to undo it early (e.g. a lock released at job end).
    /// </summary>
    public IAsyncDisposable Add(string description, Func<CancellationToken, Task> undo)
    {
        var entry = new Entry(description, undo);
        lock (_lock)
        {
            _entries.Add(entry);
        }
        return new EarlyUndo(this, entry);
    }

    /// <summary>
    /// Records an effect that is <em>about to be made</em>, in the journal (durably) and here. Make it after this call;
    /// <paramref name="undo"/> gets the entry with every fact noted since, and must accept that the effect was never
    /// made (the command failed) or was made by someone else (check the facts). The entry goes from the journal when
    /// the undo succeeds; after a failed undo it stays, and the next sweep tries again.
    /// </summary>
    public JournalEntry AddDurable(string source, string kind, string target, string description,
        Func<JournalEntry, CancellationToken, Task> undo, IReadOnlyDictionary<string, string>? facts = null)
    {
        var j = journal ?? throw new InvalidOperationException("this ledger has no journal");
        var opened = j.Open(source, kind, target, session, facts);
        Entry? entry = null;
        entry = new Entry(description, ct => undo(entry!.Journal!, ct)) { Journal = opened };
        lock (_lock)
        {
            _entries.Add(entry);
        }
        return opened;
    }

    /// <summary>Adds a fact to a durable entry (e.g. the GUID of the snapshot just made); returns the entry as it now is.</summary>
    public JournalEntry Note(JournalEntry journalEntry, string key, string value)
    {
        var updated = (journal ?? throw new InvalidOperationException("this ledger has no journal")).Note(journalEntry, key, value);
        lock (_lock)
        {
            foreach (var e in _entries.Where(e => e.Journal?.Id == journalEntry.Id))
            {
                e.Journal = updated;
            }
        }
        return updated;
    }

    /// <summary>Undoes a durable effect now, before the job ends (e.g. an image that must be unmounted before it is registered); throws if that fails.</summary>
    public async Task UndoNowAsync(JournalEntry journalEntry)
    {
        Entry? entry;
        lock (_lock)
        {
            entry = _entries.FirstOrDefault(e => e.Journal?.Id == journalEntry.Id);
        }
        if (entry is not null && await UndoOneAsync(entry) is { } failure)
        {
            throw new IOException(failure);
        }
    }

    /// <summary>A durable effect is no longer the job's to undo (handed over, e.g. kept as the next backup's base).</summary>
    public void Release(JournalEntry journalEntry)
    {
        journal?.Close(journalEntry);
        lock (_lock)
        {
            _entries.RemoveAll(e => e.Journal?.Id == journalEntry.Id);
        }
    }

    public IReadOnlyList<string> Pending
    {
        get
        {
            lock (_lock)
            {
                return _entries.Select(e => e.Description).ToList();
            }
        }
    }

    /// <summary>Undoes everything still recorded, newest first. Returns the failures, one line each.</summary>
    public async Task<IReadOnlyList<string>> UndoAllAsync(CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        while (true)
        {
            Entry? entry;
            lock (_lock)
            {
                entry = _entries.Count == 0 ? null : _entries[^1];
                if (entry is not null)
                {
                    _entries.RemoveAt(_entries.Count - 1);
                }
            }
            if (entry is null)
            {
                return failures;
            }
            var failure = await RunAsync(entry, cancellationToken);
            if (failure is not null)
            {
                failures.Add(failure);
            }
        }
    }

    private async Task<string?> RunAsync(Entry entry, CancellationToken cancellationToken)
    {
        try
        {
            await entry.Undo(cancellationToken);
            if (entry.Journal is { } done)
            {
                journal!.Close(done);
            }
            logger.LogInformation("Undid {Effect}", entry.Description);
            return null;
        }
        catch (Exception ex)
        {
            if (entry.Journal is { } left)
            {
                journal!.Abandon(left); // stays on disk: the next sweep tries again
            }
            logger.LogError(ex, "Could not undo {Effect}", entry.Description);
            return $"cleanup failed: could not {entry.Description}: {ex.Message}";
        }
    }

    private async Task<string?> UndoOneAsync(Entry entry)
    {
        bool present;
        lock (_lock)
        {
            present = _entries.Remove(entry);
        }
        return present ? await RunAsync(entry, CancellationToken.None) : null;
    }

    private sealed class EarlyUndo(CleanupLedger ledger, Entry entry) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            var failure = await ledger.UndoOneAsync(entry);
            if (failure is not null)
            {
                throw new IOException(failure);
            }
        }
    }
}
