// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Sources.Xen.Backup;

/// <summary>How a run goes: where XAPI is, who logs in, <c>preview</c>, and the seed's <c>compress=</c> argument.</summary>
public sealed record XenBackupOptions(XapiEndpoint Endpoint, XenSecrets Secrets, string? PasswordFile, bool Preview, bool? Compress,
    string Server, TimeSpan CallTimeout);

/// <summary>
/// The seed VmBackup.py's run, through XenAPI: settings printed; the pool database dumped on the master; then per VM,
/// vdi-export (the boot disk's snapshot as raw or vhd) and vm-export (a VM snapshot as an XVA; a halted VM exported
/// without a snapshot, its start blocked meanwhile) into the seed's directory layout with its metadata files, success
/// markers and pruning; the status log and the <c>S:/W:/E:</c> summary. Every snapshot and block is journaled before it
/// is made and undone on every path; every export is checked as it is written (XVA chunk checksums, a raw disk's size)
/// and gets a <c>.sha256</c> file. Exit code 0, 1 (warnings), 2 (errors); preview 0 when the selection is valid.
/// </summary>
public sealed class XenBackup(VmBackupConfig config, XenBackupOptions options, IJobConsole console, CleanupLedger ledger, TimeProvider clock)
{
    private readonly StatusLog _status = new(config.Path is null ? null : config.StatusLog, options.Server, clock);
    private readonly List<VmResult> _results = [];
    private readonly List<string> _problems = [];
    private readonly System.Text.StringBuilder _transcript = new();
    private int _success;
    private int _warnings;
    private int _errors;

