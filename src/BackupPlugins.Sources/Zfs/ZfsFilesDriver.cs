// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Sources.Zfs;

/// <summary>
/// <c>source=zfs:mode=files</c>: a recursive snapshot <c>@bp-files-&lt;jobid&gt;</c> of the dataset and its children,
/// whose files are walked — through <c>.zfs/snapshot</c> where the zfs has it, else through read-only clones
/// <c>&lt;pool&gt;/bp-clone-&lt;jobid&gt;-&lt;n&gt;</c> — and recorded under the live mountpoints, so Bareos's
/// Incremental/Differential/Accurate work as for <c>source=dir</c> and a restore is a directory restore. The snapshot
/// and clones go at the end of the job, whatever happens.
/// </summary>
public sealed class ZfsFilesDriver(ZfsTool zfs, ZfsOptions options, ZfsSettings settings, JobContext context) : ISourceDriver, IRestoreDriver
{
    private readonly List<(string Mountpoint, string ReadRoot)> _trees = [];
    private IReadOnlyList<(string Name, string Mountpoint)> _fileSystems = [];
    private TreeRestorer? _restorer;

    private string Snapshot => $"bp-files-{context.Job.JobId}";

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var snapshots = await zfs.SnapshotsAsync(options.Dataset, cancellationToken) ?? throw new BackupPluginException(ErrorKind.NotFound,
            "zfs.dataset", $"dataset={options.Dataset} does not exist (zfs list); check the dataset option");
        if (snapshots.Any(s => s.Name == Snapshot))
        {
            throw new BackupPluginException(ErrorKind.Precondition, "zfs.snapshot-exists",
                $"{options.Dataset}@{Snapshot} exists already and no job of this host made it; rename or destroy it, or run the job again");
        }
        _fileSystems = (await zfs.FileSystemsAsync(options.Dataset, cancellationToken)).Where(f => f.Mountpoint.StartsWith('/')).ToList();
    }

    public async Task SnapshotAsync(CancellationToken cancellationToken)
    {
        var snapshot = $"{options.Dataset}@{Snapshot}";
        var mark = context.Ledger.AddDurable(ZfsEffects.Source, ZfsEffects.RecursiveSnapshot, snapshot,
            $"destroy snapshot {snapshot} and its children's", (entry, ct) => ZfsEffects.UndoAsync(zfs, entry, ct));
        await zfs.SnapshotRecursiveAsync(snapshot, cancellationToken);
        context.Ledger.Note(mark, ZfsEffects.Guid, await zfs.GetAsync("guid", snapshot, cancellationToken));
        var pool = options.Dataset.Split('/')[0];
        var n = 0;
        foreach (var (name, mountpoint) in _fileSystems)
        {
            var inSnapshot = Path.Combine(mountpoint, ".zfs", "snapshot", Snapshot);
            if (Directory.Exists(inSnapshot))
            {
                _trees.Add((mountpoint, inSnapshot));
                continue;
            }
            var clone = $"{pool}/bp-clone-{context.Job.JobId}-{n}";
            var at = Path.Combine(settings.CloneRoot, $"bp-clone-{context.Job.JobId}-{n++}");
            context.Ledger.AddDurable(ZfsEffects.Source, ZfsEffects.Clone, clone, $"destroy clone {clone}",
                (entry, ct) => ZfsEffects.UndoAsync(zfs, entry, ct), new Dictionary<string, string> { [ZfsEffects.Origin] = $"{name}@{Snapshot}" });
            await zfs.CloneAsync($"{name}@{Snapshot}", clone, at, cancellationToken);
            _trees.Add((mountpoint, at));
        }
        context.Messages.Info($"zfs: snapshot {snapshot} (with {_fileSystems.Count - 1} child file system(s)); files read from it");
    }

    /// <summary>Children first (their mountpoints lie inside their parents'), each without the mountpoints below it.</summary>
    public IEnumerable<BackupItem> Enumerate(CancellationToken cancellationToken)
    {
        foreach (var (mountpoint, readRoot) in _trees.OrderByDescending(t => t.Mountpoint.Length))
        {
            var inner = _trees.Select(t => t.Mountpoint).Where(m => m.StartsWith(mountpoint.TrimEnd('/') + "/", StringComparison.Ordinal))
                .Select(m => m[mountpoint.TrimEnd('/').Length..]);
            var names = new NamePrefix(PosixPath.FromString(readRoot), PosixPath.FromString(mountpoint));
            foreach (var item in new TreeWalker(PosixPath.FromString(readRoot), new PathFilter([.. options.Exclude, .. inner]), oneFileSystem: true)
                         .Walk(cancellationToken))
            {
                yield return names.Rename(item);
            }
        }
    }

    public async Task BeginRestoreAsync(CancellationToken cancellationToken)
    {
        var mountpoint = (await zfs.FileSystemsAsync(options.Dataset, cancellationToken)).FirstOrDefault().Mountpoint ?? "/";
        _restorer = TreeRestorer.For(mountpoint.StartsWith('/') ? mountpoint : "/", context.Job.Where, context.Job.RegexWhere);
    }

    public CreateResult Create(RestoreItem item) => Restorer.Create(item);

    public Task ReceiveDataAsync(RestoreItem item, Stream data, CancellationToken cancellationToken) =>
        throw new NotSupportedException("zfs files restores write data through a path, never a data socket");

    public void Finish(RestoreItem item, RestoreMetadata metadata) => Restorer.Finish(item, metadata);

    public Task EndRestoreAsync(CancellationToken cancellationToken)
    {
        Restorer.Complete(context.Messages.Error);
        return Task.CompletedTask;
    }

    private TreeRestorer Restorer => _restorer ?? throw new InvalidOperationException("restore not begun");
}
