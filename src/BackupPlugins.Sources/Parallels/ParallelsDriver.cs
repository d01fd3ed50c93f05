// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using System.Globalization;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;
using BackupPlugins.Sources.Prlctl;

namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// Backs up one Parallels / Virtuozzo VM's bundle, file by file. Prepare: lock, the VM by name or UUID (then only by
/// UUID), its state, its bundle, and for suspend-clone that the bundle's file system makes reflinks (before anything is
/// suspended). Snapshot: a running (or paused) VM is made consistent as <see cref="Consistency"/> says — suspended for
/// the moment of a reflink clone, suspended for the job, or snapshotted; a stopped or suspended VM is not touched (its
/// bundle is cloned if it can be, so a start during the job changes nothing read). Entries: the bundle's files, named
/// as in the bundle (sparse images stay sparse), the clone's ctimes replaced by the originals' so that an Incremental
/// sends only what changed. Every suspend, clone and snapshot is journaled before it is made and undone on every path.
/// Restores: <see cref="ParallelsRestore"/>.
/// </summary>
public sealed class ParallelsDriver(ParallelsSettings settings, ParallelsOptions options, JobContext context) : ISourceDriver, IRestoreDriver
{
    private readonly PrlctlTool _prlctl = new(settings.Prlctl, settings.CommandTimeoutSeconds, context.Tools, context.Session);
    private PrlctlVmInfo? _vm;
    private BundleClone? _clone;
    private string? _read;
    private ParallelsRestore? _restore;

