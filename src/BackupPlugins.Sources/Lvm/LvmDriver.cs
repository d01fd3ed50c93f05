// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Sources.Lvm;

/// <summary>
/// Backs up a logical volume's files from a snapshot. Prepare: lock, the volume exists and is no snapshot, no volume of
/// the snapshot's name. Snapshot: <c>lvcreate --snapshot bp-&lt;lv&gt;-&lt;jobid&gt;</c>, mounted read-only (with
/// <c>nouuid</c> for XFS, <c>noload</c> for ext3/4) at the fixed <c>&lt;MountRoot&gt;/&lt;vg&gt;/&lt;snapshot&gt;</c>,
/// then the <c>bind=</c> paths mounted read-only into it; each recorded in the journal before it is made. While the
/// job reads, <see cref="FillWatch"/> looks at the snapshot's fill: a warning above <c>fill_limit</c>, and a failed job
/// when it overflows. Entries: the same walker as <c>dir</c> over the snapshot, named as under the volume's live mount
/// point (or <c>/@lvm/&lt;vg&gt;/&lt;lv&gt;</c> when it is not mounted), so Incremental and Accurate work as for dir.
/// Restores: files into where (or in place under the live mount point), as dir restores.
/// </summary>
public sealed class LvmDriver(LvmTool lvm, LvmOptions options, LvmSettings settings, JobContext context) : ISourceDriver, IRestoreDriver
{
    private string _catalogRoot = "";
    private string? _mountPoint;
    private FillWatch? _watch;
    private TreeRestorer? _restorer;

