// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Tools;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Sources.Zfs.Sync;

/// <summary>How a sync runs (the command line).</summary>
public sealed record SyncOptions(bool ToUsb, string DeviceDir = "/dev/disk/by-partuuid", bool DryRun = false, bool Confirm = false,
    bool Rollback = false, bool ForceFull = false, bool Intermediates = true, int? Keep = null, string LockDir = "/run/lock");

/// <summary>The bytes a planned send would produce: from <c>zfs send -nP</c> (exact) or estimated from properties.</summary>
internal sealed record SendEstimate(long Bytes, bool Exact);

/// <summary>
/// zbackup's job done right: finds this host by pool GUID, imports the USB pool by partition UUID, snapshots each
/// volume (direction usb), sends full or incremental from the newest common snapshot found by GUID (<c>-I</c>),
/// refuses to roll back newer destination snapshots or to start over without a common base unless told to,
/// verifies the received GUID, holds the new common base on both sides, applies each side's retention without ever
/// touching it, and exports the pool. Exit code: 0, 1 (warnings), 2 (errors).
/// It runs in the host (a standalone job, <see cref="StandaloneJobRegistry"/>): the pool it imports is in the
/// <paramref name="ledger"/> and journal from before the import, so a stopped command exports it, and so does the
/// sweep after a crash (checked by the pool's GUID).
/// </summary>
public sealed class ZfsSync(ZfsTool zfs, ZbackupConfig config, SyncOptions options, IJobConsole console, CleanupLedger ledger,
    TimeProvider clock)
{
    private readonly TextWriter _output = console.Out;
    private int _warnings;
    private int _errors;
    private string _hold = "";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RunCoreAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is BackupPluginException or ToolFailedException or FormatException)
        {
            Error(ex.Message);
        }
        return _errors > 0 ? 2 : _warnings > 0 ? 1 : 0;
    }

    private async Task RunCoreAsync(CancellationToken cancellationToken)
    {
        if (config.TrueCrypt)
        {
            Warning($"{config.Path}: truecrypt = yes is not supported (the seed never ran it either); unlock the disk before the sync " +
                    "or use a LUKS or natively encrypted pool");
        }
        var (host, hostPool) = await IdentifyHostAsync(cancellationToken);
        _hold = $"bp-zsync-{hostPool}-{config.UsbPool}";
        await using var runLock = await LockAsync(hostPool, cancellationToken);
        await ImportAsync(cancellationToken);
        try
        {
            var (from, to) = options.ToUsb ? (hostPool, config.UsbPool) : (config.UsbPool, hostPool);
            await _output.WriteLineAsync($"zfs sync {from} -> {to} (host [{host.Section}], USB pool {config.UsbPool})" +
                                        (options.DryRun ? ": dry run, nothing is changed" : ""));
            var name = clock.GetLocalNow().ToString("yyyy-MM-dd_HH:mm:ss", CultureInfo.InvariantCulture);
            var synced = new List<(string Source, string Destination, ulong Common)>();
            foreach (var volume in host.Volumes)
            {
                var (source, destination) = (Dataset(from, volume), Dataset(to, volume));
                if (await VolumeAsync(source, destination, name, cancellationToken) is { } common)
                {
                    synced.Add((source, destination, common));
                }
            }
            foreach (var (source, destination, common) in synced)
            {
                await RetainAsync(source, KeepFor(source, hostPool, host), common, cancellationToken);
                await RetainAsync(destination, KeepFor(destination, hostPool, host), common, cancellationToken);
            }
            foreach (var (source, destination, plan) in _planned)
            {
                await PreviewRetentionAsync(source, KeepFor(source, hostPool, host), plan, cancellationToken);
                await PreviewRetentionAsync(destination, KeepFor(destination, hostPool, host), plan, cancellationToken);
            }
        }
        finally
        {
            await ExportAsync();
        }
    }

    private static string Dataset(string pool, string volume) => volume == "/" ? pool : pool + volume;

    private int KeepFor(string dataset, string hostPool, ZbackupHost host) =>
        options.Keep ?? (dataset.Split('/')[0] == hostPool ? host.KeepSnapshots : config.UsbKeepSnapshots);

    private async Task<(ZbackupHost, string)> IdentifyHostAsync(CancellationToken cancellationToken)
    {
        var guids = await zfs.PoolGuidsAsync(cancellationToken);
        foreach (var host in config.Hosts)
        {
            if (guids.FirstOrDefault(kv => kv.Value == host.Guid) is { Key: not null } match)
            {
                return (host, match.Key);
            }
        }
        throw new BackupPluginException(ErrorKind.NotFound, "zsync.host",
            $"{config.Path}: no [host…] section has the guid of a pool on this machine (zpool get guid: " +
            $"{string.Join(", ", guids.Select(kv => $"{kv.Key}={kv.Value}"))}); add this host's pool guid");
    }

    private async Task<IAsyncDisposable> LockAsync(string hostPool, CancellationToken cancellationToken)
    {
        var path = Path.Combine(options.LockDir, $"backup-plugins-zfs-sync-{hostPool}-{config.UsbPool}.lock");
        try
        {
            return await FileLock.AcquireAsync(path, TimeSpan.Zero, cancellationToken);
        }
        catch (BackupPluginException ex) when (ex.Code == "lock.timeout")
        {
            throw new BackupPluginException(ErrorKind.Precondition, "zsync.busy",
                $"another zfs sync of pools {hostPool} and {config.UsbPool} is running (lock {path}); try again when it has finished");
        }
    }

    private bool _imported;

    private async Task ImportAsync(CancellationToken cancellationToken)
    {
        var health = await zfs.PoolHealthAsync(cancellationToken);
        if (health.TryGetValue(config.UsbPool, out var state))
        {
            if (state != "ONLINE")
            {
                throw new BackupPluginException(ErrorKind.Precondition, "zsync.health",
                    $"USB pool {config.UsbPool} is {state}, not ONLINE; check the disk (zpool status {config.UsbPool}) before syncing");
            }
            _imported = true;
            return;
        }
        var device = Path.Combine(options.DeviceDir, config.PartUuid);
        if (!File.Exists(device))
        {
            throw new BackupPluginException(ErrorKind.NotFound, "zsync.device",
                $"USB disk not found: {device} does not exist ([{ZbackupConfig.UsbSection}] partuuid={config.PartUuid}); connect the disk");
        }
        _import = ledger.AddDurable(ZfsEffects.Source, ZfsEffects.PoolImport, config.UsbPool, $"export pool {config.UsbPool}",
            (entry, ct) => ZfsEffects.UndoAsync(zfs, entry, ct));
        await zfs.ImportAsync(config.UsbPool, options.DeviceDir, config.MountPoint, cancellationToken);
        _imported = true;
        _import = ledger.Note(_import, ZfsEffects.Guid, (await zfs.PoolGuidsAsync(cancellationToken))[config.UsbPool]);
        await _output.WriteLineAsync($"imported {config.UsbPool} from {device} under {config.MountPoint}");
    }

    private JournalEntry? _import;

    private async Task ExportAsync()
    {
        if (!_imported)
        {
            return;
        }
        try
        {
            if (_import is not null)
            {
                await ledger.UndoNowAsync(_import); // the import this job made, recorded: exported, and out of the journal
            }
            else
            {
                await zfs.ExportAsync(config.UsbPool, CancellationToken.None); // imported before the job started: exported as the seed did
            }
            await _output.WriteLineAsync($"exported {config.UsbPool}");
        }
        catch (Exception ex) when (ex is ToolFailedException or BackupPluginException or IOException) // IOException: the ledger's undo failed
        {
            Warning($"could not export {config.UsbPool}: {ex.Message}");
        }
    }

    /// <summary>One volume: snapshot (usb), plan, act. The GUID of the new common snapshot, or null.</summary>
    private async Task<ulong?> VolumeAsync(string source, string destination, string name, CancellationToken cancellationToken)
    {
        var sourceSnapshots = await zfs.SnapshotsAsync(source, cancellationToken);
        if (sourceSnapshots is null)
        {
            Error($"{source}: the dataset does not exist; nothing to send");
            return null;
        }
        if (options.ToUsb)
        {
            if (options.DryRun)
            {
                sourceSnapshots = [.. sourceSnapshots, new ZfsSnapshot(source, name, 0, ulong.MaxValue)];
            }
            else if (sourceSnapshots.All(s => s.Name != name)) // a run in the same second (e.g. a retry) already made it
            {
                await zfs.SnapshotAsync($"{source}@{name}", cancellationToken);
                sourceSnapshots = (await zfs.SnapshotsAsync(source, cancellationToken))!;
            }
        }
        var destinationSnapshots = await zfs.SnapshotsAsync(destination, cancellationToken);
        var plan = SyncPlanner.Plan(sourceSnapshots, destinationSnapshots, options.Rollback, options.ForceFull);
        var estimate = await DescribeAsync(source, destination, plan, sourceSnapshots, cancellationToken);
        if (plan.Refused || options.DryRun)
        {
            if (!plan.Refused)
            {
                _planned.Add((source, destination, plan));
            }
            return null;
        }
        var executor = new VolumeTransfer(zfs, options, console, sourceSnapshots, destinationSnapshots, estimate);
        if (!await executor.RunAsync(plan, destination, cancellationToken))
        {
            _errors++;
            return null;
        }
        await HoldAsync(source, destination, plan.Target!, cancellationToken);
        return plan.Target!.Guid;
    }

    /// <summary>The plan's line; the size of what it sends, when it sends something that exists.</summary>
    private async Task<SendEstimate?> DescribeAsync(string source, string destination, VolumePlan plan, IReadOnlyList<ZfsSnapshot> sourceSnapshots,
        CancellationToken cancellationToken)
    {
        var target = plan.Target?.Guid == 0 ? $"{plan.Target.FullName} (new)" : plan.Target?.FullName;
        switch (plan.Action)
        {
            case SyncAction.NoSource:
                Error($"{source}: has no snapshot to send");
                return null;
            case SyncAction.Nothing:
                await _output.WriteLineAsync($"{source} -> {destination}: nothing to send, both have {plan.Target!.FullName}");
                return null;
            case SyncAction.RefuseNewerOnDestination:
                Error($"{destination} has snapshots newer than the common one {plan.Base!.Name}: " +
                      $"{string.Join(", ", plan.NewerOnDestination.Select(s => s.Name))}; --rollback destroys them and sends the rest");
                return null;
            case SyncAction.RefuseNoCommonBase:
                Error($"{source} and {destination} have no snapshot in common; --force-full destroys every snapshot of " +
                      $"{destination} ({string.Join(", ", plan.NewerOnDestination.Select(s => s.Name))}) and sends {plan.Target!.Name} in full");
                return null;
        }
        var size = plan.Target!.Guid == 0 ? null : await EstimateAsync(plan, sourceSnapshots, cancellationToken);
        var estimate = size is not { } known ? "size unknown until the snapshot exists"
            : $"{(known.Exact ? "" : "~")}{known.Bytes} bytes{(known.Exact ? "" : " (estimated from properties; this zfs has no send -nP)")}";
        var how = plan.Action switch
        {
            SyncAction.Full => "full",
            SyncAction.ForceFull => $"full after destroying {plan.NewerOnDestination.Count} snapshot(s) of {destination}",
            SyncAction.RollbackThenIncremental => $"incremental from {plan.Base!.Name} after rolling {destination} back over " +
                                                  string.Join(", ", plan.NewerOnDestination.Select(s => s.Name)),
            _ => $"incremental from {plan.Base!.Name}",
        };
        await _output.WriteLineAsync($"{source} -> {destination}: {(options.DryRun ? "would send" : "sending")} {target}, {how}, {estimate}");
        return size;
    }

    private async Task<SendEstimate> EstimateAsync(VolumePlan plan, IReadOnlyList<ZfsSnapshot> sourceSnapshots, CancellationToken cancellationToken)
    {
        var from = plan.Action is SyncAction.Incremental or SyncAction.RollbackThenIncremental ? plan.Base : null;
        var between = sourceSnapshots.Where(s => from is not null && s.CreateTxg > from.CreateTxg && s.CreateTxg < plan.Target!.CreateTxg).ToList();
        var (bytes, exact) = await zfs.EstimateAsync(plan.Target!.FullName, from?.FullName, options.Intermediates, between, cancellationToken);
        return new SendEstimate(bytes, exact);
    }

    /// <summary>The new common snapshot is held on both sides; our older holds are released.</summary>
    private async Task HoldAsync(string source, string destination, ZfsSnapshot common, CancellationToken cancellationToken)
    {
        foreach (var dataset in new[] { source, destination })
        {
            await zfs.HoldAsync(_hold, $"{dataset}@{common.Name}", cancellationToken);
            foreach (var held in (await zfs.SnapshotsAsync(dataset, cancellationToken))!.Where(s => s.UserRefs > 0 && s.Name != common.Name))
            {
                await zfs.ReleaseAsync(_hold, held.FullName, cancellationToken);
            }
        }
    }

    private readonly List<(string Source, string Destination, VolumePlan Plan)> _planned = [];

    /// <summary>--dry-run: what retention would destroy once the planned snapshot is on both sides.</summary>
    private async Task PreviewRetentionAsync(string dataset, int keep, VolumePlan plan, CancellationToken cancellationToken)
    {
        var snapshots = (await zfs.SnapshotsAsync(dataset, cancellationToken) ?? []).ToList();
        if (snapshots.All(s => s.Guid != plan.Target!.Guid || plan.Target.Guid == 0))
        {
            snapshots.Add(plan.Target! with { Dataset = dataset, CreateTxg = ulong.MaxValue });
        }
        var expired = SyncPlanner.Expired(snapshots, keep, new HashSet<ulong> { plan.Target!.Guid });
        if (expired.Count > 0)
        {
            await _output.WriteLineAsync($"{dataset}: would destroy {string.Join(", ", expired.Select(s => s.Name))} (keeping the newest {keep})");
        }
    }

    private async Task RetainAsync(string dataset, int keep, ulong common, CancellationToken cancellationToken)
    {
        var snapshots = await zfs.SnapshotsAsync(dataset, cancellationToken) ?? [];
        var expired = SyncPlanner.Expired(snapshots, keep, new HashSet<ulong> { common });
        if (expired.Count == 0)
        {
            return;
        }
        var names = string.Join(", ", expired.Select(s => s.Name));
        if (options.Confirm && !await console.AskAsync($"destroy {expired.Count} snapshot(s) of {dataset} beyond the newest {keep}: {names}?", cancellationToken))
        {
            Warning($"{dataset}: retention skipped, as answered");
            return;
        }
        foreach (var snapshot in expired)
        {
            try
            {
                await zfs.DestroyAsync(snapshot.FullName, cancellationToken);
                await _output.WriteLineAsync($"destroyed {snapshot.FullName} (keeping the newest {keep})");
            }
            catch (ToolFailedException ex)
            {
                Warning($"could not destroy {snapshot.FullName}: {ex.Message}");
            }
        }
    }

    private void Error(string text)
    {
        _errors++;
        _output.WriteLine("error: " + text);
    }

    private void Warning(string text)
    {
        _warnings++;
        _output.WriteLine("warning: " + text);
    }
}
