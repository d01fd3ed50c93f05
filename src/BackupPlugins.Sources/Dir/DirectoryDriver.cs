// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Sources.Dir;

/// <summary>
/// Backs up a live directory tree (no snapshot: the data is read as it is) and restores into any directory.
/// Prepare: the tree exists, no blocker matches, the lockfile is locked (ledger). Snapshot: nothing to do,
/// a plain directory has no snapshot facility.
/// </summary>
public sealed class DirectoryDriver(DirectoryOptions options, JobContext context) : ISourceDriver, IRestoreDriver
{
    private TreeRestorer? _restorer;

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var root = PosixPath.FromString(options.Path);
        if (!FileSystem.TryLStat(root, out var stat, out var errno))
        {
            throw new BackupPluginException(ErrorKind.NotFound, "dir.path",
                $"path={options.Path} cannot be read: {FileSystem.DescribeErrno(errno)}; check the path option");
        }
        if (!stat.IsDirectory)
        {
            throw BackupPluginException.BadOption("dir.path", $"path={options.Path} is not a directory");
        }
        if (options.Blocker is { } blocker && GlobFinder.FindFirst(root, blocker) is { } found)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "dir.blocker",
                $"blocker file {PosixPath.Display(found)} exists (blocker={blocker}); nothing was backed up. " +
                "Remove it when the data is consistent again");
        }
        await JobLock.TakeAsync(context, options.LockFile, options.LockTimeout, cancellationToken);
    }

    public Task SnapshotAsync(CancellationToken cancellationToken) =>
        Task.CompletedTask; // a plain directory has no snapshot: entries are read live

    public IEnumerable<BackupItem> Enumerate(CancellationToken cancellationToken)
    {
        var walker = new TreeWalker(PosixPath.FromString(options.Path), new PathFilter(options.Exclude));
        foreach (var item in walker.Walk(cancellationToken))
        {
            yield return options.DataPath == DataDelivery.Socket && item.Data == DataDelivery.Path
                ? item with { Data = DataDelivery.Socket }
                : item;
        }
    }

    public async Task BeginRestoreAsync(CancellationToken cancellationToken)
    {
        _restorer = TreeRestorer.For(options.Path, context.Job.Where, context.Job.RegexWhere);
        await JobLock.TakeAsync(context, options.LockFile, options.LockTimeout, cancellationToken);
    }

    public CreateResult Create(RestoreItem item)
    {
        var result = Restorer.Create(item);
        // datapath=socket: the core writes into a data socket and the host writes the file (not with sparse files,
        // whose holes need seeks a socket cannot do).
        return result.Outcome == CreateOutcome.Extract && options.DataPath == DataDelivery.Socket && !item.Sparse
               && !result.MetadataOnly
            ? result with { Data = DataDelivery.Socket }
            : result;
    }

    public async Task ReceiveDataAsync(RestoreItem item, Stream data, CancellationToken cancellationToken)
    {
        using var file = FileSystem.OpenWrite(item.Target);
        var buffer = new byte[1 << 20];
        long offset = 0;
        int n;
        while ((n = await data.ReadAsync(buffer, cancellationToken)) > 0)
        {
            RandomAccess.Write(file, buffer.AsSpan(0, n), offset);
            offset += n;
        }
    }

    public void Finish(RestoreItem item, RestoreMetadata metadata) => Restorer.Finish(item, metadata);

    public Task EndRestoreAsync(CancellationToken cancellationToken)
    {
        Restorer.Complete(context.Messages.Error);
        return Task.CompletedTask;
    }

    private TreeRestorer Restorer => _restorer ?? throw new InvalidOperationException("restore not begun");
}