    private bool Compressed => options.Compress ?? config.Compressed;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var started = clock.GetLocalNow();
        await Log($"VmBackup running on {options.Server}");
        await PrintSettings();
        foreach (var ignored in config.Ignored)
        {
            await Log(ignored);
        }
        if (options.Preview)
        {
            return await PreviewAsync(cancellationToken);
        }
        _status.Begin();
        try
        {
            await RunVmsAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is BackupPluginException or XapiException or IOException or TimeoutException or UnauthorizedAccessException)
        {
            await Error($"ERROR {ex.Message} - FATAL ERROR");
        }
        var summary = $"S:{_success} W:{_warnings} E:{_errors}";
        await Log($"Space after backups: {Space()}");
        _status.End(_errors > 0 ? "ERROR" : _warnings > 0 ? "WARNING" : "SUCCESS", summary);
        await Log(_errors > 0 ? $"VmBackup ended - **ERRORS DETECTED** - {summary}"
            : _warnings > 0 ? $"VmBackup ended - **WARNING(s)** - {summary}" : $"VmBackup ended - Success - {summary}");
        var exitCode = _errors > 0 ? 2 : _warnings > 0 ? 1 : 0;
        exitCode = Math.Max(exitCode, await ReportAsync(started, exitCode, cancellationToken));
        return Math.Max(exitCode, await MailAsync(exitCode, cancellationToken));
    }

    /// <summary>The JSON run report (<c>report=</c>); 1 when it could not be written (a warning after the summary).</summary>
    private async Task<int> ReportAsync(DateTimeOffset started, int exitCode, CancellationToken cancellationToken)
    {
        if (config.Report is not { } path)
        {
            return 0;
        }
        var outcome = exitCode == 2 ? "error" : exitCode == 1 ? "warning" : "success";
        try
        {
            await new RunReport(RunReport.SchemaName, options.Server, started, clock.GetLocalNow(), outcome, exitCode, _success, _warnings, _errors,
                config.BackupDir, _results, _problems).WriteAsync(path, cancellationToken);
            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Log($"WARNING the run report {path} was not written: {ex.Message}");
            return 1;
        }
    }

    /// <summary>The run's output by mail when <c>mail_mode</c> asks for it; 1 when it could not be sent.</summary>
    private async Task<int> MailAsync(int exitCode, CancellationToken cancellationToken)
    {
        if (config.Mail(options.Secrets) is not { } mail || !RunMail.Wanted(mail.Mode, exitCode))
        {
            return 0;
        }
        var subject = RunMail.Subject(exitCode, options.Server);
        try
        {
            await RunMail.SendAsync(mail, subject, _transcript.ToString(), clock, cancellationToken);
            await Log($"mail \"{subject}\" sent to {string.Join(", ", mail.To)}");
            return 0;
        }
        catch (Exception ex) when (ex is IOException or FormatException or System.Security.Cryptography.CryptographicException)
        {
            await Log($"WARNING {ex.Message}");
            return 1;
        }
    }

    private async Task<int> PreviewAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var problem in config.CheckPlaces())
            {
                await Error("ERROR " + problem);
            }
            await using var client = await LoginAsync(cancellationToken);
            await SelectAsync(new XenApi(client), cancellationToken);
        }
        catch (Exception ex) when (ex is XapiException or IOException or TimeoutException)
        {
            await Error("ERROR - XenAPI: " + ex.Message);
        }
        await Log(_errors > 0 ? "ERROR preview of parameters: errors found (see above)"
            : "SUCCESS preview of parameters" + (_warnings > 0 ? " - WARNINGS found (see above)" : ""));
        return _errors > 0 ? 2 : 0;
    }

    private async Task RunVmsAsync(CancellationToken cancellationToken)
    {
        foreach (var problem in config.CheckPlaces())
        {
            throw new BackupPluginException(ErrorKind.Precondition, "xen.backup-dir", problem);
        }
        await using var runLock = await LockAsync(cancellationToken);
        CheckWritable();
        await Log($"Space before backups: {Space()}");
        await using var client = await LoginAsync(cancellationToken);
        var api = new XenApi(client);
        var selection = await SelectAsync(api, cancellationToken);
        if (config.PoolDbBackup)
        {
            await PoolDatabaseAsync(api, cancellationToken);
        }
        foreach (var vm in selection.MetadataExport)
        {
            await VmAsync(api, vm, "metadata-export", cancellationToken);
        }
        foreach (var vm in selection.VdiExport)
        {
            await VmAsync(api, vm, "vdi-export", cancellationToken);
        }
        foreach (var vm in selection.VmExport)
        {
            await VmAsync(api, vm, "vm-export", cancellationToken);
        }
    }

    private async Task<XapiClient> LoginAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await XapiClient.LoginAsync(options.Endpoint, options.Secrets.User, options.Secrets.Password, options.CallTimeout, cancellationToken);
        }
        catch (XapiException ex)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "xen.login", $"XenAPI authentication error at {options.Endpoint}: {ex.Message}", ex);
        }
    }

    /// <summary>The selection resolved against the pool's VMs, its lists printed as the seed's preview printed them.</summary>
    private async Task<Selection> SelectAsync(XenApi api, CancellationToken cancellationToken)
    {
        var guests = (await api.VmsAsync(cancellationToken)).Where(v => v.IsGuest).Select(v => new XenVm(v.Uuid, v.Name)).ToList();
        var selection = VmSelection.Resolve(config.Selectors, guests, config.MaxBackups);
        await List("exclude", selection.Excluded.Select(v => v.Name));
        await List("vdi-export", selection.VdiExport.Select(Entry));
        await List("vm-export", selection.VmExport.Select(Entry));
        await List("metadata-export", selection.MetadataExport.Select(Entry));
        foreach (var warning in selection.Warnings)
        {
            await Warning(warning);
        }
        foreach (var error in selection.Errors)
        {
            await Error(error);
        }
        return selection;

        string Entry(SelectedVm v) => v.MaxBackups == config.MaxBackups ? v.Name : $"{v.Name}:{v.MaxBackups}";
    }

    private async Task PrintSettings()
    {
        await Log("VmBackup.py running with these settings:");
        await Log($"  backup_dir        = {config.BackupDir}");
        await Log($"  status_log        = {config.StatusLog}");
        await Log($"  compress          = {(Compressed ? "True" : "False")}");
        await Log($"  max_backups       = {config.MaxBackups}");
        await Log($"  vdi_export_format = {config.VdiExportFormat}");
        await Log($"  pool_db_backup    = {(config.PoolDbBackup ? 1 : 0)}");
    }

    private async Task List(string key, IEnumerable<string> names)
    {
        var list = names.ToList();
        await Log($"  {key} (cnt)= {list.Count}");
        await Log($"  {key}: {string.Join(", ", list)}");
    }

    private Task<FileLock> LockAsync(CancellationToken cancellationToken) =>
        FileLock.AcquireRunLockAsync(Path.Combine(config.BackupDir, ".VmBackup.lock"), "xen.running", $"xen backup into {config.BackupDir}",
            cancellationToken);

    private void CheckWritable()
    {
        var probe = Path.Combine(config.BackupDir, "00VMbackupWriteTest");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "xen.write", $"failed to write to backup directory area {config.BackupDir}: {ex.Message}");
        }
    }

    private string Space()
    {
        var drive = new DriveInfo(config.BackupDir);
        return string.Create(CultureInfo.InvariantCulture,
            $"{config.BackupDir}: {drive.AvailableFreeSpace / 1e9:F1} GB free of {drive.TotalSize / 1e9:F1} GB ({FreePercent():F0}% free)");
    }

    private double FreePercent()
    {
        var drive = new DriveInfo(config.BackupDir);
        return drive.TotalSize == 0 ? 0 : 100.0 * drive.AvailableFreeSpace / drive.TotalSize;
    }

    private async Task PoolDatabaseAsync(XenApi api, CancellationToken cancellationToken)
    {
        if (!await api.IsMasterAsync(options.Server, cancellationToken))
        {
            await Log("** ignore: NOT master");
            return;
        }
        var dir = Path.Combine(config.BackupDir, "METADATA_" + options.Server);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"pool_db_{clock.GetLocalNow():yyyyMMdd-HHmmss}.dump");
        await using var dump = await api.PoolDatabaseAsync(cancellationToken);
        await using (var output = File.Create(file))
        {
            await dump.Body.CopyToAsync(output, cancellationToken);
        }
        await Log($"pool-dump-database written to {file}");
        _success++;
    }

    private async Task VmAsync(XenApi api, SelectedVm selected, string kind, CancellationToken cancellationToken)
    {
        await Log($"*** {kind} begin {selected.Name}");
        var watch = Stopwatch.StartNew();
        try
        {
            var vm = await api.VmByUuidAsync(selected.Uuid, cancellationToken)
                     ?? throw new BackupPluginException(ErrorKind.NotFound, "xen.vm", $"no machines found with UUID {selected.Uuid} (deleted since the selection?)");
            var vmDir = Path.Combine(config.BackupDir, VmFileName.Of(vm.Name));
            Directory.CreateDirectory(vmDir);
            foreach (var failed in BackupHistory.FailedToRemove(History(vmDir)))
            {
                await Log($"removing failed backup {Path.Combine(vmDir, failed)}");
                Directory.Delete(Path.Combine(vmDir, failed), recursive: true);
            }
            var name = BackupHistory.DirectoryName(clock.GetLocalNow().DateTime, metadata: kind == "metadata-export");
            var dir = Path.Combine(vmDir, name);
            if (Directory.Exists(dir))
            {
                throw new BackupPluginException(ErrorKind.Precondition, "xen.dir", $"{dir} exists already (two backups of {vm.Name} in one second?)");
            }
            Directory.CreateDirectory(dir);
            foreach (var warning in await VmMetadataFiles.WriteAsync(api, vm, dir, cancellationToken))
            {
                await Warning(warning);
            }
            await Log($"{vm.Name} is {vm.PowerState}");
            CheckSpace(vm.Name);
            var (file, bytes, sha) = kind switch
            {
                "vdi-export" => await VdiExportAsync(api, vm, dir, cancellationToken),
                "metadata-export" => await MetadataExportAsync(api, vm, dir, cancellationToken),
                _ => await VmExportAsync(api, vm, dir, cancellationToken),
            };
            var marker = BackupHistory.Marker(bytes);
            await File.WriteAllTextAsync(Path.Combine(dir, marker), "", cancellationToken);
            var gib = bytes / (1L << 30);
            foreach (var old in BackupHistory.ToPrune(History(vmDir), selected.MaxBackups, name))
            {
                await Log($"pruning {Path.Combine(vmDir, old)} (max_backups={selected.MaxBackups})");
                Directory.Delete(Path.Combine(vmDir, old), recursive: true);
            }
            var minutes = (int)watch.Elapsed.TotalMinutes;
            await Log($"*** {kind} end {vm.Name}: {file}, {bytes} bytes, elapse:{minutes} size:{gib}G");
            _status.Vm(kind, "SUCCESS", vm.Name, $"elapse:{minutes} size:{gib}G");
            _results.Add(new VmResult(kind, vm.Name, vm.Uuid, "success", dir, file, bytes, sha, watch.Elapsed.TotalSeconds, null));
            _success++;
        }
        catch (Exception ex) when (ex is BackupPluginException or XapiException or IOException or TimeoutException or InvalidDataException
                                       or UnauthorizedAccessException or HttpRequestException)
        {
            await Error($"ERROR {kind} {selected.Name}: {ex.Message}");
            _status.Vm(kind, "ERROR", selected.Name, ex is XapiException x ? x.Code : "FAILED");
            _results.Add(new VmResult(kind, selected.Name, selected.Uuid, "error", null, null, 0, null, watch.Elapsed.TotalSeconds, ex.Message));
        }
    }

    private static IEnumerable<HistoryEntry> History(string vmDir) =>
        new DirectoryInfo(vmDir).EnumerateFileSystemInfos().Select(e => new HistoryEntry(e.Name,
            e is DirectoryInfo d && BackupHistory.SuccessMarkers.Any(m => File.Exists(Path.Combine(d.FullName, m)))));

    private void CheckSpace(string vm)
    {
        if (config.SpaceThreshold > 0 && FreePercent() < config.SpaceThreshold)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "xen.space",
                string.Create(CultureInfo.InvariantCulture, $"only {FreePercent():F0}% of {config.BackupDir} is free, below space_threshold={config.SpaceThreshold}: {vm} not exported"));
        }
    }

    /// <summary>A running VM's snapshot (or the halted VM itself, its start blocked) exported as an XVA, checked as it is written.</summary>
    private async Task<(string File, long Bytes, string Sha256)> VmExportAsync(XenApi api, VmRecord vm, string dir, CancellationToken cancellationToken)
    {
        var halted = vm.PowerState == "Halted";
        var snapshotName = "RESTORE_" + vm.Name;
        if (!halted)
        {
            foreach (var stale in await api.SnapshotsNamedAsync(vm, snapshotName, cancellationToken))
            {
                await Warning($"***WARNING a snapshot {snapshotName} ({stale.Uuid}) that no run of ours recorded exists: left alone " +
                              $"(if the old VmBackup.py left it: xe vm-uninstall uuid={stale.Uuid} force=true)");
            }
        }
        var effect = halted
            ? ledger.AddDurable(XenEffects.Source, XenEffects.BlockedStart, vm.Uuid, $"unblock the start of VM {vm.Name}", (e, ct) => Undo(api, e, ct), Facts())
            : ledger.AddDurable(XenEffects.Source, XenEffects.VmSnapshot, vm.Uuid, $"destroy snapshot {snapshotName} of VM {vm.Name}",
                (e, ct) => Undo(api, e, ct), new Dictionary<string, string>(Facts()) { [XenEffects.Name] = snapshotName });
        try
        {
            var source = vm;
            if (halted)
            {
                await api.AddBlockedOperationAsync(vm, "start", XenEffects.BlockReason, cancellationToken);
                await Log($"{vm.Name} is halted: exported without a snapshot, its start blocked meanwhile");
            }
            else
            {
                source = await api.SnapshotAsync(vm, snapshotName, cancellationToken);
                effect = ledger.Note(effect, XenEffects.Snapshot, source.Uuid);
            }
            var file = Path.Combine(dir, VmFileName.Of(vm.Name) + (Compressed ? ".xva.gz" : ".xva"));
            await using var response = await api.ExportAsync(source, Compressed, cancellationToken);
            var (bytes, sha) = await SaveAsync(response, file, $"{vm.Name} -> {file}", null, async tee =>
            {
                XvaSummary summary;
                if (Compressed)
                {
                    await using var gzip = new GZipStream(tee, CompressionMode.Decompress, leaveOpen: true);
                    summary = await XvaVerifier.VerifyAsync(gzip, cancellationToken);
                }
                else
                {
                    summary = await XvaVerifier.VerifyAsync(tee, cancellationToken);
                }
                await Log($"{Path.GetFileName(file)}: {summary.Disks} disk(s), {summary.Chunks} chunks, every checksum matches");
            }, cancellationToken);
            await Log($"{Path.GetFileName(file)}: SHA-256 {sha}");
            return (file, bytes, sha);
        }
        finally
        {
            await ledger.UndoNowAsync(effect);
        }
    }

    /// <summary>The boot disk's snapshot exported raw or as VHD; a raw export must be the disk's virtual size.</summary>
    private async Task<(string File, long Bytes, string Sha256)> VdiExportAsync(XenApi api, VmRecord vm, string dir, CancellationToken cancellationToken)
    {
        var disks = await api.DisksAsync(vm, cancellationToken);
        var (_, boot) = disks.FirstOrDefault(d => d.Vbd.Device == "xvda");
        if (boot is null)
        {
            throw new BackupPluginException(ErrorKind.NotFound, "xen.xvda", $"{vm.Name} has no xvda disk: vdi-export backs up the xvda disk only (use vm-export)");
        }
        if (boot.Name.StartsWith("[NOBAK]", StringComparison.Ordinal))
        {
            throw new BackupPluginException(ErrorKind.Precondition, "xen.nobak", $"{vm.Name}'s xvda disk is named {boot.Name}: [NOBAK] disks are not backed up");
        }
        var snapshotName = $"SNAP_{vm.Name}_{boot.Name.Replace(' ', '-')}";
        var effect = ledger.AddDurable(XenEffects.Source, XenEffects.VdiSnapshot, vm.Uuid, $"destroy disk snapshot {snapshotName}",
            (e, ct) => Undo(api, e, ct), new Dictionary<string, string>(Facts()) { [XenEffects.Name] = snapshotName });
        try
        {
            var snapshot = await api.SnapshotVdiAsync(boot, snapshotName, cancellationToken);
            effect = ledger.Note(effect, XenEffects.Snapshot, snapshot.Uuid);
            var format = config.VdiExportFormat;
            var file = Path.Combine(dir, $"{VmFileName.Of(vm.Name)}.{format}");
            await using var response = await api.ExportVdiAsync(snapshot, format, cancellationToken);
            var (bytes, sha) = await SaveAsync(response, file, $"{vm.Name} {boot.Name} -> {file}", format == "raw" ? boot.VirtualSize : null,
                tee => tee.DrainAsync(cancellationToken), cancellationToken);
            if (format == "raw" && bytes != boot.VirtualSize)
            {
                throw new InvalidDataException($"{file} holds {bytes} bytes, and the disk is {boot.VirtualSize}: the export is incomplete");
            }
            await Log($"{Path.GetFileName(file)}: {bytes} bytes, SHA-256 {sha}");
            await MetadataExportAsync(api, vm, dir, cancellationToken); // the VM's definition, to import the disk into (the seed's step 6)
            return (file, bytes, sha);
        }
        finally
        {
            await ledger.UndoNowAsync(effect);
        }
    }

    /// <summary>
    /// The VM's metadata export, <c>&lt;vm&gt;-metadata.xva</c> (<c>xe vm-import metadata=true</c> brings the VM back
    /// without its disks): an XVA of <c>ova.xml</c> alone, checked as such. It needs no snapshot: it reads no disk.
    /// </summary>
    private async Task<(string File, long Bytes, string Sha256)> MetadataExportAsync(XenApi api, VmRecord vm, string dir, CancellationToken cancellationToken)
    {
        var file = Path.Combine(dir, VmFileName.Of(vm.Name) + "-metadata.xva");
        await using var response = await api.ExportMetadataAsync(vm, cancellationToken);
        var (bytes, sha) = await SaveAsync(response, file, $"{vm.Name} metadata -> {file}", null, async tee =>
        {
            var summary = await XvaVerifier.VerifyAsync(tee, cancellationToken);
            if (summary.Chunks > 0)
            {
                throw new InvalidDataException($"{file}: a metadata export with {summary.Chunks} data chunks");
            }
        }, cancellationToken);
        await Log($"{Path.GetFileName(file)}: the VM's metadata, {bytes} bytes, SHA-256 {sha}");
        return (file, bytes, sha);
    }

    /// <summary>
    /// Writes a response body to <paramref name="file"/> through <paramref name="check"/>, then the rest; its size and
    /// SHA-256 (also written as <c>FILE.sha256</c>). An export that fails is deleted at once: half an export is of no use,
    /// and on a full disk it would keep the next VMs from being backed up. The download is a transfer the operator sees
    /// the progress of (<paramref name="name"/>; <paramref name="total"/> null: XAPI does not say how long an export is).
    /// </summary>
    private async Task<(long Bytes, string Sha256)> SaveAsync(XapiDownload response, string file, string name, long? total,
        Func<TeeReadStream, Task> check, CancellationToken cancellationToken)
    {
        try
        {
            using var progress = console.Transfer(name, total);
            var saved = await WriteAsync(response, file, check, progress, cancellationToken);
            progress.Complete();
            return saved;
        }
        catch (Exception) when (File.Exists(file))
        {
            File.Delete(file);
            File.Delete(file + ".sha256");
            await Log($"removed the incomplete export {file}");
            throw;
        }
    }

    private async Task<(long Bytes, string Sha256)> WriteAsync(XapiDownload response, string file, Func<TeeReadStream, Task> check,
        JobTransfer progress, CancellationToken cancellationToken)
    {
        var body = response.Body;
        await using var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
        await using var tee = new TeeReadStream(body, output, options.CallTimeout, progress);
        await check(tee);
        await tee.DrainAsync(cancellationToken);
        await response.EndAsync(cancellationToken); // XAPI's word on the export: a cut one ends like a good one
        await output.FlushAsync(cancellationToken);
        var sha = tee.Sha256();
        await File.WriteAllTextAsync(file + ".sha256", $"{sha}  {Path.GetFileName(file)}\n", cancellationToken);
        return (tee.Length64, sha);
    }

    private IReadOnlyDictionary<string, string> Facts() => XenEffects.Facts(options.Endpoint, options.PasswordFile);

    private static async Task Undo(XenApi api, JournalEntry entry, CancellationToken ct) => await XenEffects.UndoAsync(api, entry, ct);

    private Task Log(string text)
    {
        var now = clock.GetLocalNow().ToString("yyyy-MM-dd-'('HH:mm:ss')'", CultureInfo.InvariantCulture);
        var lines = string.Concat(text.Split('\n').Select(l => $"{now} - {l}\n"));
        _transcript.Append(lines);
        return console.Out.WriteLineAsync(lines.TrimEnd('\n'));
    }

    private Task Warning(string text)
    {
        _warnings++;
        _problems.Add(text);
        return Log(text);
    }

    private Task Error(string text)
    {
        _errors++;
        _problems.Add(text);
        return Log(text);
    }
}
