// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sessions;

namespace BackupPlugins.Sources.Xen;

/// <summary>
/// What a Xen job makes that outlives a killed process, as journal entries written before it is made: a VM snapshot
/// (target: the VM's UUID; facts: the XAPI endpoint, the snapshot's name, and its UUID once XAPI returned it) and a
/// start blocked on a halted VM during its export (target: the VM's UUID). The undo of each, for the job and the sweep.
/// </summary>
public static class XenEffects
{
    public const string Source = "xen";
    public const string VmSnapshot = "vm snapshot";
    public const string BlockedStart = "blocked start";
    /// <summary>A job's directory of metadata files the file daemon reads (target: its path), removed at the job's end.</summary>
    public const string WorkDirectory = "work directory";
    /// <summary>A snapshot of one disk (vdi-export; target: the VM's UUID; facts: name, and the snapshot VDI's UUID once made).</summary>
    public const string VdiSnapshot = "vdi snapshot";
    public const string Endpoint = "endpoint";
    public const string PasswordFile = "password file";
    public const string CaFile = "ca file";
    public const string Name = "name";
    public const string Snapshot = "snapshot";

    /// <summary>The reason our blocked start carries (how the undo knows the block is ours).</summary>
    public const string BlockReason = "backup-plugins: exporting this VM";

    /// <summary>What the sweep needs to reach XAPI again as the job did: its endpoint, password file and CA file.</summary>
    public static Dictionary<string, string> Facts(XapiEndpoint endpoint, string? passwordFile)
    {
        var facts = new Dictionary<string, string> { [Endpoint] = endpoint.ToString() };
        if (passwordFile is not null)
        {
            facts[PasswordFile] = passwordFile;
        }
        if (endpoint.CaFile is not null)
        {
            facts[CaFile] = endpoint.CaFile;
        }
        return facts;
    }

    /// <summary>Destroys the snapshot (and its disks) or lifts the block; a note when there was nothing to do.</summary>
    public static async Task<string?> UndoAsync(XenApi api, JournalEntry entry, CancellationToken ct)
    {
        if (entry.Kind == WorkDirectory)
        {
            return RemoveWorkDirectory(entry);
        }
        if (entry.Kind == VdiSnapshot)
        {
            if (entry.Fact(Snapshot) is not { } vdiUuid)
            {
                return "XAPI never said the disk snapshot's UUID: nothing known to destroy; look for a disk named " + entry.Fact(Name);
            }
            if (await api.VdiByUuidAsync(vdiUuid, ct) is not { } vdi)
            {
                return "already gone";
            }
            await api.DestroyVdiSnapshotAsync(vdi, ct);
            return null;
        }
        var vm = await api.VmByUuidAsync(entry.Target, ct);
        if (entry.Kind == BlockedStart)
        {
            if (vm is null)
            {
                return "the VM is gone";
            }
            if (vm.BlockedOperations.GetValueOrDefault("start") != BlockReason)
            {
                return "its start is not blocked by us: left alone";
            }
            await api.RemoveBlockedOperationAsync(vm, "start", ct);
            return null;
        }
        VmRecord? snapshot;
        if (entry.Fact(Snapshot) is { } uuid)
        {
            snapshot = await api.VmByUuidAsync(uuid, ct);
            if (snapshot is null)
            {
                return "already gone";
            }
        }
        else
        {
            if (vm is null)
            {
                return "the VM is gone, and XAPI never said the snapshot's UUID: nothing known to destroy";
            }
            var named = await api.SnapshotsNamedAsync(vm, entry.Fact(Name) ?? "", ct);
            if (named.Count != 1)
            {
                return named.Count == 0
                    ? "never made"
                    : $"{named.Count} snapshots of {vm.Name} are named {entry.Fact(Name)} and XAPI never said which is ours: left for the operator";
            }
            snapshot = named[0];
        }
        if (!snapshot.IsSnapshot || (vm is not null && snapshot.SnapshotOf != vm.Ref))
        {
            return $"{snapshot.Name} ({snapshot.Uuid}) is not a snapshot of {entry.Target}: left alone";
        }
        await api.DestroySnapshotAsync(snapshot, ct);
        return null;
    }

    /// <summary>Removes a job's work directory (no XAPI needed).</summary>
    public static string? RemoveWorkDirectory(JournalEntry entry)
    {
        if (!Directory.Exists(entry.Target))
        {
            return "already gone";
        }
        Directory.Delete(entry.Target, recursive: true);
        return null;
    }
}
