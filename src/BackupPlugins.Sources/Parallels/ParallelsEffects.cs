// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Tools;
using BackupPlugins.Sources.Prlctl;

namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// What a Parallels backup makes that outlives a killed process, as journal entries written before it is made: a
/// suspended VM (target: its UUID; facts: the prlctl that suspended it, the VM's name), a reflink clone of its
/// bundle (target: the clone's directory), a prlctl snapshot (target: the VM's UUID; facts: prlctl, name, and the
/// snapshot's id once prlctl printed it) and the compressed archive in the temp directory (target: its path). The undo
/// of each, for the job and for the sweep alike.
/// </summary>
public static class ParallelsEffects
{
    public const string Source = "parallels";
    public const string Suspend = "vm suspend";
    public const string Clone = "bundle clone";
    /// <summary>The compressed archive in the temp directory (target: its path), removed once copied or failed.</summary>
    public const string TempFile = "temp file";
    /// <summary>A snapshot of a running VM (<c>source=parallels consistency=snapshot</c>), deleted when the job ends.</summary>
    public const string Snapshot = "vm snapshot";
    public const string SnapshotId = "snapshot id";
    public const string Prlctl = "prlctl";
    public const string Name = "name";

    /// <summary>Resumes the VM if it is still suspended (and checks it runs), or removes the clone; a note when there was nothing to do.</summary>
    public static async Task<string?> UndoAsync(IToolRunner runner, JournalEntry entry, string? session, CancellationToken cancellationToken)
    {
        if (entry.Kind == TempFile)
        {
            if (!File.Exists(entry.Target))
            {
                return "already gone";
            }
            File.Delete(entry.Target);
            return null;
        }
        if (entry.Kind == Clone)
        {
            if (!Directory.Exists(entry.Target))
            {
                return "already gone";
            }
            FileSystem.RemoveTree(PosixPath.FromString(entry.Target));
            var holder = Path.GetDirectoryName(entry.Target)!;
            if (Directory.Exists(holder) && !Directory.EnumerateFileSystemEntries(holder).Any())
            {
                Directory.Delete(holder);
            }
            return null;
        }
        var prlctl = new PrlctlTool(entry.Fact(Prlctl) ?? "prlctl", 600, runner, session);
        var vm = await prlctl.VmInfoAsync(entry.Target, cancellationToken);
        if (vm is null)
        {
            return "the virtual machine is gone";
        }
        if (entry.Kind == Snapshot)
        {
            return await DeleteSnapshotAsync(prlctl, entry, cancellationToken);
        }
        if (vm.State != "suspended")
        {
            return $"it is {vm.State}, not suspended: left alone";
        }
        await prlctl.ChangeStateAsync(entry.Target, "resume", "running", cancellationToken);
        return null;
    }

    /// <summary>Deletes the snapshot the entry names by id, if the VM still has it.</summary>
    private static async Task<string?> DeleteSnapshotAsync(PrlctlTool prlctl, JournalEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Fact(SnapshotId) is not { } id)
        {
            return "prlctl never said the snapshot's id (it failed, or was killed before it printed it): nothing known to delete; " +
                   $"look at `prlctl snapshot-list {entry.Target}` for a snapshot named bp-…";
        }
        if (!(await prlctl.SnapshotIdsAsync(entry.Target, cancellationToken)).Contains(id))
        {
            return "already gone";
        }
        await prlctl.SnapshotDeleteAsync(entry.Target, id, cancellationToken);
        return null;
    }
}
