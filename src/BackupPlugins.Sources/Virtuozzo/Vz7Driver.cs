// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using BackupPlugins.Core.Trees;
using BackupPlugins.Sources.Prlctl;

namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>
/// Backs up one Virtuozzo 7 container without downtime. Prepare: lock, the container exists and is running or
/// stopped, one ploop image and no foreign snapshot, no blocker inside it. Snapshot: a running container gets a
/// ploop snapshot (file system synced and frozen for the moment it takes), the frozen image chain is mounted
/// read-only under <c>bp-&lt;uuid&gt;</c>; a stopped one has its base image mounted. Entries: the private area
/// (config; not the images) and then the container's files, named as the seed plugin named them. Every step is in
/// the ledger, so unmount, snapshot merge and unlock happen on every path. Restores: <see cref="Vz7Restore"/>.
/// </summary>
public sealed class Vz7Driver(Vz7Settings settings, Vz7Options options, JobContext context) : ISourceDriver, IRestoreDriver
{
    private readonly PloopTool _ploop = new(settings, context.Tools, context.Session);
    private readonly PrlctlTool _prlctl = new(settings.Prlctl, settings.CommandTimeoutSeconds, context.Tools, context.Session);
    private Vz7Layout? _layout;
    private PrlctlContainer? _container;
    private string? _topDelta;
    private Vz7Restore? _restore;