    private string SnapshotName => $"bp-{options.Lv}-{context.Job.JobId}";
    private string Volume => $"{options.Vg}/{options.Lv}";

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await JobLock.TakeAsync(context, options.LockFile, options.LockTimeout, cancellationToken);
        var origin = await lvm.FindAsync(options.Vg, options.Lv, cancellationToken)
                     ?? throw new BackupPluginException(ErrorKind.NotFound, "lvm.lv", $"lvm: logical volume {Volume} does not exist (lvs); check vg= and lv=");
        if (origin.IsSnapshot)
        {
            throw BackupPluginException.BadOption("lvm.lv", $"lvm: {Volume} is a snapshot itself (LVM makes no snapshot of a snapshot): name its origin {origin.Origin}");
        }
        if (await lvm.FindAsync(options.Vg, SnapshotName, cancellationToken) is { } stale)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "lvm.snapshot-exists",
                $"lvm: a volume {options.Vg}/{SnapshotName} exists already (UUID {stale.Uuid}) and no job of this host recorded it; remove it " +
                $"(lvremove {options.Vg}/{SnapshotName}) or run the job again");
        }
        foreach (var path in options.Bind.Where(p => !Directory.Exists(p)))
        {
            throw BackupPluginException.BadOption("lvm.bind", $"lvm: bind={path} is not a directory on this machine");
        }
        _catalogRoot = LiveMountPoint(lvm.Device(options.Vg, options.Lv)) ?? $"/@lvm/{options.Vg}/{options.Lv}";
    }

    public async Task SnapshotAsync(CancellationToken cancellationToken)
    {
        var snapshot = context.Ledger.AddDurable(LvmEffects.Source, LvmEffects.Snapshot, $"{options.Vg}/{SnapshotName}",
            $"lvremove {options.Vg}/{SnapshotName}", (entry, ct) => UndoAsync(entry, ct),
            new Dictionary<string, string> { [LvmEffects.Origin] = Volume });
        await lvm.CreateSnapshotAsync(options.Vg, options.Lv, SnapshotName, options.SnapshotSize, cancellationToken);
        var made = await lvm.FindAsync(options.Vg, SnapshotName, cancellationToken)
                   ?? throw new BackupPluginException(ErrorKind.Failed, "lvm.snapshot", $"lvm: lvcreate answered, and lvs finds no {options.Vg}/{SnapshotName}");
        context.Ledger.Note(snapshot, LvmEffects.Uuid, made.Uuid);
        context.Messages.Info(string.Create(CultureInfo.InvariantCulture,
            $"lvm: snapshot {options.Vg}/{SnapshotName} of {Volume} taken ({options.SnapshotSize}: {made.Size} bytes of copy-on-write space)"));
        _watch = FillWatch.Start(lvm, options.Vg, SnapshotName, options.FillLimit, TimeSpan.FromSeconds(settings.FillPollSeconds),
            context.Messages.Warning);
        context.Ledger.Add($"stop watching {options.Vg}/{SnapshotName}", _ => _watch.StopAsync());

        var device = lvm.Device(options.Vg, SnapshotName);
        _mountPoint = Path.Combine(settings.MountRoot, options.Vg, SnapshotName);
        context.Ledger.AddDurable(LvmEffects.Source, LvmEffects.MountPoint, _mountPoint, $"remove mount point {_mountPoint}", UndoAsync);
        Directory.CreateDirectory(_mountPoint);
        var type = SuperBlock.Probe(device);
        var mountOptions = SuperBlock.MountOptions(type);
        context.Ledger.AddDurable(LvmEffects.Source, LvmEffects.Mount, _mountPoint, $"unmount {_mountPoint}", UndoAsync,
            new Dictionary<string, string> { [LvmEffects.Device] = device });
        await lvm.MountAsync(device, _mountPoint, mountOptions, cancellationToken);
        context.Messages.Info($"lvm: {device} ({type ?? "file system unknown"}) mounted at {_mountPoint} with -o {mountOptions}");
        foreach (var path in options.Bind)
        {
            var target = _mountPoint + path;
            if (!Directory.Exists(target))
            {
                throw BackupPluginException.BadOption("lvm.bind",
                    $"lvm: bind={path}: the volume has no directory {path} to mount it on; create it on {Volume} (an empty directory)");
            }
            context.Ledger.AddDurable(LvmEffects.Source, LvmEffects.BindMount, target, $"unmount {target}", UndoAsync);
            await lvm.BindReadOnlyAsync(path, target, cancellationToken);
        }
        if (options.Blocker is { } blocker && GlobFinder.FindFirst(PosixPath.FromString(_mountPoint), blocker) is { } found)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "lvm.blocker",
                $"lvm: blocker file {PosixPath.Display(found)[_mountPoint.Length..]} exists in the snapshot of {Volume} (blocker={blocker}); " +
                "nothing was backed up. Remove it when the data is consistent again");
        }
    }

    private async Task UndoAsync(Core.Sessions.JournalEntry entry, CancellationToken cancellationToken)
    {
        if (await LvmEffects.UndoAsync(lvm, entry, cancellationToken) is { } note && entry.Kind == LvmEffects.Snapshot)
        {
            context.Messages.Warning($"lvm: {entry.Target}: {note}");
        }
    }

    public IEnumerable<BackupItem> Enumerate(CancellationToken cancellationToken)
    {
        var root = PosixPath.FromString(_mountPoint!);
        var names = new NamePrefix(root, PosixPath.FromString(_catalogRoot == "/" ? "" : _catalogRoot));
        foreach (var item in new TreeWalker(root, new PathFilter(options.Exclude, options.Subdirs)).Walk(cancellationToken))
        {
            _watch!.ThrowIfOverflowed();
            var renamed = names.Rename(item);
            yield return renamed.Name.Length == 0 ? renamed with { Name = "/"u8.ToArray() } : renamed; // the root of a volume mounted at /
        }
    }

    /// <summary>Every file has been read: did the snapshot hold until the end?</summary>
    public Task VerifyAsync(CancellationToken cancellationToken) => _watch!.CheckNowAsync(cancellationToken);

    /// <summary>Where the volume's own file system is mounted on this machine (its first mount), or null.</summary>
    private static string? LiveMountPoint(string device)
    {
        string resolved;
        try
        {
            resolved = new FileInfo(device).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? device;
        }
        catch (IOException)
        {
            return null;
        }
        if (!FileSystem.TryLStat(PosixPath.FromString(resolved), out var stat, out _) || (stat.Mode & PosixStat.TypeMask) != PosixStat.Blk)
        {
            return null;
        }
        var rdev = stat.Rdev;
        var major = (uint)(((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffUL));
        var minor = (uint)((rdev & 0xff) | ((rdev >> 12) & ~0xffUL));
        return MountTable.MountPointsOf(major, minor).FirstOrDefault();
    }

    // ---- restore: files, as dir ---------------------------------------------------------------------------------
    public Task BeginRestoreAsync(CancellationToken cancellationToken)
    {
        var where = context.Job.Where.TrimEnd('/');
        if (where.Length > 0 || context.Job.RegexWhere.Length > 0)
        {
            _restorer = new TreeRestorer(PosixPath.FromString(context.Job.RegexWhere.Length > 0 ? "/" : where));
        }
        else
        {
            var live = LiveMountPoint(lvm.Device(options.Vg, options.Lv))
                       ?? throw BackupPluginException.BadOption("lvm.where",
                           $"lvm: {Volume} is not mounted on this machine, so its files have no place to go back to: restore with where=DIR");
            _restorer = new TreeRestorer(PosixPath.FromString(live));
        }
        return JobLock.TakeAsync(context, options.LockFile, options.LockTimeout, cancellationToken);
    }

    public CreateResult Create(RestoreItem item) => Restorer.Create(item);

    public Task ReceiveDataAsync(RestoreItem item, Stream data, CancellationToken cancellationToken) =>
        throw new NotSupportedException("lvm restores write data through a path, never a data socket");

    public void Finish(RestoreItem item, RestoreMetadata metadata) => Restorer.Finish(item, metadata);

    public Task EndRestoreAsync(CancellationToken cancellationToken)
    {
        Restorer.Complete(context.Messages.Error);
        return Task.CompletedTask;
    }

    private TreeRestorer Restorer => _restorer ?? throw new InvalidOperationException("restore not begun");
}
