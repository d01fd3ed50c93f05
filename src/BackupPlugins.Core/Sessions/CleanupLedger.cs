// SPDX-License-Identifier: AGPL-3.0-or-later
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Core.Sessions;

/// <summary>
/// The record of every external side effect a job made (lock, snapshot, mount, suspend, temp file), each with
/// its undo. Entries are added the moment the effect exists and undone in reverse order by
/// <see cref="UndoAllAsync"/>: each undo is tried on its own, a failure is logged and reported but never
/// stops the others, and running it twice does nothing the second time.
/// </summary>
public sealed class CleanupLedger(ILogger logger)
{
    private readonly List<Entry> _entries = [];
    private readonly Lock _lock = new();

    private sealed record Entry(string Description, Func<CancellationToken, Task> Undo);

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
            logger.LogInformation("Undid {Effect}", entry.Description);
            return null;
        }
        catch (Exception ex)
        {
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
