// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Lvm.Backup;

/// <summary>How a run goes: the seed's <c>-l LEVEL</c> (what is logged) and <c>--noop</c>.</summary>
public sealed record LvmBackupOptions(RunLog.Level Level, bool Noop);

/// <summary>
/// The seed's run (nmbooker's <c>backup</c>): snapshot the logical volume, mount it, bind-mount the <c>[bindmounts]</c>
/// paths into it, write this month's next dar archive (FULL, or INC against the last good one), clean up, and mirror
/// the target with rsync. Every snapshot, mount and bind mount is journaled before it is made and undone however the
/// run ends (the host's sweep after a crash). Fixed from the seed: the snapshot is mounted read-only at a fixed path;
/// a leftover that no run of ours recorded is refused, not guessed at; a run lock; a snapshot that overflows fails the
/// run; <c>dar -t</c> verifies and <c>dar -C</c> isolates the catalogue the next INC is made against; dar's 5 and 11
/// are warnings (or errors with <c>dar_warnings = fail</c>); latest_successful moves only after all that; rsync only
/// after a good backup unless <c>even_if_backup_failed</c>; <c>--noop</c> runs nothing and writes nothing. Exit codes
/// 0, 1 (warnings), 2 (errors).
/// </summary>
public sealed class LvmBackup(LvmBackupConfig config, LvmBackupOptions options, LvmSettings settings, IJobConsole console,
    CleanupLedger ledger, EffectJournal journal, IToolRunner runner, TimeProvider clock)
{
    public const string LockName = ".lvm-backup.lock";
    private readonly RunLog _log = new(console, options.Level);
    private readonly LvmTool _lvm = new(runner, settings);
    private readonly DarTool _dar = new(runner, settings.Dar, null);
    private readonly List<JournalEntry> _made = [];
    private FillWatch? _watch;

    private bool Noop => options.Noop;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (Noop)
        {
            await _log.WarningAsync("--noop set, won't do anything for real");
        }
        if (!Directory.Exists(config.Target))
        {
            await _log.ErrorAsync($"[backup] target = {config.Target} does not exist: create it (the seed's README: readable, writable and enterable)");
            return 2;
        }
        await using var runLock = Noop ? null : await LockAsync(cancellationToken);
        if (runLock is null && !Noop)
        {
            return 2;
        }
        var good = false;
        try
        {
            var root = config.SourceType == "lvm" ? await PrepareSnapshotAsync(cancellationToken) : config.SourceRoot!;
            good = await new DarRun(config, _dar, _log, clock.GetLocalNow(), Noop).RunAsync(root, () => _watch?.ThrowIfOverflowed(),
                () => _watch is null ? Task.CompletedTask : _watch.CheckNowAsync(cancellationToken), cancellationToken);
        }
        catch (Exception ex) when (ex is BackupPluginException or ToolFailedException or IOException or UnauthorizedAccessException)
        {
            await _log.ErrorAsync(ex.Message);
        }
        finally
        {
            await CleanupAsync();
        }
        if (config.RsyncEnabled && (good || config.RsyncEvenIfBackupFailed))
        {
            await MirrorAsync(cancellationToken);
        }
        else if (config.RsyncEnabled)
        {
            await _log.WarningAsync($"rsync to {config.RsyncTarget} skipped: the backup failed (set [rsync] even_if_backup_failed = yes to mirror anyway)");
        }
        return _log.ExitCode;
    }

    private async Task<IAsyncDisposable?> LockAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await Core.Trees.FileLock.AcquireRunLockAsync(Path.Combine(config.Target, LockName), "lvm.running",
                $"lvm backup into {config.Target}", cancellationToken);
        }
        catch (BackupPluginException ex)
        {
            await _log.ErrorAsync(ex.Message);
            return null;
        }
    }

    /// <summary>The snapshot, mounted read-only at its fixed place, with the bind mounts: the directory dar reads.</summary>
    private async Task<string> PrepareSnapshotAsync(CancellationToken cancellationToken)
    {
        var snapshot = $"{config.Vg}/{config.SnapshotName}";
        var mountPoint = Path.Combine(settings.MountRoot, config.Vg, config.SnapshotName);
        var device = _lvm.Device(config.Vg, config.SnapshotName);
        if (Noop)
        {
            await _log.CommandAsync([settings.Lvcreate, "--snapshot", "--name", config.SnapshotName, .. LvmTool.SizeArguments(config.SnapshotSize),
                $"{config.Vg}/{config.Lv}"]);
            await _log.CommandAsync([settings.Mount, "-o", "ro", device, mountPoint]);
            foreach (var bind in config.BindMounts)
            {
                await _log.CommandAsync([settings.Mount, "--bind", bind, mountPoint + bind]);
            }
            return mountPoint;
        }
        await CleanLeftoversAsync(snapshot, mountPoint, cancellationToken);
        if (await _lvm.FindAsync(config.Vg, config.Lv, cancellationToken) is null)
        {
            throw new BackupPluginException(ErrorKind.NotFound, "lvm.lv", $"logical volume {config.Vg}/{config.Lv} does not exist (lvs): check [lvm]");
        }
        if (await _lvm.FindAsync(config.Vg, config.SnapshotName, cancellationToken) is { } stale)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "lvm.snapshot-exists",
                $"a volume {snapshot} exists already ({(stale.IsSnapshot ? $"a snapshot of {stale.Origin}" : "not a snapshot")}) and no run of " +
                $"ours recorded it (an earlier run of the old script?): unmount it wherever it is mounted (findmnt {device}) and remove it " +
                $"(lvremove {snapshot}), then run again");
        }
        var entry = Record(LvmEffects.Snapshot, snapshot, new Dictionary<string, string> { [LvmEffects.Origin] = $"{config.Vg}/{config.Lv}" });
        await _log.CommandAsync([settings.Lvcreate, "--snapshot", "--name", config.SnapshotName, .. LvmTool.SizeArguments(config.SnapshotSize), $"{config.Vg}/{config.Lv}"]);
        await _lvm.CreateSnapshotAsync(config.Vg, config.Lv, config.SnapshotName, config.SnapshotSize, cancellationToken);
        if (await _lvm.FindAsync(config.Vg, config.SnapshotName, cancellationToken) is { } made)
        {
            _made[^1] = ledger.Note(entry, LvmEffects.Uuid, made.Uuid);
        }
        _watch = FillWatch.Start(_lvm, config.Vg, config.SnapshotName, config.FillLimit, TimeSpan.FromSeconds(settings.FillPollSeconds),
            text => _log.WarningAsync(text).GetAwaiter().GetResult());
        Record(LvmEffects.MountPoint, mountPoint);
        Directory.CreateDirectory(mountPoint);
        var options = SuperBlock.MountOptions(SuperBlock.Probe(device));
        Record(LvmEffects.Mount, mountPoint, new Dictionary<string, string> { [LvmEffects.Device] = device });
        await _log.CommandAsync([settings.Mount, "-o", options, device, mountPoint]);
        await _lvm.MountAsync(device, mountPoint, options, cancellationToken);
        foreach (var bind in config.BindMounts)
        {
            var at = mountPoint + bind.TrimEnd('/');
            if (!Directory.Exists(at))
            {
                throw new BackupPluginException(ErrorKind.Precondition, "lvm.bind",
                    $"[bindmounts] equals: {bind}: the volume has no directory {bind} to mount it on; create it on {config.Vg}/{config.Lv}");
            }
            Record(LvmEffects.BindMount, at);
            await _log.CommandAsync([settings.Mount, "--bind", bind, at]);
            await _lvm.BindReadOnlyAsync(bind, at, cancellationToken);
        }
        return mountPoint;
    }

    /// <summary>
    /// The seed's cleanup of its last run, done right: what a killed run of this profile recorded in the journal (its
    /// snapshot, mount point, mounts) is undone first, newest first, by the journal's marks — never by the name alone.
    /// </summary>
    private async Task CleanLeftoversAsync(string snapshot, string mountPoint, CancellationToken cancellationToken)
    {
        foreach (var entry in journal.Leftovers(LvmEffects.Source)
                     .Where(e => e.Target == snapshot || e.Target == mountPoint || e.Target.StartsWith(mountPoint + "/", StringComparison.Ordinal)))
        {
            var done = await Core.Sources.Leftover.UndoAsync(journal, entry, $"lvm {entry.Kind}", entry.Target, dryRun: false,
                () => LvmEffects.UndoAsync(_lvm, entry, cancellationToken), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            if (done.Removed)
            {
                await _log.WarningAsync($"a killed run left {entry.Kind} {entry.Target}: undone{(done.Note is { } note ? $" ({note})" : "")}");
            }
            else
            {
                throw new BackupPluginException(ErrorKind.Failed, "lvm.leftover",
                    $"a killed run left {entry.Kind} {entry.Target}, and it could not be undone: {done.Error}; see backup-plugins sweep");
            }
        }
    }

    private JournalEntry Record(string kind, string target, IReadOnlyDictionary<string, string>? facts = null)
    {
        var entry = ledger.AddDurable(LvmEffects.Source, kind, target, $"{kind} {target}", async (e, ct) => await LvmEffects.UndoAsync(_lvm, e, ct), facts);
        _made.Add(entry);
        return entry;
    }

    /// <summary>The seed's finally: bind mounts, the mount, the mount point, the snapshot — newest first, each said.</summary>
    private async Task CleanupAsync()
    {
        if (_watch is not null)
        {
            await _watch.StopAsync();
        }
        for (var i = _made.Count - 1; i >= 0; i--)
        {
            try
            {
                await _log.InfoAsync($"undo: {_made[i].Kind} {_made[i].Target}");
                await ledger.UndoNowAsync(_made[i]);
            }
            catch (Exception ex) when (ex is ToolFailedException or IOException or BackupPluginException)
            {
                await _log.ErrorAsync($"{_made[i].Kind} {_made[i].Target} could not be undone: {ex.Message}; the host's sweep tries again " +
                                      "(backup-plugins sweep)");
            }
        }
    }

    /// <summary><c>rsync -a -v TARGET/ TARGET_DIR/</c> (no --delete, as the seed), then the touch file.</summary>
    private async Task MirrorAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> argv = [settings.Rsync, "-a", "-v", $"--exclude=/{LockName}", config.Target + "/", config.RsyncTarget + "/"];
        await _log.CommandAsync(argv);
        if (Noop)
        {
            return;
        }
        try
        {
            await runner.RunAsync(new ToolCommand(argv) { Timeout = TimeSpan.FromHours(48) }, cancellationToken);
            if (config.TouchFile is { } touch)
            {
                await File.WriteAllBytesAsync(touch, [], cancellationToken);
                File.SetLastWriteTimeUtc(touch, clock.GetUtcNow().UtcDateTime);
            }
        }
        catch (Exception ex) when (ex is ToolFailedException or IOException or UnauthorizedAccessException)
        {
            await _log.ErrorAsync($"the mirror to {config.RsyncTarget} failed: {ex.Message}");
        }
    }
}
