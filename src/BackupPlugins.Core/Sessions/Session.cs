// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Core.Sessions;

/// <summary>
/// One Bareos job on this host: its options, its phase, its driver and the ledger of what it changed.
/// Calls arrive one at a time from the shim's job thread; <see cref="CancelAsync"/> may arrive from another.
/// Cleanup (the ledger, undone in reverse) runs exactly once: at the end of the job, on cancel, when the shim
/// disconnects or goes idle too long, or when a phase fails.
/// </summary>
public sealed class Session
{
    private readonly SourceCatalog _catalog;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cancel = new();
    private readonly SemaphoreSlim _cleanupOnce = new(1, 1);
    private System.Threading.Channels.Channel<BackupItem>? _items;
    private Task? _producer;
    private readonly CancellationTokenSource _stopProducer = new();
    private ISourceDriver? _driver;
    private IRestoreDriver? _restore;
    private readonly Dictionary<string, RestoreItem> _openRestores = [];
    private readonly Dictionary<string, RestoreItem> _socketRestores = [];
    private readonly Dictionary<string, BackupItem> _errors = [];
    private long _files;
    private long _bytes;
    private long _entryBytes;

    private readonly TimeProvider _clock;

    public Session(string id, string connection, JobFacts job, SourceCatalog catalog, IToolRunner tools, ILogger logger,
        TimeProvider? clock = null, EffectJournal? journal = null)
    {
        _clock = clock ?? TimeProvider.System;
        Started = _clock.GetUtcNow();
        LastCall = Started;
        Id = id;
        Connection = connection;
        Job = job;
        _catalog = catalog;
        _logger = logger;
        Ledger = new CleanupLedger(logger, journal, id);
        Context = new JobContext(id, job, Ledger, tools, Messages, logger, _cancel.Token);
    }

    public string Id { get; }
    public string Connection { get; }
    public JobFacts Job { get; private set; }
    public PluginDefinition Options { get; } = new();
    public SessionPhase Phase { get; private set; } = SessionPhase.Loaded;

    /// <summary>Told of every change of phase, with the time spent in the phase left (metrics).</summary>
    public ISessionObserver? Observer { get; init; }

    private DateTimeOffset _phaseSince;

    private void MoveTo(SessionPhase phase)
    {
        var now = _clock.GetUtcNow();
        var left = Phase;
        Phase = phase;
        var spent = now - (_phaseSince == default ? Started : _phaseSince);
        _phaseSince = now;
        Observer?.PhaseChanged(this, left, phase, spent);
    }
    public CleanupLedger Ledger { get; }
    public JobMessageQueue Messages { get; } = new();
    public JobContext Context { get; private set; }
    public DateTimeOffset Started { get; }
    public DateTimeOffset LastCall { get; private set; }
    public long Files => Interlocked.Read(ref _files);
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The sizes of the regular files handed out (whether the file daemon then read them or, in an Incremental, not).</summary>
    public long EntryBytes => Interlocked.Read(ref _entryBytes);
    public string? Source => Options["source"];
    /// <summary>The client carries names as bytes (the grpc-fd module), not as text (the python3-fd shim): see BareosNames.ForBytes.</summary>
    public bool NamesAsBytes { get; set; }

    /// <summary>
    /// The plugin runs in a process of its own that can die while the job lives on (the grpc-fd module): if its connection
    /// closes in the middle of the job, the registry records the job for its client's next one (<see cref="InterruptedJobs"/>).
    /// </summary>
    public bool SeparateProcess { get; set; }

    /// <summary>The job was cancelled (by the director, the host, a timeout): its end is no surprise to anyone.</summary>
    public bool CancelRequested => _cancel.IsCancellationRequested;
    public ISourceDriver? Driver => _driver;

    public void Touch() => LastCall = _clock.GetUtcNow();

    public void AddBytes(long n) => Interlocked.Add(ref _bytes, n);

    public void UpdateJob(JobFacts job)
    {
        Job = job;
        Context = Context with { Job = job };
    }

    public void MergeOptions(string definition)
    {
        var known = Options.Warnings.Count;
        Options.Merge(definition);
        foreach (var warning in Options.Warnings.Skip(known))
        {
            Messages.Warning(warning);
        }
    }

