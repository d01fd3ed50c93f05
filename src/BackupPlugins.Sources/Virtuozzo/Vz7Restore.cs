// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;
using BackupPlugins.Sources.Prlctl;

namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>
/// Restores a vz7 backup, prepared once per job. <c>restore=ct</c>: a new container named by name=/uuid= (the
/// original's, or new ones for a copy beside it): new ploop image (disk= GiB), mounted under
/// <c>bp-restore-&lt;uuid&gt;</c>, private area and files restored into it, unmounted, registered.
/// <c>restore=files</c>: into the running container's root: in place, or under where= taken as a directory inside
/// the container; names moved by regexwhere must land inside the container; config files are not restored.
/// </summary>
internal sealed class Vz7Restore(Vz7Settings settings, Vz7Options options, JobContext context, PloopTool ploop, PrlctlTool prlctl)
{
    private readonly HashSet<string> _skipped = [];
    private Vz7Layout? _target;
    private TreeRestorer? _files;
    private TreeRestorer? _config;
    private JournalEntry? _mount;
    private JournalEntry? _mountPoint;
    private bool _configSkipNoted;

    private Vz7Layout Target => _target ?? throw new InvalidOperationException("restore not begun");

    public async Task BeginAsync(CancellationToken cancellationToken)
    {
        var mode = options.Restore == Vz7RestoreMode.Container ? "ct" : "files";
        var uuid = options.Uuid ?? throw BackupPluginException.BadOption("vz7.uuid",
            $"option \"uuid\" is required for restore={mode}: " + (mode == "ct"
                ? "the UUID of the container to create (the backed-up one's to restore it as it was, a new one for a copy)"
                : "the UUID of the running container to restore files into"));
        _target = new Vz7Layout(settings, uuid);
        await JobLock.TakeAsync(context, options.LockFile, options.LockTimeout, cancellationToken);
        if (options.Restore == Vz7RestoreMode.Container)
        {
            await BeginContainerAsync(cancellationToken);
        }
        else
        {
            await BeginFilesAsync(cancellationToken);
        }
    }

    private async Task BeginFilesAsync(CancellationToken cancellationToken)
    {
        var ct = await prlctl.FindAsync(Target.Uuid, cancellationToken) ?? throw new BackupPluginException(ErrorKind.NotFound,
            "vz7.not-found", $"container {Target.Uuid} does not exist on this host; restore=files restores into an existing, running container");
        if (options.Name is { } name && name != ct.Name)
        {
            throw BackupPluginException.BadOption("vz7.name", $"name={name} does not match container {Target.Uuid}, which is named \"{ct.Name}\"");
        }
        if (ct.Status != "running" || !Directory.Exists(Target.RunningRoot) || !Directory.EnumerateFileSystemEntries(Target.RunningRoot).Any())
        {
            throw new BackupPluginException(ErrorKind.Precondition, "vz7.state",
                $"container {ct.Name} is {ct.Status}, its root {Target.RunningRoot} is not mounted; restore=files needs it running " +
                "(start it, or restore a whole container with restore=ct)");
        }
        _files = new TreeRestorer(PosixPath.FromString(Target.RunningRoot));
        context.Messages.Info($"vz7: restoring files into running container {ct.Name} at {Target.RunningRoot}");
    }

