// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;

namespace BackupPlugins.Core.Sessions;

/// <summary>
/// One side effect a job is about to make, or made and has not undone (a snapshot, a clone, a mount), as written on
/// disk: the durable mark a sweep goes by after a crash. <see cref="Facts"/> hold what identifies it beyond its name
/// (a snapshot's GUID, a ploop snapshot's disk descriptor), added as they become known.
/// </summary>
public sealed record JournalEntry(string Id, string Source, string Kind, string Target, DateTimeOffset Opened, string? Session,
    IReadOnlyDictionary<string, string> Facts)
{
    public string? Fact(string key) => Facts.GetValueOrDefault(key);

    public override string ToString() => $"{Source} {Kind} {Target}";
}

/// <summary>
/// The durable record of open side effects: one small file per effect in <see cref="Directory"/>, written and
/// fsynced <em>before</em> the effect is made, removed once it is undone (or handed over, as a zfs snapshot that
/// becomes the next backup's base). After a crash a sweep undoes exactly what is recorded here, checking each
/// entry's identity first — never what it merely finds by a name pattern: what no job of ours recorded is not ours
/// to undo. Entries this process opened belong to its own running jobs and are never taken for leftovers, until
/// a job ends without undoing one (<see cref="Abandon"/>).
/// </summary>
public sealed class EffectJournal(string directory)
{
    public const string DefaultDirectory = "/var/lib/backup-plugins/journal";
    private const string Suffix = ".json";
    private readonly ConcurrentDictionary<string, JournalEntry> _mine = new();

    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>Records an effect that is about to be made. Throws if it cannot be recorded: then it must not be made.</summary>
    public JournalEntry Open(string source, string kind, string target, string? session, IReadOnlyDictionary<string, string>? facts = null)
    {
        var now = DateTimeOffset.UtcNow;
        var entry = new JournalEntry($"{now:yyyyMMdd'T'HHmmssfff}-{Guid.NewGuid():N}"[..27], source, kind, target, now, session,
            facts ?? new Dictionary<string, string>());
        _mine[entry.Id] = entry;
        try
        {
            Write(entry);
        }
        catch
        {
            _mine.TryRemove(entry.Id, out _);
            throw;
        }
        return entry;
    }

    /// <summary>Adds a fact learnt after the effect was made (e.g. the GUID of the snapshot just taken).</summary>
    public JournalEntry Note(JournalEntry entry, string key, string value)
    {
        var updated = entry with { Facts = new Dictionary<string, string>(entry.Facts) { [key] = value } };
        Write(updated);
        _mine[entry.Id] = updated;
        return updated;
    }

    /// <summary>The effect is undone (or is no longer ours to undo): its entry goes.</summary>
    public void Close(JournalEntry entry)
    {
        File.Delete(PathOf(entry.Id));
        FileSystem.SyncDirectory(Directory);
        _mine.TryRemove(entry.Id, out _);
    }

    /// <summary>
    /// The job that opened this entry has ended without undoing it (its undo failed): from now on it is a leftover
    /// like those of a killed host, for the next sweep.
    /// </summary>
    public void Abandon(JournalEntry entry) => _mine.TryRemove(entry.Id, out _);

    /// <summary>The entries of <paramref name="source"/> left by processes that are gone, newest first (undo order).</summary>
    public IReadOnlyList<JournalEntry> Leftovers(string source)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }
        var found = new List<JournalEntry>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory))
        {
            if (file.EndsWith(".tmp", StringComparison.Ordinal) && File.GetLastWriteTimeUtc(file) < DateTime.UtcNow.AddMinutes(-10))
            {
                File.Delete(file); // a write cut by a crash: the entry was never complete, so its effect was never made
                continue;
            }
            if (!file.EndsWith(Suffix, StringComparison.Ordinal) || _mine.ContainsKey(Path.GetFileNameWithoutExtension(file)))
            {
                continue;
            }
            if (Read(file) is { } entry && entry.Source == source)
            {
                found.Add(entry);
            }
        }
        return found.OrderByDescending(e => e.Opened).ThenByDescending(e => e.Id, StringComparer.Ordinal).ToList();
    }

    private static JournalEntry? Read(string file)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(file), JournalJson.Default.JournalEntry);
        }
        catch (JsonException)
        {
            return null; // not ours, or not readable: never acted upon
        }
    }

    private void Write(JournalEntry entry)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            FileSystem.ReplaceDurably(PathOf(entry.Id), stream => JsonSerializer.Serialize(stream, entry, JournalJson.Default.JournalEntry));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BackupPluginException(ErrorKind.Failed, "journal.write",
                $"cannot record \"{entry}\" in the journal {Directory} ({ex.Message}), so it was not made; the host needs a writable " +
                "StateDirectory (host configuration)", ex);
        }
    }

    private string PathOf(string id) => Path.Combine(Directory, id + Suffix);
}

[JsonSerializable(typeof(JournalEntry))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class JournalJson : JsonSerializerContext;
