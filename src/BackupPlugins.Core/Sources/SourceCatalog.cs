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

/// <summary>Finds what killed hosts left behind (by the fixed name prefix) and undoes it.</summary>
public interface ILeftoverSweeper
{
    Task<IReadOnlyList<Leftover>> SweepAsync(bool dryRun, CancellationToken cancellationToken);
}

public sealed record Leftover(string Kind, string Name, bool Removed, string? Error = null)
{
    /// <summary>Undoes one leftover (or only reports it on a dry run); a failure is reported, never thrown.</summary>
    public static async Task<Leftover> UndoAsync(string kind, string name, bool dryRun, Func<Task> undo, ILogger logger)
    {
        if (dryRun)
        {
            return new Leftover(kind, name, false);
        }
        try
        {
            await undo();
            logger.LogWarning("Swept leftover {Kind} {Name}", kind, name);
            return new Leftover(kind, name, true);
        }
        catch (Exception ex) when (ex is Tools.ToolFailedException or IOException or UnauthorizedAccessException)
        {
            logger.LogError("Could not sweep {Kind} {Name}: {Error}", kind, name, ex.Message);
            return new Leftover(kind, name, false, ex.Message);
        }
    }
}
