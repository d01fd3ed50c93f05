// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sessions;

namespace BackupPlugins.Sources.Lvm;

/// <summary>
/// What lvm jobs record in the journal before they make it, and how each is undone — by the job's own cleanup and,
/// after a crash, by the sweep, with the same code. A snapshot is removed only if the volume under its name is the one
/// the job made (its UUID, noted as soon as lvcreate answered; before that, a snapshot of the recorded origin); a mount
/// is undone only at the fixed path the job recorded, and only while something is mounted there.
/// </summary>
public static class LvmEffects
{
    public const string Source = "lvm";
    /// <summary>Target <c>vg/snapshot</c>; facts <c>origin</c> (the LV) and <c>uuid</c> once made.</summary>
    public const string Snapshot = "snapshot";
    /// <summary>Target: the mount point; fact <c>device</c>.</summary>
    public const string Mount = "mount";
    /// <summary>A bind mount inside the snapshot's view; target: where it is mounted.</summary>
    public const string BindMount = "bind mount";
    /// <summary>The directory the snapshot is mounted on (removed when empty).</summary>
    public const string MountPoint = "mount point";

    public const string Origin = "origin";
    public const string Uuid = "uuid";
    public const string Device = "device";

    /// <summary>Undoes one recorded effect; a note when there was nothing to undo or it was left alone.</summary>
    public static async Task<string?> UndoAsync(LvmTool lvm, JournalEntry entry, CancellationToken cancellationToken)
    {
        switch (entry.Kind)
        {
            case Mount or BindMount:
                if (!MountTable.IsMountPoint(entry.Target))
                {
                    return "not mounted";
                }
                await lvm.UnmountAsync(entry.Target, cancellationToken);
                return null;
            case MountPoint:
                if (!Directory.Exists(entry.Target))
                {
                    return "already gone";
                }
                if (Directory.EnumerateFileSystemEntries(entry.Target).Any())
                {
                    return "not empty: left alone";
                }
                Directory.Delete(entry.Target);
                return null;
            default:
                return await RemoveSnapshotAsync(lvm, entry, cancellationToken);
        }
    }

    private static async Task<string?> RemoveSnapshotAsync(LvmTool lvm, JournalEntry entry, CancellationToken cancellationToken)
    {
        var (vg, name) = Split(entry.Target);
        var found = await lvm.FindAsync(vg, name, cancellationToken);
        if (found is null)
        {
            return "already gone";
        }
        var origin = Split(entry.Fact(Origin) ?? "/").Lv;
        if (entry.Fact(Uuid) is { } uuid ? found.Uuid != uuid : !(found.IsSnapshot && found.Origin == origin))
        {
            return $"the volume {entry.Target} (UUID {found.Uuid}) is not the snapshot of {origin} the job made: left alone";
        }
        await lvm.RemoveAsync(vg, name, cancellationToken);
        return null;
    }

    public static (string Vg, string Lv) Split(string full) =>
        full.IndexOf('/') is var slash and > 0 ? (full[..slash], full[(slash + 1)..]) : ("", full);
}
