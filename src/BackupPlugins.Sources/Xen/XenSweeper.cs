// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Sources.Xen;

/// <summary>
/// What killed Xen jobs left: the VM and disk snapshots and the blocked starts the journal says a job made and did not
/// undo, each checked to be the one it made (<see cref="XenEffects"/>), through a session to the XAPI the entry names
/// (its endpoint, and its password file when it was not the local socket).
/// </summary>
public sealed class XenSweeper(EffectJournal journal, ILogger<XenSweeper> logger) : ILeftoverSweeper
{
    public async Task<IReadOnlyList<Leftover>> SweepAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var found = new List<Leftover>();
        foreach (var entry in journal.Leftovers(XenEffects.Source))
        {
            var name = $"{entry.Fact(XenEffects.Name) ?? "start"} of VM {entry.Target}";
            found.Add(await Leftover.UndoAsync(journal, entry, $"xen {entry.Kind}", name, dryRun, () => UndoAsync(entry, cancellationToken), logger));
        }
        return found;
    }

    /// <summary>The undo; XAPI's refusals, a timeout or an unreadable password file are this undo failing (the entry stays for the next sweep).</summary>
    private static async Task<string?> UndoAsync(JournalEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            return await UndoThroughXapiAsync(entry, cancellationToken);
        }
        catch (Exception ex) when (ex is XapiException or TimeoutException or FormatException or InvalidOperationException)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    private static async Task<string?> UndoThroughXapiAsync(JournalEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Kind == XenEffects.WorkDirectory)
        {
            return XenEffects.RemoveWorkDirectory(entry);
        }
        var endpoint = XapiEndpoint.Parse(entry.Fact(XenEffects.Endpoint) ?? "unix:" + XapiEndpoint.LocalSocket) with { CaFile = entry.Fact(XenEffects.CaFile) };
        var secrets = entry.Fact(XenEffects.PasswordFile) is { } file ? XenSecrets.Load(file) : new XenSecrets("root", "", null, null);
        await using var client = await XapiClient.LoginAsync(endpoint, secrets.User, secrets.Password, TimeSpan.FromMinutes(2), cancellationToken);
        return await XenEffects.UndoAsync(new XenApi(client), entry, cancellationToken);
    }
}
