// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Zfs;

/// <summary>
/// What zfs jobs record in the journal before they make it, and how each is undone — by the job's own cleanup and,
/// after a crash, by the sweep: the same code, so a sweep does exactly what the killed job would have done. Before
/// undoing, the thing found under the recorded name must be the one the job made (its GUID, or for a clone its
/// origin); a snapshot received by a restore, or made by hand, under the same name is left alone.
/// </summary>
internal static class ZfsEffects
{
    public const string Source = "zfs";
    /// <summary>A stream job's snapshot. Facts: <c>guid</c> once made; <c>state=committing</c> once the job ended well.</summary>
    public const string Snapshot = "snapshot";
    /// <summary>A files job's recursive snapshot (destroyed with its children's). Facts: <c>guid</c> of the top one.</summary>
    public const string RecursiveSnapshot = "recursive snapshot";
    /// <summary>A files job's read-only clone. Facts: <c>origin</c>, the snapshot it is cloned from.</summary>
    public const string Clone = "clone";
    /// <summary>A pool a zfs sync imported (target: the pool; fact: its GUID): undone by exporting it.</summary>
    public const string PoolImport = "pool import";

    public const string Guid = "guid";
    public const string Origin = "origin";
    public const string State = "state";
    public const string Committing = "committing";

    /// <summary>
    /// Undoes one recorded effect; returns a note when there was nothing to undo or it was left alone. A snapshot whose
    /// job had ended well and was being kept when the host died (<c>state=committing</c>) is kept and held instead —
    /// by the sweep only (<paramref name="finishCommit"/>); a job whose own commit failed destroys it.
    /// </summary>
    public static async Task<string?> UndoAsync(ZfsTool zfs, JournalEntry entry, CancellationToken cancellationToken, bool finishCommit = true)
    {
        if (entry.Kind == PoolImport)
        {
            return await ExportAsync(zfs, entry, cancellationToken);
        }
        var name = entry.Target;
        var found = await zfs.PropertiesAsync(name, entry.Kind == Clone ? [Origin] : [Guid, "creation"], cancellationToken);
        if (found is null)
        {
            return "already gone";
        }
        if (NotTheOne(entry, found) is { } why)
        {
            return $"{why}: left alone";
        }
        if (finishCommit && entry.Kind == Snapshot && entry.Fact(State) == Committing)
        {
            await zfs.HoldAsync(ZfsStreamDriver.HoldTag, name, cancellationToken);
            return $"its job had ended well: kept and held ({ZfsStreamDriver.HoldTag}) as the base of the next backup";
        }
        try
        {
            await zfs.DestroyWhenFreeAsync(name, cancellationToken, entry.Kind switch
            {
                RecursiveSnapshot => ["-r"],
                Clone => ["-f"],
                _ => [],
            });
        }
        catch (ToolFailedException ex) when (ex.Result?.StandardErrorTail.Contains("busy", StringComparison.Ordinal) == true)
        {
            throw new BackupPluginException(ErrorKind.Failed, "zfs.busy",
                $"{ex.Message} — {name} is still busy or held (a stopped `zfs send` can leave a temporary hold on it: userrefs " +
                $"{await UserRefsAsync(zfs, name, cancellationToken)}); it stays in the journal and the next sweep (`backup-plugins " +
                "sweep`, or the host's next start) tries again", ex);
        }
        return null;
    }

    /// <summary>Exports the pool the job imported, if it is still imported and is the one (GUID) the job imported.</summary>
    private static async Task<string?> ExportAsync(ZfsTool zfs, JournalEntry entry, CancellationToken cancellationToken)
    {
        if (!(await zfs.PoolGuidsAsync(cancellationToken)).TryGetValue(entry.Target, out var guid))
        {
            return "not imported";
        }
        if (entry.Fact(Guid) is { } recorded && recorded != guid)
        {
            return $"the imported pool of this name has GUID {guid}, not {recorded} as imported by the job: left alone";
        }
        // Recorded, then the host died before it learnt the GUID: the pool of this name is taken for the one imported.
        await zfs.ExportAsync(entry.Target, cancellationToken);
        return null;
    }

    /// <summary>Why the thing under the recorded name is not the one the job made, or null if it is.</summary>
    private static string? NotTheOne(JournalEntry entry, IReadOnlyDictionary<string, string> found)
    {
        if (entry.Kind == Clone)
        {
            return found[Origin] == entry.Fact(Origin) ? null : $"its origin is {found[Origin]}, not {entry.Fact(Origin)}";
        }
        if (entry.Fact(Guid) is { } guid)
        {
            return found[Guid] == guid ? null : $"a snapshot of this name exists with GUID {found[Guid]}, not {guid} as made by the job";
        }
        // Recorded, then the host died before it learnt the GUID: ours only if made after the entry was written.
        var created = long.TryParse(found["creation"], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : 0;
        return created >= entry.Opened.ToUnixTimeSeconds() - 1 ? null
            : $"a snapshot of this name exists, created {DateTimeOffset.FromUnixTimeSeconds(created):u}, before the job recorded it";
    }

    private static async Task<string> UserRefsAsync(ZfsTool zfs, string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await zfs.PropertiesAsync(name, ["userrefs"], cancellationToken))?["userrefs"] ?? "?";
        }
        catch (ToolFailedException)
        {
            return "?";
        }
    }
}