    /// <summary>StartBackupJob: validate options, prepare, snapshot, and open the entry cursor.</summary>
    public async Task StartBackupAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cancel.Token);
        await RunPhaseAsync(async () =>
        {
            var factory = _catalog.Get(Options["source"]);
            _driver = factory.Create(Options, Context);
            await _driver.PrepareAsync(linked.Token);
            MoveTo(SessionPhase.Prepared);
            await _driver.SnapshotAsync(linked.Token);
            MoveTo(SessionPhase.Snapshot);
            StartProducer(_driver);
            MoveTo(SessionPhase.Streaming);
        });
    }

    /// <summary>
    /// Walks the source on a background task, a bounded queue ahead of the shim, so producing entries overlaps
    /// with the file daemon consuming them.
    /// </summary>
    private void StartProducer(ISourceDriver driver)
    {
        var items = System.Threading.Channels.Channel.CreateBounded<BackupItem>(
            new System.Threading.Channels.BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true });
        _items = items;
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token, _stopProducer.Token).Token;
        _producer = Task.Run(async () =>
        {
            try
            {
                foreach (var item in driver.Enumerate(stop))
                {
                    await items.Writer.WriteAsync(item, stop);
                }
                items.Writer.Complete();
            }
            catch (Exception ex)
            {
                items.Writer.Complete(ex);
            }
        });
    }

    /// <summary>
    /// The next entries for start_backup_file, up to <paramref name="max"/>: waits until that many are walked or the
    /// source is exhausted (<c>more</c> false). <paramref name="fits"/> may end a batch early: an entry it refuses
    /// stays first for the next call (the first entry of a batch is taken whatever it says).
    /// </summary>
    public async Task<(IReadOnlyList<BackupItem> Items, bool More)> NextAsync(int max, Func<BackupItem, bool>? fits = null)
    {
        if (_items is null || Phase != SessionPhase.Streaming)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "session.phase",
                $"no backup is running in session {Id} (phase {Phase}); the StartBackupJob event must come first");
        }
        var items = new List<BackupItem>(Math.Min(max, 4096));
        var more = true;
        var reader = _items.Reader;
        await RunPhaseAsync(async () =>
        {
            while (items.Count < max)
            {
                if (!await reader.WaitToReadAsync())
                {
                    more = false;
                    break;
                }
                while (items.Count < max && reader.TryPeek(out var item))
                {
                    if (fits is not null && !fits(item) && items.Count > 0)
                    {
                        return;
                    }
                    reader.TryRead(out _);
                    if (item.Error is not null)
                    {
                        _errors[Convert.ToBase64String(item.Name)] = item;
                    }
                    items.Add(item);
                    Interlocked.Increment(ref _files);
                    if (item.Kind == EntryKind.Regular)
                    {
                        Interlocked.Add(ref _entryBytes, item.Stat.Size);
                    }
                }
            }
        });
        return (items, more);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, BackupItem> _streamed = new();
    private readonly HashSet<string> _skippedRestores = [];
    private BackupPluginException? _restoreFailure;

    /// <summary>Remembers an entry whose data the host streams, under the name the shim will ask for.</summary>
    public void RememberStreamed(byte[] bareosName, BackupItem item) => _streamed[Convert.ToBase64String(bareosName)] = item;

    public BackupItem? TakeStreamed(byte[] bareosName) =>
        _streamed.TryRemove(Convert.ToBase64String(bareosName), out var item) ? item : null;

    public bool KeepUnseen(byte[] name) =>
        _errors.ContainsKey(Convert.ToBase64String(name)) || (_driver?.KeepUnseen(name) ?? false);

    /// <summary>create_file: on the first call, builds the restore driver from the recorded command and this job's options.</summary>
    public async Task<CreateResult> CreateFileAsync(string recordedCommand, RestoreItem item, string where, string regexWhere,
        CancellationToken cancellationToken, bool whereUnset = false)
    {
        if (_restoreFailure is not null)
        {
            throw _restoreFailure; // prepared once per job: a failed preparation is not retried for every file
        }
        if (_restore is null)
        {
            try
            {
                await PrepareRestoreAsync(recordedCommand, where, whereUnset ? JobFacts.RegexWhereNotGiven : regexWhere, cancellationToken);
            }
            catch (Exception ex) when (ex is BackupPluginException or Tools.ToolFailedException or Posix.PosixException or IOException)
            {
                // FAILED_PRECONDITION: the shim ends the job (M_FATAL) instead of failing this one file.
                _restoreFailure = new BackupPluginException(ErrorKind.Precondition, "restore.prepare", ex.Message, ex);
                throw _restoreFailure;
            }
        }
        var result = _restore!.Create(item);
        if (result.Outcome == CreateOutcome.Skip)
        {
            _skippedRestores.Add(Convert.ToBase64String(item.Target)); // its end_restore_file must not touch what is there
            Interlocked.Increment(ref _files);
            return result;
        }
        _openRestores[Convert.ToBase64String(item.Target)] = item;
        if (result.Data == DataDelivery.Socket)
        {
            _socketRestores[Convert.ToBase64String(item.Target)] = item;
        }
        Interlocked.Increment(ref _files);
        return result;
    }

    private Task PrepareRestoreAsync(string recordedCommand, string where, string regexWhere, CancellationToken cancellationToken) =>
        RunPhaseAsync(async () =>
        {
            // The restore packet's where/regexwhere are what the core applied to the names.
            UpdateJob(Job with { Where = where, RegexWhere = regexWhere });
            // Options given for the restore (pluginoptions) were merged first and win over the recorded ones.
            Options.Merge(PluginDefinition.StripCommand(recordedCommand));
            var factory = _catalog.Get(Options["source"]);
            var driver = factory.Create(Options, Context);
            _restore = driver as IRestoreDriver ?? throw new BackupPluginException(ErrorKind.BadInput,
                "restore.unsupported", $"source={factory.Name} cannot restore files");
            await _restore.BeginRestoreAsync(cancellationToken);
            MoveTo(SessionPhase.Restoring);
        });

    /// <summary>A restore entry whose data the core writes into a data socket (FileOpen on restore); null if none.</summary>
    public (RestoreItem Item, IRestoreDriver Driver)? TakeSocketRestore(byte[] target) =>
        _restore is not null && _socketRestores.Remove(Convert.ToBase64String(target), out var item) ? (item, _restore) : null;

    /// <summary>The regular file created by create_file for <paramref name="target"/>, to be written (WriteFile RPC).</summary>
    public RestoreItem OpenRestoreTarget(byte[] target) =>
        _openRestores.TryGetValue(Convert.ToBase64String(target), out var item) && item.Kind == EntryKind.Regular
            ? item
            : throw new BackupPluginException(ErrorKind.Precondition, "session.phase",
                $"{Posix.PosixPath.Display(target)} is not a regular file waiting for its data (call CreateFile first)");

    public void EndRestoreFile(byte[] target, RestoreMetadata metadata)
    {
        var key = Convert.ToBase64String(target);
        if (_skippedRestores.Remove(key))
        {
            return;
        }
        if (_restore is null || !_openRestores.Remove(key, out var item))
        {
            throw new BackupPluginException(ErrorKind.Precondition, "session.phase",
                $"end_restore_file for {Posix.PosixPath.Display(target)} without create_file");
        }
        _restore.Finish(item, metadata);
    }

    /// <summary>
    /// End of the job (EndBackupJob, EndRestoreJob, JobEnd): commits a backup that went well
    /// (<paramref name="succeeded"/>), finishes a restore, then undoes the ledger.
    /// </summary>
    public async Task EndAsync(string reason, bool succeeded = false)
    {
        if (succeeded && _driver is not null && Phase == SessionPhase.Streaming)
        {
            try
            {
                await _driver.VerifyAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ex is BackupPluginException or Tools.ToolFailedException or IOException)
            {
                Messages.Add(JobSeverity.Fatal, ex.Message); // what was read is not to be trusted: never "OK"
                succeeded = false;
            }
        }
        if (succeeded && _driver is not null && Phase == SessionPhase.Streaming)
        {
            try
            {
                await _driver.CommitAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ex is BackupPluginException or Tools.ToolFailedException or IOException)
            {
                Messages.Add(JobSeverity.Error, ex.Message);
            }
        }
        if (_restore is not null && Phase == SessionPhase.Restoring)
        {
            try
            {
                await _restore.EndRestoreAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ex is BackupPluginException or Tools.ToolFailedException or IOException)
            {
                Messages.Add(JobSeverity.Fatal, ex.Message); // the restore did not finish (e.g. not registered): never "OK"
            }
        }
        await CleanupAsync(reason, failed: false);
    }

    /// <summary>Cancel (from another thread): stops running work and commands, then cleans up.</summary>
    public async Task CancelAsync(string reason)
    {
        await _cancel.CancelAsync();
        await CleanupAsync(reason, failed: true);
    }

    private async Task RunPhaseAsync(Func<Task> phase)
    {
        try
        {
            await phase();
        }
        catch (Exception ex)
        {
            _logger.LogWarning("Session {Session} failed in phase {Phase}: {Error}", Id, Phase, ex.Message);
            await CleanupAsync($"phase {Phase} failed", failed: true);
            throw;
        }
    }

    private async Task CleanupAsync(string reason, bool failed)
    {
        await _cleanupOnce.WaitAsync();
        try
        {
            if (Phase is SessionPhase.Ended or SessionPhase.Failed)
            {
                return;
            }
            MoveTo(SessionPhase.Cleaning);
            // The walk must stop before anything it reads from (a mount, a snapshot) is undone.
            await _stopProducer.CancelAsync();
            if (_producer is not null)
            {
                await _producer;
            }
            var failures = await Ledger.UndoAllAsync(CancellationToken.None);
            foreach (var failure in failures)
            {
                Messages.Add(JobSeverity.Error, failure);
            }
            MoveTo(failed || failures.Count > 0 ? SessionPhase.Failed : SessionPhase.Ended);
            _logger.LogInformation("Session {Session} (job {JobId}) ended: {Reason}", Id, Job.JobId, reason);
        }
        finally
        {
            _cleanupOnce.Release();
        }
    }
}