    private Vz7Layout Layout => _layout ?? throw new InvalidOperationException("not prepared");

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var uuid = options.Uuid ?? throw BackupPluginException.BadOption("vz7.uuid",
            "option \"uuid\" is required for a vz7 backup: give the container's UUID (FD Plugin Options uuid=…)");
        _layout = new Vz7Layout(settings, uuid);
        await JobLock.TakeAsync(context, options.LockFile, options.LockTimeout, cancellationToken);
        _container = await FindContainerAsync(cancellationToken);
        var snapshots = await _ploop.ListSnapshotsAsync(Layout.DiskDescriptor, cancellationToken);
        CheckSnapshots(snapshots);
        if (MountTable.IsMountPoint(Layout.BackupMount))
        {
            throw new BackupPluginException(ErrorKind.Precondition, "vz7.busy",
                $"{Layout.BackupMount} is already mounted: another backup of container {uuid} runs, or a crashed one left it " +
                "(run `backup-plugins sweep`)");
        }
        if (_container.Status == "running" && options.Blocker is { } blocker
            && GlobFinder.FindFirst(PosixPath.FromString(Layout.RunningRoot), blocker) is { } found)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "vz7.blocker",
                $"blocker file {PosixPath.Display(found)} exists in container {_container.Name} (blocker={blocker}); " +
                "nothing was snapshotted or backed up. Remove it when the container's data is consistent again");
        }
    }

    private async Task<PrlctlContainer> FindContainerAsync(CancellationToken cancellationToken)
    {
        var uuid = Layout.Uuid;
        var ct = await _prlctl.FindAsync(uuid, cancellationToken) ?? throw new BackupPluginException(ErrorKind.NotFound,
            "vz7.not-found", $"container {uuid} does not exist on this host (prlctl list shows no container with that UUID)");
        if (options.Name is { } name && name != ct.Name)
        {
            throw BackupPluginException.BadOption("vz7.name",
                $"name={name} does not match container {uuid}, which is named \"{ct.Name}\"; fix name= or uuid=");
        }
        if (ct.Status is not ("running" or "stopped"))
        {
            throw new BackupPluginException(ErrorKind.Precondition, "vz7.state",
                $"container {ct.Name} ({uuid}) is {ct.Status}; it must be running or stopped to be backed up");
        }
        return ct;
    }

    private void CheckSnapshots(IReadOnlyList<PloopSnapshot> snapshots)
    {
        if (snapshots.FirstOrDefault(s => s.Uuid.StartsWith(Vz7Layout.SnapshotPrefix, StringComparison.Ordinal)) is { } ours)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "vz7.leftover",
                $"container {Layout.Uuid} still has snapshot {{{ours.Uuid}}} from an earlier backup that did not finish; " +
                "run `backup-plugins sweep` to merge it (a snapshot that no job of this host recorded is only reported: merge it " +
                $"with `ploop snapshot-delete -u {ours.Uuid} {Layout.DiskDescriptor}` once you know no backup uses it)");
        }
        if (snapshots.Count != 1)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "vz7.images",
                $"container {Layout.Uuid} has {snapshots.Count} ploop images ({string.Join(", ", snapshots.Select(s => "{" + s.Uuid + "}"))}); " +
                "only a container with exactly one image and no snapshot of its own can be backed up: merge or delete its snapshots first");
        }
    }

    public async Task SnapshotAsync(CancellationToken cancellationToken)
    {
        var running = _container!.Status == "running";
        string mountUuid;
        if (running)
        {
            mountUuid = Vz7Layout.NewSnapshotUuid();
            var made = false;
            context.Ledger.AddDurable(Vz7Effects.Source, Vz7Effects.Snapshot, mountUuid, $"merge snapshot {{{mountUuid}}} of container {Layout.Uuid}",
                (entry, ct) => MergeAsync(entry, made, ct), new Dictionary<string, string> { [Vz7Effects.DiskDescriptor] = Layout.DiskDescriptor });
            var watch = Stopwatch.StartNew();
            await _ploop.SnapshotAsync(mountUuid, Layout.DiskDescriptor, cancellationToken);
            made = true;
            var frozen = watch.Elapsed;
            context.Messages.Info($"vz7: snapshot {{{mountUuid}}} of container {_container.Name} taken; its file system was synced " +
                $"and frozen for {frozen.TotalSeconds:0.000} s");
            var after = await _ploop.ListSnapshotsAsync(Layout.DiskDescriptor, cancellationToken);
            if (after.FirstOrDefault(s => s.Uuid == mountUuid) is not { Current: false })
            {
                throw new BackupPluginException(ErrorKind.Failed, "vz7.snapshot",
                    $"ploop snapshot {{{mountUuid}}} is not an inactive image of {Layout.DiskDescriptor} after it was taken");
            }
            _topDelta = after.Single(s => s.Current).File;
        }
        else
        {
            mountUuid = (await _ploop.ListSnapshotsAsync(Layout.DiskDescriptor, cancellationToken)).Single().Uuid;
        }
        Directory.CreateDirectory(settings.MountRoot);
        context.Ledger.AddDurable(Vz7Effects.Source, Vz7Effects.MountPoint, Layout.BackupMount, $"remove mount point {Layout.BackupMount}",
            (entry, ct) => Vz7Effects.UndoAsync(_ploop, entry, ct));
        Directory.CreateDirectory(Layout.BackupMount);
        context.Ledger.AddDurable(Vz7Effects.Source, Vz7Effects.Mount, Layout.BackupMount, $"unmount {Layout.BackupMount}", UnmountAsync,
            new Dictionary<string, string> { [Vz7Effects.DiskDescriptor] = Layout.DiskDescriptor, [Vz7Effects.Component] = Layout.BaseImage });
        await _ploop.MountReadOnlyAsync(Layout.BaseImage, mountUuid, Layout.BackupMount, Layout.DiskDescriptor, cancellationToken);
        context.Messages.Info($"vz7: {(running ? "snapshot" : "image of stopped container")} {{{mountUuid}}} mounted read-only at {Layout.BackupMount}");
    }

    private async Task MergeAsync(JournalEntry snapshot, bool made, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        string? note;
        try
        {
            note = await Vz7Effects.UndoAsync(_ploop, snapshot, cancellationToken, made);
        }
        catch (Exception ex) when (ex is ToolFailedException or FormatException)
        {
            throw new BackupPluginException(ErrorKind.Failed, "vz7.merge",
                $"{ex.Message}; the container keeps running on top of the snapshot until it is merged: run `backup-plugins sweep` " +
                "when no job runs", ex);
        }
        if (note is null)
        {
            context.Messages.Info($"vz7: snapshot {{{snapshot.Target}}} merged back into container {Layout.Uuid} in {watch.Elapsed.TotalSeconds:0.0} s");
        }
    }

    private async Task UnmountAsync(JournalEntry mount, CancellationToken cancellationToken)
    {
        if (await Vz7Effects.UndoAsync(_ploop, mount, cancellationToken) is null)
        {
            context.Messages.Info($"vz7: unmounted {Layout.BackupMount}");
        }
    }

    public IEnumerable<BackupItem> Enumerate(CancellationToken cancellationToken)
    {
        var images = new List<string> { Layout.DiskDescriptor, Layout.BaseImage };
        if (_topDelta is not null)
        {
            images.Add(_topDelta);
        }
        var configExcludes = images
            .Where(p => p.StartsWith(Layout.PrivateDir + "/", StringComparison.Ordinal))
            .Select(p => p[Layout.PrivateDir.Length..]);
        foreach (var item in new TreeWalker(PosixPath.FromString(Layout.PrivateDir), new PathFilter(configExcludes)).Walk(cancellationToken))
        {
            yield return item;
        }
        var names = new NamePrefix(PosixPath.FromString(Layout.BackupMount), PosixPath.FromString(Layout.CatalogRoot));
        var walker = new TreeWalker(PosixPath.FromString(Layout.BackupMount), new PathFilter(options.Exclude), oneFileSystem: true);
        foreach (var item in walker.Walk(cancellationToken))
        {
            yield return names.Rename(item);
        }
    }

    // ---- restore: see Vz7Restore --------------------------------------------------------------------------
    public async Task BeginRestoreAsync(CancellationToken cancellationToken)
    {
        _restore = new Vz7Restore(settings, options, context, _ploop, _prlctl);
        await _restore.BeginAsync(cancellationToken);
    }

    public CreateResult Create(RestoreItem item) => Restore.Create(item);

    public Task ReceiveDataAsync(RestoreItem item, Stream data, CancellationToken cancellationToken) =>
        throw new NotSupportedException("vz7 restores write data through a path, never a data socket");

    public void Finish(RestoreItem item, RestoreMetadata metadata) => Restore.Finish(item, metadata);

    public Task EndRestoreAsync(CancellationToken cancellationToken) => Restore.EndAsync(cancellationToken);

    private Vz7Restore Restore => _restore ?? throw new InvalidOperationException("restore not begun");
}