    private PrlctlVmInfo Vm => _vm ?? throw new InvalidOperationException("not prepared");
    private bool Active => Vm.State is "running" or "paused";

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var wanted = options.Vm ?? throw BackupPluginException.BadOption("parallels.vm",
            "option \"vm\" is required for a parallels backup: give the virtual machine's name or UUID (FileSet or FD Plugin Options vm=…)");
        await JobLock.TakeAsync(context, options.LockFile, options.LockTimeout, cancellationToken);
        _vm = await _prlctl.VmInfoAsync(wanted, cancellationToken) ?? throw new BackupPluginException(ErrorKind.NotFound,
            "parallels.not-found", $"vm={wanted}: prlctl knows no virtual machine of that name or UUID on this host");
        if (Vm.State is not ("running" or "paused" or "stopped" or "suspended"))
        {
            throw new BackupPluginException(ErrorKind.Precondition, "parallels.state",
                $"virtual machine {Vm.Name} ({Vm.Uuid}) is {Vm.State}; it must be running, paused, suspended or stopped to be backed up");
        }
        if (!File.Exists(Path.Combine(Vm.Home, "config.pvs")))
        {
            throw new BackupPluginException(ErrorKind.NotFound, "parallels.bundle",
                $"virtual machine {Vm.Name}: its bundle {Vm.Home} (prlctl's Home) holds no config.pvs");
        }
        if (options.Consistency == Consistency.SuspendClone)
        {
            _clone = new BundleClone(Vm.Home, Vm.Uuid);
            _clone.CheckAbsent();
            if (await _clone.ProbeAsync(context.Tools, context.Session, cancellationToken) is { } why)
            {
                if (Active)
                {
                    throw BackupPluginException.BadOption("parallels.consistency",
                        $"consistency=suspend-clone needs reflinks, and the file system of {Vm.Home} makes none ({why}); nothing was " +
                        "suspended. Use consistency=suspend (the VM stays suspended while Bareos reads it) or consistency=snapshot");
                }
                _clone = null; // a VM that does not run is read where it is
            }
        }
    }

    public async Task SnapshotAsync(CancellationToken cancellationToken)
    {
        _read = Vm.Home;
        if (!Active)
        {
            if (_clone is not null)
            {
                await CloneAsync(cancellationToken);
            }
            context.Messages.Info($"parallels: {Vm.Name} is {Vm.State}: its bundle is read as it is{(_clone is null ? "" : " (from a reflink clone)")}, nothing suspended");
            return;
        }
        switch (options.Consistency)
        {
            case Consistency.SuspendClone:
                var suspended = await SuspendAsync(cancellationToken);
                var watch = Stopwatch.StartNew();
                await CloneAsync(cancellationToken);
                await context.Ledger.UndoNowAsync(suspended);
                context.Messages.Info(string.Create(CultureInfo.InvariantCulture,
                    $"parallels: {Vm.Name} was suspended for {watch.Elapsed.TotalSeconds:0.00} s (reflink clone of its bundle), and runs again"));
                break;
            case Consistency.Suspend:
                await SuspendAsync(cancellationToken);
                context.Messages.Info($"parallels: {Vm.Name} is suspended until the backup of its bundle ends (consistency=suspend)");
                break;
            case Consistency.Snapshot:
                await SnapshotVmAsync(cancellationToken);
                break;
        }
    }

    private async Task<JournalEntry> SuspendAsync(CancellationToken cancellationToken)
    {
        var entry = context.Ledger.AddDurable(ParallelsEffects.Source, ParallelsEffects.Suspend, Vm.Uuid, $"resume VM {Vm.Name}",
            (e, ct) => ParallelsEffects.UndoAsync(context.Tools, e, context.Session, ct),
            new Dictionary<string, string> { [ParallelsEffects.Prlctl] = settings.Prlctl, [ParallelsEffects.Name] = Vm.Name });
        await _prlctl.ChangeStateAsync(Vm.Uuid, "suspend", "suspended", cancellationToken);
        return entry;
    }

    private async Task CloneAsync(CancellationToken cancellationToken)
    {
        var clone = _clone!;
        context.Ledger.AddDurable(ParallelsEffects.Source, ParallelsEffects.Clone, clone.ClonePath, $"remove {clone.ClonePath}",
            (e, ct) => ParallelsEffects.UndoAsync(context.Tools, e, context.Session, ct));
        Directory.CreateDirectory(clone.Holder);
        await context.Tools.RunAsync(clone.Command(TimeSpan.FromSeconds(settings.CommandTimeoutSeconds), context.Session), cancellationToken);
        _read = clone.ClonePath;
    }

    private async Task SnapshotVmAsync(CancellationToken cancellationToken)
    {
        var name = $"bp-{context.Job.JobId}";
        var entry = context.Ledger.AddDurable(ParallelsEffects.Source, ParallelsEffects.Snapshot, Vm.Uuid, $"delete snapshot {name} of VM {Vm.Name}",
            (e, ct) => ParallelsEffects.UndoAsync(context.Tools, e, context.Session, ct),
            new Dictionary<string, string> { [ParallelsEffects.Prlctl] = settings.Prlctl, [ParallelsEffects.Name] = Vm.Name });
        var id = await _prlctl.SnapshotAsync(Vm.Uuid, name,
            $"made by backup-plugins for Bareos job {context.Job.JobId} ({context.Job.JobName}); deleted when the job ends", cancellationToken);
        context.Ledger.Note(entry, ParallelsEffects.SnapshotId, id);
        context.Messages.Info($"parallels: snapshot {name} {{{id}}} of {Vm.Name} taken; the VM runs on. A restored bundle returns to it with " +
                              $"`prlctl snapshot-switch <vm> -i {{{id}}}`");
    }

    public IEnumerable<BackupItem> Enumerate(CancellationToken cancellationToken)
    {
        var read = _read ?? throw new InvalidOperationException("no snapshot");
        var walker = new TreeWalker(PosixPath.FromString(read), new PathFilter(options.Exclude));
        if (read == Vm.Home)
        {
            foreach (var item in walker.Walk(cancellationToken))
            {
                yield return item;
            }
            yield break;
        }
        var names = new NamePrefix(PosixPath.FromString(read), PosixPath.FromString(Vm.Home));
        foreach (var item in walker.Walk(cancellationToken))
        {
            yield return WithOriginalCtime(names.Rename(item));
        }
    }

    /// <summary>
    /// A clone's files are new inodes (new ctimes) with the original's times and content: the original's ctime says when
    /// the content last changed (or later, if the running VM wrote since: then it is sent, which is safe).
    /// </summary>
    private static BackupItem WithOriginalCtime(BackupItem item) =>
        FileSystem.TryLStat(item.Name, out var original, out _) && (original.Mode & 0xF000) == (item.Stat.Mode & 0xF000)
            ? item with { Stat = item.Stat with { Ctime = original.Ctime, CtimeNsec = original.CtimeNsec } }
            : item;

    // ---- restore: see ParallelsRestore ----------------------------------------------------------------------
    public async Task BeginRestoreAsync(CancellationToken cancellationToken)
    {
        _restore = new ParallelsRestore(options, context, _prlctl);
        await _restore.BeginAsync(cancellationToken);
    }

    public CreateResult Create(RestoreItem item) => Restore.Create(item);

    public Task ReceiveDataAsync(RestoreItem item, Stream data, CancellationToken cancellationToken) =>
        throw new NotSupportedException("parallels restores write data through a path, never a data socket");

    public void Finish(RestoreItem item, RestoreMetadata metadata) => Restore.Finish(item, metadata);

    public Task EndRestoreAsync(CancellationToken cancellationToken) => Restore.EndAsync(cancellationToken);

    private ParallelsRestore Restore => _restore ?? throw new InvalidOperationException("restore not begun");
}
