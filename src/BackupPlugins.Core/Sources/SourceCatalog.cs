// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Core.Sources;

/// <summary>The sources this host offers, by the name used in <c>source=</c>.</summary>
public sealed class SourceCatalog(IEnumerable<ISourceFactory> factories)
{
    private readonly Dictionary<string, ISourceFactory> _byName =
        factories.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<ISourceFactory> All => _byName.Values.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

    public ISourceFactory Get(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw BackupPluginException.BadOption("options.source",
                $"option \"source\" is required: add source=<name> to the plugin string (known: {Known})");
        }
        return _byName.TryGetValue(name, out var factory)
            ? factory
            : throw BackupPluginException.BadOption("options.source", $"unknown source \"{name}\" (known: {Known})");
    }

    private string Known => string.Join(", ", _byName.Keys.Order(StringComparer.Ordinal));
}

/// <summary>
/// Finds what killed hosts left behind and undoes it: what the <see cref="Sessions.EffectJournal"/> says a job of
/// ours made and did not undo. Things that merely carry our name prefix are reported (<see cref="Leftover.Foreign"/>),
/// never undone.
/// </summary>
public interface ILeftoverSweeper
{
    Task<IReadOnlyList<Leftover>> SweepAsync(bool dryRun, CancellationToken cancellationToken);
}

/// <summary>One thing a sweep found: undone (<see cref="Removed"/>), not undone (<see cref="Error"/>), or left alone.</summary>
public sealed record Leftover(string Kind, string Name, bool Removed, string? Error = null)
{
    /// <summary>It looks like ours (our name prefix) but no job of ours recorded it: reported, left alone.</summary>
    public bool Foreign { get; init; }
    /// <summary>What was found instead of the effect to undo (already gone, not the one the job made, …).</summary>
    public string? Note { get; init; }

    /// <summary>
    /// Undoes one journal entry (or only reports it on a dry run) and closes the entry when that worked; a failure is
    /// reported, never thrown, and the entry stays for the next sweep. <paramref name="undo"/> returns a note when it
    /// found nothing to undo.
    /// </summary>
    public static async Task<Leftover> UndoAsync(Sessions.EffectJournal journal, Sessions.JournalEntry entry, string kind, string name,
        bool dryRun, Func<Task<string?>> undo, ILogger logger)
    {
        if (dryRun)
        {
            return new Leftover(kind, name, false);
        }
        try
        {
            var note = await undo();
            journal.Close(entry);
            logger.LogWarning("Swept leftover {Kind} {Name}{Note}", kind, name, note is null ? "" : $" ({note})");
            return new Leftover(kind, name, true) { Note = note };
        }
        catch (Exception ex) when (ex is Tools.ToolFailedException or Errors.BackupPluginException or IOException or UnauthorizedAccessException)
        {
            logger.LogError("Could not sweep {Kind} {Name}: {Error}", kind, name, ex.Message);
            return new Leftover(kind, name, false, ex.Message);
        }
    }

    /// <summary>Something with our name prefix that no job of ours recorded.</summary>
    public static Leftover NotOurs(string kind, string name, string howToUndo) =>
        new(kind, name, false) { Foreign = true, Note = $"no job of this host recorded it in the journal, so it is left alone; {howToUndo}" };
}