    private async Task BeginContainerAsync(CancellationToken cancellationToken)
    {
        var name = options.Name ?? throw BackupPluginException.BadOption("vz7.name",
            "option \"name\" is required for restore=ct: the name of the container to create");
        if (context.Job.RegexWhere.Length > 0)
        {
            throw BackupPluginException.BadOption("vz7.regexwhere",
                "restore=ct places the container itself (private area and image); restore without regexwhere");
        }
        var taken = (await prlctl.ListAllAsync(cancellationToken)).FirstOrDefault(c => c.Uuid == Target.Uuid || c.Name == name);
        if (taken is not null)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "vz7.exists",
                $"container \"{taken.Name}\" ({taken.Uuid}) already exists; restore it as a new container with a new uuid= and name=, " +
                "or remove it first");
        }
        foreach (var dir in new[] { Target.PrivateDir, Target.RunningRoot })
        {
            if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            {
                throw new BackupPluginException(ErrorKind.Precondition, "vz7.target-not-empty",
                    $"{dir} is not empty; restore=ct creates a new container there: move it away or choose another uuid=");
            }
        }
        if (MountTable.IsMountPoint(Target.RestoreMount))
        {
            throw new BackupPluginException(ErrorKind.Precondition, "vz7.busy",
                $"{Target.RestoreMount} is already mounted: another restore of {Target.Uuid} runs, or a crashed one left it (run `backup-plugins sweep`)");
        }
        Directory.CreateDirectory(Path.Combine(Target.PrivateDir, "root.hdd"));
        await ploop.InitAsync(options.DiskGiB, Target.BaseImage, cancellationToken);
        context.Messages.Info($"vz7: created a {options.DiskGiB} GiB ploop image {Target.BaseImage}");
        _mountPoint = context.Ledger.AddDurable(Vz7Effects.Source, Vz7Effects.MountPoint, Target.RestoreMount,
            $"remove mount point {Target.RestoreMount}", (entry, ct) => Vz7Effects.UndoAsync(ploop, entry, ct));
        Directory.CreateDirectory(Target.RestoreMount);
        _mount = context.Ledger.AddDurable(Vz7Effects.Source, Vz7Effects.Mount, Target.RestoreMount, $"unmount {Target.RestoreMount}",
            (entry, ct) => Vz7Effects.UndoAsync(ploop, entry, ct), new Dictionary<string, string> { [Vz7Effects.DiskDescriptor] = Target.DiskDescriptor });
        await ploop.MountAsync(Target.RestoreMount, Target.DiskDescriptor, cancellationToken);
        _files = new TreeRestorer(PosixPath.FromString(Target.RestoreMount));
        _config = new TreeRestorer(PosixPath.FromString(Target.PrivateDir));
        context.Messages.Info($"vz7: restoring container {name} ({Target.Uuid}); its image is mounted at {Target.RestoreMount}");
    }

    public CreateResult Create(RestoreItem item)
    {
        var (restorer, mapped) = Route(item);
        if (restorer is null)
        {
            _skipped.Add(Convert.ToBase64String(item.Target));
            return new CreateResult(CreateOutcome.Skip);
        }
        return restorer.Create(mapped!);
    }

    public void Finish(RestoreItem item, RestoreMetadata metadata)
    {
        if (_skipped.Remove(Convert.ToBase64String(item.Target)))
        {
            return;
        }
        var (restorer, mapped) = Route(item);
        restorer?.Finish(mapped!, metadata);
    }

    public async Task EndAsync(CancellationToken cancellationToken)
    {
        _config?.Complete(context.Messages.Error);
        _files?.Complete(context.Messages.Error);
        if (options.Restore != Vz7RestoreMode.Container)
        {
            return;
        }
        await context.Ledger.UndoNowAsync(_mount!); // unmount now, not at cleanup: the image must be closed before it is registered
        await context.Ledger.UndoNowAsync(_mountPoint!);
        var newUuid = Target.Uuid == RecordedUuid ? null : Target.Uuid; // a copy gets its own UUID...
        RenameInConfig(options.Name!); // ...and its own name, or it could not be registered beside the original
        await prlctl.RegisterAsync(Target.PrivateDir, newUuid, cancellationToken);
        context.Messages.Info($"vz7: container {options.Name} ({Target.Uuid}) restored and registered; it is stopped");
    }

    private string? RecordedUuid { get; set; }

    /// <summary>Which restorer an entry belongs to and its real target; (null, null) to skip it.</summary>
    private (TreeRestorer?, RestoreItem?) Route(RestoreItem item)
    {
        var name = StripWhere(item.Target);
        if (options.Restore == Vz7RestoreMode.Files)
        {
            return RouteFiles(item, name);
        }
        if (Under(name, settings.PrivateRoot) is { } inPrivate)
        {
            return (_config, Remap(item, inPrivate, Target.PrivateDir));
        }
        if (Under(name, settings.MountRoot) is { } inMount)
        {
            return (_files, Remap(item, inMount, Target.RestoreMount));
        }
        throw new BackupPluginException(ErrorKind.BadInput, "vz7.foreign-name",
            $"{PosixPath.Display(item.Target)} is not part of a vz7 container backup (neither under {settings.PrivateRoot} nor {settings.MountRoot})");
    }

    private (TreeRestorer?, RestoreItem?) RouteFiles(RestoreItem item, byte[] name)
    {
        if (context.Job.RegexWhere.Length == 0 && Under(name, settings.MountRoot) is { } inMount)
        {
            // where= is a directory inside the container (none: back in place).
            return (_files, Remap(item, inMount, Path.Join(Target.RunningRoot, context.Job.Where.Trim('/'))));
        }
        if (Under(name, settings.PrivateRoot) is not null)
        {
            if (!_configSkipNoted)
            {
                _configSkipNoted = true;
                context.Messages.Info("vz7: restore=files does not restore the container's config files (private area)");
            }
            return (null, null);
        }
        return (_files, item); // moved by where/regexwhere: the restorer refuses anything outside the container
    }

    /// <summary>The recorded name's uuid component under <paramref name="root"/> and the rest, as a prefix mapping.</summary>
    private NamePrefix? Under(byte[] name, string root)
    {
        var prefix = PosixPath.FromString(root.TrimEnd('/') + "/");
        if (!name.AsSpan().StartsWith(prefix))
        {
            return null;
        }
        var rest = name.AsSpan(prefix.Length);
        var slash = rest.IndexOf((byte)'/');
        var uuid = System.Text.Encoding.UTF8.GetString(slash < 0 ? rest : rest[..slash]);
        if (!Vz7Options.UuidPattern().IsMatch(uuid))
        {
            return null;
        }
        RecordedUuid ??= uuid;
        return new NamePrefix(PosixPath.FromString(root.TrimEnd('/') + "/" + uuid), []);
    }

    private RestoreItem Remap(RestoreItem item, NamePrefix recorded, string realRoot)
    {
        var root = PosixPath.FromString(realRoot);
        byte[] Map(byte[] n) => recorded.Map(StripWhere(n)) is { } rest ? [.. root, .. rest] : n;
        return item with
        {
            Target = Map(item.Target),
            Link = item.Kind == EntryKind.HardLink ? Map(item.Link) : item.Link,
        };
    }

    private byte[] StripWhere(byte[] name)
    {
        var where = context.Job.Where.TrimEnd('/');
        if (where.Length == 0)
        {
            return name;
        }
        var prefix = PosixPath.FromString(where);
        return name.AsSpan().StartsWith(prefix) && name.Length > prefix.Length && name[prefix.Length] == (byte)'/'
            ? name[prefix.Length..]
            : name;
    }

    /// <summary>Sets NAME= in the restored ve.conf when the container is restored under another name.</summary>
    private void RenameInConfig(string name)
    {
        var conf = Path.Combine(Target.PrivateDir, "ve.conf");
        if (!File.Exists(conf))
        {
            return;
        }
        var lines = File.ReadAllLines(conf);
        var changed = lines.Select(l => l.StartsWith("NAME=", StringComparison.Ordinal) && l != $"NAME=\"{name}\"" ? $"NAME=\"{name}\"" : l).ToArray();
        if (!changed.SequenceEqual(lines))
        {
            var path = PosixPath.FromString(conf);
            var before = FileSystem.LStat(path);
            File.WriteAllLines(conf, changed);
            FileSystem.SetTimes(path, before.Atime, before.AtimeNsec, before.Mtime, before.MtimeNsec);
            context.Messages.Info($"vz7: the restored container is named {name} (NAME= in {conf})");
        }
    }
}
