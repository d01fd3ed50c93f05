// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using System.Text;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;
using BackupPlugins.Sources.Xen.Backup;

namespace BackupPlugins.Sources.Xen;

/// <summary>
/// Backs up XenServer / XCP-ng VMs with no staging space. Prepare: lock, a XenAPI session (logged out last), the VMs
/// <c>vm=</c> selects (VmBackup.py's rules). Snapshot: per VM, a snapshot named <c>bp-&lt;jobid&gt;</c> (a halted VM: its
/// start blocked instead; vdi-export: a snapshot of its xvda disk), journaled before it is made, and its metadata files
/// (VmBackup.py's vm.cfg, DISK-*/, VIFs/) in a work directory. Entries, per VM under <c>/@xen/&lt;vm&gt;/</c>: the
/// metadata files, then the export (<c>&lt;vm&gt;.xva</c>, <c>.raw</c> or <c>.vhd</c>), whose data is XAPI's HTTP export
/// body copied into the file daemon's data socket; the snapshot is destroyed as soon as its stream ends. mode=metadata:
/// <c>&lt;vm&gt;-metadata.xva</c>, XAPI's metadata export of the VM, which reads no disk and needs no snapshot.
/// Restores: <see cref="XenRestore"/>.
/// </summary>
public sealed class XenDriver(XenSettings settings, XenOptions options, JobContext context) : ISourceDriver, IRestoreDriver
{
    public const string Root = "/@xen/";
    private XenApi? _api;
    private readonly List<Exported> _vms = [];
    private string? _work;
    private XenRestore? _restore;

    /// <summary>A VM of the job: what is exported (the snapshot, the halted VM itself, or a disk snapshot) and its undo.</summary>
    private sealed record Exported(VmRecord Vm, string File)
    {
        public VmRecord? Source { get; set; }
        public VdiRecord? Disk { get; set; }
        public JournalEntry? Effect { get; set; }
    }

    private XenApi Api => _api ?? throw new InvalidOperationException("not logged in");

