// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;

namespace BackupPlugins.Sources.Xen.Backup;

/// <summary>One entry of a VM's backup directory: its name and whether it holds a success marker.</summary>
public sealed record HistoryEntry(string Name, bool Succeeded);

/// <summary>
/// The seed's layout of a VM's backups, <c>&lt;backup_dir&gt;/&lt;vm&gt;/backup-YYYY-MM-DD-(HH:MM:SS)[-metadata]/</c>, and
/// its rules on them, as pure functions. Kept: names sort in time order; pruning removes the oldest entries by sorted name
/// while there are more than max_backups and more than one; a success marker is <c>success</c>, <c>success_restore</c>,
/// <c>success_compress</c> or <c>success_compressing</c>; an export larger than 60 GiB is marked
/// <c>success_compress</c> (the seed's hook for a gzip job on the NFS server). Fixed: every failed backup directory is
/// removed before a new one is made (the seed removed only the newest, and only when there were two or more entries);
/// the directory being written is never pruned, and only backup directories count (the seed counted stray files).
/// </summary>
public static class BackupHistory
{
    public static readonly string[] SuccessMarkers = ["success", "success_restore", "success_compress", "success_compressing"];

    /// <summary><c>backup-2017-04-27-(10:33:49)</c>, with <c>-metadata</c> for a metadata export.</summary>
    public static string DirectoryName(DateTime start, bool metadata) =>
        start.ToString("'backup-'yyyy-MM-dd-'('HH':'mm':'ss')'", CultureInfo.InvariantCulture) + (metadata ? "-metadata" : "");

    public static bool IsBackupDirectory(string name) => name.StartsWith("backup-", StringComparison.Ordinal);

    /// <summary>The failed backups to remove before a new one starts: every backup directory without a success marker.</summary>
    public static IReadOnlyList<string> FailedToRemove(IEnumerable<HistoryEntry> entries) =>
        entries.Where(e => IsBackupDirectory(e.Name) && !e.Succeeded).Select(e => e.Name).Order(StringComparer.Ordinal).ToList();

    /// <summary>The oldest backups to remove so that <paramref name="maxBackups"/> remain (the newest, <paramref name="current"/>, always stays).</summary>
    public static IReadOnlyList<string> ToPrune(IEnumerable<HistoryEntry> entries, int maxBackups, string current)
    {
        var backups = entries.Select(e => e.Name).Where(IsBackupDirectory).Order(StringComparer.Ordinal).ToList();
        var excess = backups.Count - Math.Max(1, maxBackups);
        return excess <= 0 ? [] : backups.Where(n => n != current).Take(excess).ToList();
    }

    /// <summary>The marker a finished export gets: <c>success_compress</c> when its whole GiB exceed 60 (the seed's <c>size // 1024**3 &gt; 60</c>), else <c>success</c>.</summary>
    public static string Marker(long exportBytes) => exportBytes / (1L << 30) > 60 ? "success_compress" : "success";
}
