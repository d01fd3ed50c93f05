// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Xml.Linq;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;
using BackupPlugins.Sources.Prlctl;

namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// Restores a parallels backup, prepared once per job. <c>restore=files</c>: the bundle's files under where (as dir
/// does), or in place into the bundle of the VM named by vm=, which must be stopped. <c>restore=vm</c>: the bundle
/// under where (or in place, where no bundle is), then registered with <c>prlctl register</c> — under its own UUID,
/// or, when a VM with that UUID is registered, under a new UUID (prlctl then gives it a free name, "NAME (1)").
/// Neither mode writes into the bundle of a VM that is registered and not stopped (restore=vm: of any registered VM).
/// </summary>
internal sealed class ParallelsRestore(ParallelsOptions options, JobContext context, PrlctlTool prlctl)
{
    private const string Config = "config.pvs";
    private IReadOnlyList<PrlctlVmInfo> _vms = [];
    private TreeRestorer? _restorer;
    private byte[]? _bundle;
    private int _failures;

    private TreeRestorer Restorer => _restorer ?? throw new InvalidOperationException("restore not begun");

    public async Task BeginAsync(CancellationToken cancellationToken)
    {
        var where = context.Job.Where.TrimEnd('/');
        var regexWhere = context.Job.RegexWhere;
        if (options.Restore == ParallelsRestoreMode.Vm && regexWhere.Length > 0)
        {
            throw BackupPluginException.BadOption("parallels.regexwhere",
                "restore=vm places the bundle itself: restore with where=DIR (the bundle goes under it) or in place (where=/), not regexwhere");
        }
        await JobLock.TakeAsync(context, options.LockFile, options.LockTimeout, cancellationToken);
        _vms = await prlctl.AllVmsAsync(cancellationToken);
        var root = regexWhere.Length > 0 ? "/" : where.Length > 0 ? where : "/";
        if (options.Restore == ParallelsRestoreMode.Files && where.Length == 0 && regexWhere.Length == 0)
        {
            root = InPlaceVm().Home;
        }
        _restorer = new TreeRestorer(PosixPath.FromString(root));
        context.Messages.Info(options.Restore == ParallelsRestoreMode.Vm
            ? $"parallels: restoring a VM bundle {(where.Length > 0 ? "under " + where : "in place")}; it is registered when all of it is restored"
            : $"parallels: restoring bundle files {(root == "/" ? "as regexwhere moves them" : "under " + root)}");
    }

    /// <summary>restore=files in place: the VM named by vm=, stopped (its files are about to be replaced).</summary>
    private PrlctlVmInfo InPlaceVm()
    {
        var wanted = options.Vm ?? throw BackupPluginException.BadOption("parallels.vm",
            "restore=files in place writes into a VM's bundle: give vm= (the VM, which must be stopped), or restore with where=DIR");
        var vm = _vms.FirstOrDefault(v => v.Name == wanted || v.Uuid == wanted.Trim('{', '}').ToLowerInvariant())
                 ?? throw new BackupPluginException(ErrorKind.NotFound, "parallels.not-found",
                     $"vm={wanted}: no registered virtual machine of that name or UUID to restore files into; restore with where=DIR, or restore=vm");
        return vm.State == "stopped" ? vm : throw new BackupPluginException(ErrorKind.Precondition, "parallels.state",
            $"virtual machine {vm.Name} is {vm.State}: files are restored in place only into a stopped VM's bundle (stop it, or restore with where=DIR)");
    }

    public CreateResult Create(RestoreItem item)
    {
        if (_vms.FirstOrDefault(v => Inside(item.Target, v.Home)) is { } owner
            && (options.Restore == ParallelsRestoreMode.Vm || owner.State != "stopped"))
        {
            throw new BackupPluginException(ErrorKind.Precondition, "parallels.bundle-in-use",
                $"{PosixPath.Display(item.Target)} is inside the bundle of the registered virtual machine {owner.Name} ({owner.State}); " +
                (options.Restore == ParallelsRestoreMode.Vm
                    ? "restore=vm never writes into a registered VM's bundle: restore with where=DIR to register a copy beside it"
                    : "stop it first, or restore with where=DIR"));
        }
        if (options.Restore == ParallelsRestoreMode.Vm && item.Kind == EntryKind.Regular
            && Path.GetFileName(PosixPath.Display(item.Target)) == Config)
        {
            var bundle = item.Target[..item.Target.AsSpan().LastIndexOf((byte)'/')];
            if (_bundle is null || bundle.Length < _bundle.Length)
            {
                _bundle = bundle;
            }
        }
        return Restorer.Create(item);
    }

    public void Finish(RestoreItem item, RestoreMetadata metadata)
    {
        if (item.Kind == EntryKind.Regular && !metadata.DataOk)
        {
            _failures++;
        }
        Restorer.Finish(item, metadata);
    }

    public async Task EndAsync(CancellationToken cancellationToken)
    {
        Restorer.Complete(message =>
        {
            _failures++;
            context.Messages.Error(message);
        });
        if (options.Restore != ParallelsRestoreMode.Vm)
        {
            return;
        }
        var bundle = _bundle is null ? null : PosixPath.Display(_bundle);
        if (bundle is null)
        {
            throw new BackupPluginException(ErrorKind.Failed, "parallels.no-config",
                $"restore=vm: no {Config} was among the restored files, so there is no bundle to register; select the whole bundle");
        }
        if (_failures > 0)
        {
            throw new BackupPluginException(ErrorKind.Failed, "parallels.incomplete",
                $"restore=vm: {_failures} entries of the bundle were not restored; {bundle} is left as restored and not registered");
        }
        var recorded = RecordedUuid(Path.Combine(bundle, Config));
        var taken = (await prlctl.AllVmsAsync(cancellationToken)).FirstOrDefault(v => v.Uuid == recorded);
        var uuid = taken is null ? recorded : Guid.NewGuid().ToString();
        await prlctl.RegisterAsync(bundle, taken is null ? null : uuid, cancellationToken);
        var vm = await prlctl.VmInfoAsync(uuid, cancellationToken);
        context.Messages.Info($"parallels: {bundle} registered as virtual machine \"{vm?.Name}\" {{{uuid}}}, {vm?.State}" + (taken is null ? "" :
            $"; {recorded} is taken by \"{taken.Name}\", so the copy has a new UUID and prlctl gave it a free name"));
    }

    /// <summary>The VM's UUID in a restored config.pvs (<c>Identification/VmUuid</c>), without braces.</summary>
    private static string RecordedUuid(string config)
    {
        try
        {
            var uuid = XDocument.Load(config).Root?.Element("Identification")?.Element("VmUuid")?.Value;
            return uuid is { Length: > 0 } ? uuid.Trim('{', '}').ToLowerInvariant()
                : throw new BackupPluginException(ErrorKind.Failed, "parallels.config", $"{config} names no VmUuid: it is not a VM's config.pvs");
        }
        catch (System.Xml.XmlException ex)
        {
            throw new BackupPluginException(ErrorKind.Failed, "parallels.config", $"{config} is not readable XML ({ex.Message}): not registered");
        }
    }

    private static bool Inside(byte[] name, string home)
    {
        var prefix = PosixPath.FromString(home);
        return name.AsSpan().StartsWith(prefix) && (name.Length == prefix.Length || name[prefix.Length] == (byte)'/');
    }
}
