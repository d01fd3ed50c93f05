// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sessions;

namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>
/// What vz7 jobs record in the journal before they make it, and how each is undone — by the job's own cleanup and,
/// after a crash, by the sweep (the same code). Each undo first looks whether the effect is still there, so undoing
/// twice, or undoing what the command never managed to make, does nothing.
/// </summary>
internal static class Vz7Effects
{
    public const string Source = "vz7";
    /// <summary>A ploop snapshot of a running container; target: its UUID. Facts: <c>dd</c>.</summary>
    public const string Snapshot = "snapshot";
    /// <summary>A directory made to mount on; target: its path.</summary>
    public const string MountPoint = "mount point";
    /// <summary>A ploop mount; target: the mount point. Facts: <c>dd</c>, and <c>component</c> for a second (read-only) mount.</summary>
    public const string Mount = "mount";

    public const string DiskDescriptor = "dd";
    public const string Component = "component";

    /// <summary>
    /// Undoes one recorded effect; returns a note when there was nothing to undo. <paramref name="made"/>: the job
    /// saw the command that made it succeed, so there is no need to look (the sweep always looks).
    /// </summary>
    public static async Task<string?> UndoAsync(PloopTool ploop, JournalEntry entry, CancellationToken cancellationToken, bool made = false)
    {
        switch (entry.Kind)
        {
            case Snapshot:
                var dd = entry.Fact(DiskDescriptor)!;
                if (!made && !File.Exists(dd))
                {
                    return $"already gone ({dd} does not exist)";
                }
                if (!made && !(await ploop.ListSnapshotsAsync(dd, cancellationToken)).Any(s => s.Uuid == entry.Target))
                {
                    return "already gone (merged)";
                }
                await ploop.DeleteSnapshotAsync(entry.Target, dd, cancellationToken);
                return null;
            case Mount:
                if (!MountTable.IsMountPoint(entry.Target))
                {
                    return "already gone (not mounted)";
                }
                await (entry.Fact(Component) is { } component
                    ? ploop.UnmountAsync(component, entry.Target, entry.Fact(DiskDescriptor)!, cancellationToken)
                    : ploop.UnmountImageAsync(entry.Fact(DiskDescriptor)!, cancellationToken));
                return null;
            case MountPoint:
                if (!Directory.Exists(entry.Target))
                {
                    return "already gone";
                }
                if (MountTable.IsMountPoint(entry.Target))
                {
                    throw new IOException($"{entry.Target} is still mounted; it is removed once unmounted");
                }
                if (Directory.EnumerateFileSystemEntries(entry.Target).Any())
                {
                    return "not empty: left in place, look inside and remove it by hand";
                }
                Directory.Delete(entry.Target);
                return null;
            default:
                throw new IOException($"unknown kind of vz7 journal entry \"{entry.Kind}\" (written by a newer version?): left alone");
        }
    }

    /// <summary>How a sweep names the leftover.</summary>
    public static string Describe(JournalEntry entry) =>
        entry.Kind == Snapshot ? $"{{{entry.Target}}} of {entry.Fact(DiskDescriptor)}" : entry.Target;
}