    internal static async Task<XenApi> LoginAsync(XenSettings settings, JobContext context, CancellationToken cancellationToken)
    {
        var endpoint = XapiEndpoint.Parse(settings.Endpoint) with { CaFile = settings.CaFile };
        var secrets = settings.PasswordFile is { } file ? XenSecrets.Load(file)
            : endpoint.IsLocal ? new XenSecrets("root", "", null, null)
            : throw new BackupPluginException(ErrorKind.Precondition, "xen.password",
                $"Sources:Xen:Endpoint is {endpoint}, not the local socket: set Sources:Xen:PasswordFile (a 0600 file with password=…)");
        XapiClient client;
        try
        {
            client = await XapiClient.LoginAsync(endpoint, secrets.User, secrets.Password, TimeSpan.FromSeconds(settings.CallTimeoutSeconds), cancellationToken);
        }
        catch (Exception ex) when (ex is XapiException or TimeoutException)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "xen.login", $"xen: cannot log in to XAPI at {endpoint}: {ex.Message}", ex);
        }
        context.Ledger.Add($"log out of XAPI at {endpoint}", _ => client.DisposeAsync().AsTask()); // undone last: the undos need the session
        return new XenApi(client);
    }

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var wanted = options.Vm ?? throw BackupPluginException.BadOption("xen.vm",
            "option \"vm\" is required for a xen backup: the VM's name, UUID, or a regex (FileSet or FD Plugin Options vm=…)");
        await JobLock.TakeAsync(context, options.LockFile, options.LockTimeout, cancellationToken);
        _api = await LoginAsync(settings, context, cancellationToken);
        var all = await Api.VmsAsync(cancellationToken);
        var selection = VmSelection.Resolve([new SelectorLine("vm-export", wanted, null, 0)],
            all.Where(v => v.IsGuest).Select(v => new XenVm(v.Uuid, v.Name)).ToList(), 1);
        if (selection.Errors.Count > 0 || selection.VmExport.Count == 0)
        {
            throw new BackupPluginException(ErrorKind.NotFound, "xen.vm",
                $"vm={wanted}: {string.Join("; ", selection.Errors.Concat(selection.Warnings).DefaultIfEmpty("it selects no VM of the pool"))}");
        }
        foreach (var selected in selection.VmExport)
        {
            var vm = all.Single(v => v.Uuid == selected.Uuid);
            var file = options.Mode switch
            {
                XenMode.VdiExport => $"{VmFileName.Of(vm.Name)}.{options.Format}",
                XenMode.Metadata => $"{VmFileName.Of(vm.Name)}-metadata.xva",
                _ => options.Compress ? $"{VmFileName.Of(vm.Name)}.xva.gz" : $"{VmFileName.Of(vm.Name)}.xva",
            };
            _vms.Add(new Exported(vm, file));
        }
        context.Messages.Info($"xen: {string.Join(", ", _vms.Select(v => v.Vm.Name))} ({options.Mode switch
        {
            XenMode.VdiExport => "vdi-export " + options.Format,
            XenMode.Metadata => "metadata only",
            _ => options.Compress ? "vm-export, compressed" : "vm-export",
        }})");
    }

    public async Task SnapshotAsync(CancellationToken cancellationToken)
    {
        _work = Path.Combine(settings.WorkDirectory, $"job-{context.Job.JobId}-{context.Session}");
        context.Ledger.AddDurable(XenEffects.Source, XenEffects.WorkDirectory, _work, $"remove {_work}", (e, _) => Task.FromResult(XenEffects.RemoveWorkDirectory(e)));
        Directory.CreateDirectory(_work);
        foreach (var vm in _vms)
        {
            var dir = Path.Combine(_work, VmFileName.Of(vm.Vm.Name));
            Directory.CreateDirectory(dir);
            foreach (var warning in await VmMetadataFiles.WriteAsync(Api, vm.Vm, dir, cancellationToken))
            {
                context.Messages.Warning("xen: " + warning);
            }
            switch (options.Mode)
            {
                case XenMode.VdiExport:
                    await SnapshotDiskAsync(vm, cancellationToken);
                    break;
                case XenMode.VmExport:
                    await SnapshotVmAsync(vm, cancellationToken);
                    break; // the metadata export reads no disk: nothing to hold still
            }
        }
    }

    private async Task SnapshotVmAsync(Exported vm, CancellationToken cancellationToken)
    {
        var facts = XenEffects.Facts(Api.Client.Endpoint, settings.PasswordFile);
        if (vm.Vm.PowerState == "Halted")
        {
            vm.Effect = context.Ledger.AddDurable(XenEffects.Source, XenEffects.BlockedStart, vm.Vm.Uuid, $"unblock the start of VM {vm.Vm.Name}",
                (e, ct) => XenEffects.UndoAsync(Api, e, ct), facts);
            await Api.AddBlockedOperationAsync(vm.Vm, "start", XenEffects.BlockReason, cancellationToken);
            vm.Source = vm.Vm;
            context.Messages.Info($"xen: {vm.Vm.Name} is halted: exported without a snapshot, its start blocked meanwhile");
            return;
        }
        var name = $"bp-{context.Job.JobId}";
        facts[XenEffects.Name] = name;
        vm.Effect = context.Ledger.AddDurable(XenEffects.Source, XenEffects.VmSnapshot, vm.Vm.Uuid, $"destroy snapshot {name} of VM {vm.Vm.Name}",
            (e, ct) => XenEffects.UndoAsync(Api, e, ct), facts);
        vm.Source = await Api.SnapshotAsync(vm.Vm, name, cancellationToken);
        vm.Effect = context.Ledger.Note(vm.Effect, XenEffects.Snapshot, vm.Source.Uuid);
        context.Messages.Info($"xen: snapshot {name} of {vm.Vm.Name} taken ({vm.Source.Uuid})");
    }

    private async Task SnapshotDiskAsync(Exported vm, CancellationToken cancellationToken)
    {
        var (_, boot) = (await Api.DisksAsync(vm.Vm, cancellationToken)).FirstOrDefault(d => d.Vbd.Device == "xvda");
        if (boot is null)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "xen.xvda", $"xen: {vm.Vm.Name} has no xvda disk: mode=vdi-export backs up xvda only (use mode=vm-export)");
        }
        var name = $"bp-{context.Job.JobId}-{vm.Vm.Name}";
        var facts = XenEffects.Facts(Api.Client.Endpoint, settings.PasswordFile);
        facts[XenEffects.Name] = name;
        vm.Effect = context.Ledger.AddDurable(XenEffects.Source, XenEffects.VdiSnapshot, vm.Vm.Uuid, $"destroy disk snapshot {name}",
            (e, ct) => XenEffects.UndoAsync(Api, e, ct), facts);
        vm.Disk = await Api.SnapshotVdiAsync(boot, name, cancellationToken);
        vm.Effect = context.Ledger.Note(vm.Effect, XenEffects.Snapshot, vm.Disk.Uuid);
        context.Messages.Info($"xen: snapshot {name} of {vm.Vm.Name}'s xvda disk taken ({vm.Disk.Uuid})");
    }

    public IEnumerable<BackupItem> Enumerate(CancellationToken cancellationToken)
    {
        foreach (var vm in _vms)
        {
            var prefix = Encoding.UTF8.GetBytes(Root + VmFileName.Of(vm.Vm.Name));
            var dir = PosixPath.FromString(Path.Combine(_work!, VmFileName.Of(vm.Vm.Name)));
            var names = new NamePrefix(dir, prefix);
            var items = new TreeWalker(dir, new PathFilter([])).Walk(cancellationToken)
                .Select(names.Rename).ToList();
            foreach (var item in items.SkipLast(1))
            {
                yield return item;
            }
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var size = vm.Disk is { } disk && options.Format == "raw" ? disk.VirtualSize : 0;
            var stat = new PosixStat(0, 0, PosixStat.Reg | 0x180, 1, 0, 0, 0, size, now, 0, now, 0, now, 0, 4096, 0);
            yield return new BackupItem([.. prefix, .. "/"u8, .. Encoding.UTF8.GetBytes(vm.File)], EntryKind.Regular, stat) { Data = DataDelivery.Socket };
            yield return items[^1]; // the VM's directory, after its contents
        }
    }

    /// <summary>XAPI's export body, copied into the data socket as it comes; the snapshot is destroyed once it is sent.</summary>
    public async Task WriteDataAsync(BackupItem item, DataSink sink, CancellationToken cancellationToken)
    {
        var name = Encoding.UTF8.GetString(item.Name);
        var vm = _vms.Single(v => name == Root + VmFileName.Of(v.Vm.Name) + "/" + v.File);
        await using (var export = options.Mode switch
                     {
                         XenMode.VdiExport => await Api.ExportVdiAsync(vm.Disk!, options.Format, cancellationToken),
                         XenMode.Metadata => await Api.ExportMetadataAsync(vm.Vm, cancellationToken),
                         _ => await Api.ExportAsync(vm.Source!, options.Compress, cancellationToken),
                     })
        {
            await export.CopyToAsync(sink, cancellationToken);
            await export.EndAsync(cancellationToken); // XAPI's word on the export: a cut one ends like a good one
        }
        if (vm.Disk is { } raw && options.Format == "raw" && sink.Written != raw.VirtualSize)
        {
            throw new IOException(string.Create(CultureInfo.InvariantCulture,
                $"xen: the export of {vm.Vm.Name}'s disk ended after {sink.Written} bytes of {raw.VirtualSize}"));
        }
        if (vm.Effect is { } effect)
        {
            await context.Ledger.UndoNowAsync(effect);
        }
        context.Messages.Info(string.Create(CultureInfo.InvariantCulture, $"xen: {vm.File} sent ({sink.Written} bytes){(vm.Effect is null ? "" : "; its snapshot is destroyed")}"));
    }

    // ---- restore: see XenRestore -----------------------------------------------------------------------------
    public async Task BeginRestoreAsync(CancellationToken cancellationToken)
    {
        _restore = new XenRestore(settings, options, context);
        await _restore.BeginAsync(cancellationToken);
    }

    public CreateResult Create(RestoreItem item) => Restore.Create(item);

    public Task ReceiveDataAsync(RestoreItem item, Stream data, CancellationToken cancellationToken) => Restore.ReceiveAsync(item, data, cancellationToken);

    public void Finish(RestoreItem item, RestoreMetadata metadata) => Restore.Finish(item, metadata);

    public Task EndRestoreAsync(CancellationToken cancellationToken) => Restore.EndAsync();

    private XenRestore Restore => _restore ?? throw new InvalidOperationException("restore not begun");
}
