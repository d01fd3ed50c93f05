// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Core.Sources;

/// <summary>Everything a driver may use during one job. Side effects go into <see cref="Ledger"/>.</summary>
public sealed record JobContext(
    string Session, JobFacts Job, CleanupLedger Ledger, IToolRunner Tools, JobMessageQueue Messages, ILogger Logger,
    CancellationToken Cancellation);

/// <summary>Describes a source and builds a driver for one job from its options.</summary>
public interface ISourceFactory
{
    string Name { get; }
    string Description { get; }
    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Validates the options (every problem at once, as a BadInput error) and builds the driver. Changes nothing.</summary>
    ISourceDriver Create(PluginDefinition options, JobContext context);
}

/// <summary>
/// A source of one job, driven through explicit phases by the session:
/// <see cref="PrepareAsync"/> → <see cref="SnapshotAsync"/> → <see cref="Enumerate"/> (with
/// <see cref="OpenDataAsync"/> per streamed entry). Every external change a phase makes is recorded in
/// <see cref="JobContext.Ledger"/> at once; the session undoes the ledger on every path (success, error,
/// cancel, shim disconnect, timeout), so a driver has no cleanup phase of its own.
/// </summary>
public interface ISourceDriver
{
    /// <summary>Checks that the job can run (blockers, existence, state) and takes locks. Called once.</summary>
    Task PrepareAsync(CancellationToken cancellationToken);

    /// <summary>Makes the data stable (snapshot, freeze, mount). A driver with nothing to do returns at once.</summary>
    Task SnapshotAsync(CancellationToken cancellationToken);

    /// <summary>The entries to back up, produced lazily, in the order Bareos must see them (directories after their contents).</summary>
    IEnumerable<BackupItem> Enumerate(CancellationToken cancellationToken);

    /// <summary>
    /// Writes a <see cref="DataDelivery.Socket"/> entry's data to <paramref name="sink"/>; throws if the data is
    /// incomplete. By default: the file at the entry's <see cref="BackupItem.OpenPath"/>, sent whole.
    /// </summary>
    async Task WriteDataAsync(BackupItem item, DataSink sink, CancellationToken cancellationToken)
    {
        using var file = Posix.FileSystem.OpenRead(item.OpenPath ?? item.Name);
        await sink.SendFileAsync(file, cancellationToken);
    }

    /// <summary>Accurate mode: keep a catalog name the job did not list (e.g. it could not be read)? By default no.</summary>
    bool KeepUnseen(byte[] name) => false;

    /// <summary>
    /// Every entry's data has been read (the end of a backup the file daemon ends well): throws when what was read cannot
    /// be trusted — a snapshot that overflowed meanwhile — and the job fails (a fatal message). Before <see cref="CommitAsync"/>.
    /// </summary>
    Task VerifyAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The backup ended well (Bareos job status T or W): keep what must outlive the job, such as the snapshot the
    /// next incremental starts from. Runs before the ledger is undone; not called after a failure or a cancel.
    /// </summary>
    Task CommitAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A driver that can restore what it backed up.</summary>
public interface IRestoreDriver
{
    /// <summary>Checks and prepares the restore once per job (target, locks).</summary>
    Task BeginRestoreAsync(CancellationToken cancellationToken);

    /// <summary>create_file: creates the entry or says where its data goes.</summary>
    CreateResult Create(RestoreItem item);

    /// <summary>Consumes the data of an entry created with <see cref="DataDelivery.Socket"/> (the core writes, the host drains).</summary>
    Task ReceiveDataAsync(RestoreItem item, Stream data, CancellationToken cancellationToken);

    /// <summary>end_restore_file: applies owner, mode, xattrs and times once the data is closed.</summary>
    void Finish(RestoreItem item, RestoreMetadata metadata);

    /// <summary>End of the restore: directory times and whatever was deferred.</summary>
    Task EndRestoreAsync(CancellationToken cancellationToken);
}
