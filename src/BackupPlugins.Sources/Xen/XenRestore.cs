// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Sources.Xen;

/// <summary>
/// Restores a xen backup. <c>restore=import</c>: each <c>.xva</c> entry is streamed from the file daemon into XAPI's
/// <c>/import</c> (a new VM, halted, on <c>sr=</c> or the pool's default SR — an import never replaces an existing VM),
/// then named <c>name=</c> or <c>&lt;vm&gt;-restored-&lt;date&gt;</c>; a <c>.raw</c> entry becomes a new disk of its recorded
/// size through <c>/import_raw_vdi</c>; the metadata files are not needed for that and are skipped. <c>restore=file</c>:
/// every entry written under where (not in place), as <c>dir</c> restores files.
/// </summary>
internal sealed class XenRestore(XenSettings settings, XenOptions options, JobContext context)
{
    private XenApi? _api;
    private string? _sr;
    private TreeRestorer? _files;

    public async Task BeginAsync(CancellationToken cancellationToken)
    {
        await JobLock.TakeAsync(context, options.LockFile, options.LockTimeout, cancellationToken);
        if (options.Restore == XenRestoreMode.File)
        {
            var where = context.Job.Where.TrimEnd('/');
            if (where.Length == 0 && context.Job.RegexWhere.Length == 0)
            {
                throw BackupPluginException.BadOption("xen.where", "restore=file writes the exports as files: give where=DIR (there is no place to put them back)");
            }
            _files = new TreeRestorer(PosixPath.FromString(where.Length > 0 ? where : "/"));
            return;
        }
        _api = await XenDriver.LoginAsync(settings, context, cancellationToken);
        try
        {
            _sr = await _api.SrAsync(options.Sr, cancellationToken);
        }
        catch (XapiException ex) when (ex.Code is "UUID_INVALID" or "HANDLE_INVALID")
        {
            throw BackupPluginException.BadOption("xen.sr", $"sr={options.Sr}: {ex.Message}");
        }
    }

    public CreateResult Create(RestoreItem item)
    {
        var name = Encoding.UTF8.GetString(item.Target);
        var export = item.Kind == EntryKind.Regular && (name.EndsWith(".xva", StringComparison.Ordinal) || name.EndsWith(".xva.gz", StringComparison.Ordinal)
                                                        || name.EndsWith(".raw", StringComparison.Ordinal) || name.EndsWith(".vhd", StringComparison.Ordinal));
        if (_files is not null)
        {
            // An export's recorded size is 0 (unknown when it began to stream): it still has data to write.
            return _files.Create(item, dataFollows: export);
        }
        if (export && name.EndsWith(".vhd", StringComparison.Ordinal))
        {
            context.Messages.Warning($"xen: {PosixPath.Display(item.Target)} is a VHD export, which restore=import does not import: restore it with restore=file");
            return new CreateResult(CreateOutcome.Skip);
        }
        if (export && name.EndsWith("-metadata.xva", StringComparison.Ordinal))
        {
            context.Messages.Warning($"xen: {PosixPath.Display(item.Target)} is a metadata export (no disk data), which restore=import does not import: " +
                                     "restore it with restore=file, then xe vm-import filename=FILE metadata=true on a pool that has the VM's disks");
            return new CreateResult(CreateOutcome.Skip);
        }
        return export
            ? new CreateResult(CreateOutcome.Extract, DataDelivery.Socket)
            : new CreateResult(CreateOutcome.Skip);
    }

    public async Task ReceiveAsync(RestoreItem item, Stream data, CancellationToken cancellationToken)
    {
        var api = _api ?? throw new InvalidOperationException("restore=file writes through paths");
        var name = Encoding.UTF8.GetString(item.Target);
        var vmName = VmFileName.Decode(Path.GetFileName(Path.GetDirectoryName(name)) ?? "vm");
        var newName = options.Name ?? $"{vmName}-restored-{DateTime.Now:yyyy-MM-dd-HHmmss}";
        try
        {
            if (name.EndsWith(".raw", StringComparison.Ordinal))
            {
                var disk = await api.ImportRawVdiAsync(_sr!, newName, item.Stat.Size, data, cancellationToken);
                context.Messages.Info($"xen: {Path.GetFileName(name)} restored as the new disk \"{disk.Name}\" ({disk.Uuid}, {disk.VirtualSize} bytes)");
                return;
            }
            var vm = await api.ImportAsync(data, _sr, cancellationToken);
            await api.SetNameAsync(vm, newName, cancellationToken);
            context.Messages.Info($"xen: {Path.GetFileName(name)} imported as the new VM \"{newName}\" ({vm.Uuid}), {vm.PowerState}");
        }
        catch (XapiException ex)
        {
            throw new BackupPluginException(ErrorKind.Failed, "xen.import", $"xen: the import of {Path.GetFileName(name)} failed: {ex.Message}", ex);
        }
    }

    public void Finish(RestoreItem item, RestoreMetadata metadata)
    {
        if (_files is not null)
        {
            _files.Finish(item, metadata);
        }
    }

    public Task EndAsync()
    {
        _files?.Complete(context.Messages.Error);
        return Task.CompletedTask;
    }
}
