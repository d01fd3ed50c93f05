// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using System.Text.RegularExpressions;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Zfs;

/// <summary>
/// <c>source=zfs:mode=stream</c>: one virtual file per job, <c>/@zfs/&lt;dataset&gt;@bp-&lt;level&gt;-&lt;jobid&gt;</c>, carrying
/// a <c>zfs send</c> stream: Full → full stream; Incremental → from the snapshot of the previous backup;
/// Differential → from the last Full's snapshot (the base is the oldest snapshot of ours created since Bareos's
/// "since" time, so a later job that Bareos did not keep is never taken as base). The job's snapshot is destroyed
/// unless the job ends well; then it is held (tag <see cref="HoldTag"/>) with the last Full's, so nothing can delete
/// the bases, and older ones of ours are released and destroyed. A restore receives the streams in order into
/// <c>target=</c> (default: the original dataset; refused if it exists unless replace=always).
/// </summary>
public sealed partial class ZfsStreamDriver(ZfsTool zfs, ZfsOptions options, JobContext context) : ISourceDriver, IRestoreDriver
{
    public const string HoldTag = "bp-bareos";
    public const string Root = "/@zfs/";
    private string? _snapshot;
    private ZfsSnapshot? _base;
    private JournalEntry? _mark;

    private char Level => context.Job.Level switch
    {
        JobLevel.Incremental => 'I',
        JobLevel.Differential => 'D',
        _ => 'F',
    };

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var snapshots = await zfs.SnapshotsAsync(options.Dataset, cancellationToken) ?? throw new BackupPluginException(
            ErrorKind.NotFound, "zfs.dataset", $"dataset={options.Dataset} does not exist (zfs list); check the dataset option");
        if (snapshots.Any(s => s.Name == SnapshotName))
        {
            throw new BackupPluginException(ErrorKind.Precondition, "zfs.snapshot-exists",
                $"{options.Dataset}@{SnapshotName} exists already and no job of this host made it; rename or destroy it, or run the job again");
        }
        if (Level == 'F')
        {
            return;
        }
        var since = context.Job.SinceTime;
        var ours = snapshots.Where(s => s.UserRefs > 0 && OurName().Match(s.Name) is { Success: true } m && (Level == 'I' || m.Groups[1].Value == "F"))
            .Where(s => s.Creation >= since)
            .OrderBy(s => s.CreateTxg);
        _base = ours.FirstOrDefault() ?? throw new BackupPluginException(ErrorKind.Precondition, "zfs.no-base",
            $"no snapshot of the {(Level == 'I' ? "previous backup" : "last Full")} of {options.Dataset} is left (held bp-… " +
            $"snapshots created since {DateTimeOffset.FromUnixTimeSeconds(since):u}); run a Full backup");
    }

    private string SnapshotName => $"bp-{Level}-{context.Job.JobId}";

    public async Task SnapshotAsync(CancellationToken cancellationToken)
    {
        var name = $"{options.Dataset}@{SnapshotName}";
        _mark = context.Ledger.AddDurable(ZfsEffects.Source, ZfsEffects.Snapshot, name, $"destroy snapshot {name}", async (entry, ct) =>
        {
            await _stopSending.CancelAsync(); // a send still running holds the snapshot
            await (_sending ?? Task.CompletedTask).ContinueWith(_ => { }, CancellationToken.None);
            await ZfsEffects.UndoAsync(zfs, entry, ct, finishCommit: false);
        });
        await zfs.SnapshotAsync(name, cancellationToken);
        _mark = context.Ledger.Note(_mark, ZfsEffects.Guid, await zfs.GetAsync("guid", name, cancellationToken));
        _snapshot = name;
        context.Messages.Info(_base is null
            ? $"zfs: snapshot {name}, sent in full"
            : $"zfs: snapshot {name}, sent as an increment from {_base.FullName}");
    }

    public IEnumerable<BackupItem> Enumerate(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var stat = new PosixStat(0, 0, PosixStat.Reg | 0x180, 1, 0, 0, 0, 0, now, 0, now, 0, now, 0, 4096, 0);
        yield return new BackupItem(Encoding.UTF8.GetBytes(Root + _snapshot), EntryKind.Regular, stat) { Data = DataDelivery.Socket };
    }

    private readonly CancellationTokenSource _stopSending = new();
    private Task? _sending;

    public async Task WriteDataAsync(BackupItem item, DataSink sink, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopSending.Token);
        var sending = zfs.SendToAsync(_snapshot!, _base?.FullName, sink.CopyFromAsync, linked.Token);
        _sending = sending;
        await sending;
        _sent = true;
    }

    private bool _sent;

    /// <summary>
    /// The job went well: hold its snapshot, which from now on is the base of the next backup, not the job's to undo
    /// (noted in the journal first, so a sweep after a crash here finishes the hold); keep the last Full's and this
    /// job's base; release and destroy older ones of ours — those that carry our hold, never a snapshot we did not keep.
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (!_sent)
        {
            return; // an estimate, or the stream never went out: not a base for anything
        }
        _mark = context.Ledger.Note(_mark!, ZfsEffects.State, ZfsEffects.Committing);
        await zfs.HoldAsync(HoldTag, _snapshot!, cancellationToken);
        context.Ledger.Release(_mark);
        context.Messages.Info($"zfs: {_snapshot} kept and held ({HoldTag}) as the base of the next backup");
        var snapshots = await zfs.SnapshotsAsync(options.Dataset, cancellationToken) ?? [];
        var ours = snapshots.Where(s => s.UserRefs > 0 && OurName().IsMatch(s.Name)).ToList();
        var lastFull = ours.LastOrDefault(s => s.Name.StartsWith("bp-F-", StringComparison.Ordinal));
        var failed = new List<string>();
        foreach (var old in ours.Where(s => s.FullName != _snapshot && s.Guid != lastFull?.Guid && s.Guid != _base?.Guid))
        {
            try
            {
                if (await zfs.ReleaseAsync(HoldTag, old.FullName, cancellationToken))
                {
                    await DestroyOrHoldAgainAsync(old.FullName, cancellationToken);
                }
            }
            catch (ToolFailedException ex)
            {
                failed.Add(ex.Message);
            }
        }
        if (failed.Count > 0)
        {
            throw new BackupPluginException(ErrorKind.Failed, "zfs.release",
                $"zfs: older snapshots of ours could not be released: {string.Join("; ", failed)} — they stay held, and the next " +
                "backup that ends well tries again");
        }
    }

    /// <summary>An old base whose hold was released is destroyed; if that fails it gets the hold back, so it stays ours to retry.</summary>
    private async Task DestroyOrHoldAgainAsync(string snapshot, CancellationToken cancellationToken)
    {
        try
        {
            await zfs.DestroyAsync(snapshot, cancellationToken);
        }
        catch (ToolFailedException)
        {
            await zfs.HoldAsync(HoldTag, snapshot, cancellationToken);
            throw;
        }
    }

    // ---- restore --------------------------------------------------------------------------------------------
    private string? _target;
    private bool _targetExists;

    public async Task BeginRestoreAsync(CancellationToken cancellationToken)
    {
        _target = options.Target ?? options.Dataset;
        _targetExists = await zfs.SnapshotsAsync(_target, cancellationToken) is not null;
    }

    public CreateResult Create(RestoreItem item)
    {
        var (dataset, snapshot) = Parse(item.Target);
        if (!snapshot.StartsWith("bp-F-", StringComparison.Ordinal) && !_targetExists)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "zfs.increment-without-base",
                $"{dataset}@{snapshot} is an increment and {_target} does not exist: restore the Full stream (bp-F-…) first, " +
                "then each increment in job order");
        }
        if (snapshot.StartsWith("bp-F-", StringComparison.Ordinal) && _targetExists && item.Replace != ReplaceMode.Always)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "zfs.target-exists",
                $"dataset {_target} exists; restore with replace=always to replace it (it is renamed aside, not destroyed), " +
                "or give another target=");
        }
        return new CreateResult(CreateOutcome.Extract, DataDelivery.Socket);
    }

    public async Task ReceiveDataAsync(RestoreItem item, Stream data, CancellationToken cancellationToken)
    {
        var (dataset, snapshot) = Parse(item.Target);
        if (snapshot.StartsWith("bp-F-", StringComparison.Ordinal) && _targetExists)
        {
            var aside = $"{_target}-bp-replaced-{context.Job.JobId}";
            await zfs.RenameAsync(_target!, aside, cancellationToken);
            _targetExists = false;
            context.Messages.Warning($"zfs: {_target} existed and was renamed to {aside} (replace=always); destroy it when no longer needed");
        }
        await zfs.ReceiveFromAsync(_target!, force: true, data, cancellationToken);
        _targetExists = true;
        context.Messages.Info($"zfs: received {dataset}@{snapshot} into {_target}");
    }

    public void Finish(RestoreItem item, RestoreMetadata metadata)
    {
    }

    public Task EndRestoreAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The dataset and snapshot of a stream's name (after any where= prefix).</summary>
    private (string Dataset, string Snapshot) Parse(byte[] name)
    {
        var text = Encoding.UTF8.GetString(name);
        var at = text.IndexOf(Root, StringComparison.Ordinal);
        var full = at < 0 ? "" : text[(at + Root.Length)..];
        var split = full.LastIndexOf('@');
        return split > 0
            ? (full[..split], full[(split + 1)..])
            : throw new BackupPluginException(ErrorKind.BadInput, "zfs.foreign-name",
                $"{PosixPath.Display(name)} is not a zfs stream of this source (expected {Root}<dataset>@<snapshot>)");
    }

    [GeneratedRegex("^bp-([FID])-[0-9]+$")]
    public static partial Regex OurName();
}
