// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Config;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Tools;
using BackupPlugins.Sources.Lvm;
using BackupPlugins.Sources.Lvm.Backup;
using BackupPlugins.Sources.Parallels;
using BackupPlugins.Sources.Xen;
using BackupPlugins.Sources.Xen.Backup;
using BackupPlugins.Sources.Zfs;
using BackupPlugins.Sources.Zfs.Sync;
using Grpc.Core;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.Service.Services;

/// <summary>Standalone jobs (<c>zfs sync</c>, <c>parallels backup</c>) run here, as host jobs: one call each, mapped onto the job's own class.</summary>
internal sealed class JobsService(StandaloneJobRegistry jobs, IToolRunner tools, Reloadable<ZfsSettings> zfs, Reloadable<LvmSettings> lvm, EffectJournal journal,
    TimeProvider clock)
    : V1.Jobs.JobsBase
{
    public override async Task Run(IAsyncStreamReader<V1.JobInput> requestStream, IServerStreamWriter<V1.JobOutput> responseStream,
        ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken) || requestStream.Current.Start is not { } request)
        {
            throw new BackupPluginException(ErrorKind.BadInput, "job.start", "a job call begins with the job to run");
        }
        await using var console = new StreamJobConsole(requestStream, responseStream, cancellationToken, clock);
        var code = request.JobCase switch
        {
            V1.JobRequest.JobOneofCase.ZfsSync => await jobs.RunAsync("zfs-sync", console,
                (ledger, ct) => ZfsSyncAsync(request.ZfsSync, console, ledger, ct), console.Stopping),
            V1.JobRequest.JobOneofCase.ParallelsBackup => await jobs.RunAsync("parallels-backup", console,
                (ledger, ct) => ParallelsBackupAsync(request.ParallelsBackup, console, ledger, ct), console.Stopping),
            V1.JobRequest.JobOneofCase.XenBackup => await jobs.RunAsync("xen-backup", console,
                (ledger, ct) => XenBackupAsync(request.XenBackup, console, ledger, ct), console.Stopping),
            V1.JobRequest.JobOneofCase.LvmBackup => await jobs.RunAsync("lvm-backup", console,
                (ledger, ct) => LvmBackupAsync(request.LvmBackup, console, ledger, ct), console.Stopping),
            _ => throw new BackupPluginException(ErrorKind.BadInput, "job.unknown", $"this host does not know the job {request.JobCase}"),
        };
        await console.EndAsync(code);
    }

    private async Task<int> ParallelsBackupAsync(V1.ParallelsBackupRequest request, IJobConsole console, CleanupLedger ledger,
        CancellationToken cancellationToken)
    {
        ParallelsConfig settings;
        try
        {
            settings = ParallelsConfig.Load(request.Config, request.Home);
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            await console.Out.WriteLineAsync($"error: {ex.Message}");
            return 2;
        }
        var options = new ParallelsBackupOptions(request.DryRun, request.Vm.Length == 0 ? null : request.Vm);
        return await new ParallelsBackup(settings, options, console, ledger, tools, clock).RunAsync(cancellationToken);
    }

    private async Task<int> LvmBackupAsync(V1.LvmBackupRequest request, IJobConsole console, CleanupLedger ledger, CancellationToken cancellationToken)
    {
        LvmBackupConfig config;
        LvmBackupOptions options;
        try
        {
            config = LvmBackupConfig.Load(request.Spec);
            options = new LvmBackupOptions(RunLog.Parse(request.Level.Length > 0 ? request.Level : "WARNING"), request.Noop);
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            foreach (var line in ex.Message.Split('\n'))
            {
                await console.Out.WriteLineAsync($"ERROR:backup:{line}");
            }
            return 2;
        }
        return await new LvmBackup(config, options, lvm.Current, console, ledger, journal, tools, clock).RunAsync(cancellationToken);
    }

    private async Task<int> XenBackupAsync(V1.XenBackupRequest request, IJobConsole console, CleanupLedger ledger, CancellationToken cancellationToken)
    {
        VmBackupConfig settings;
        XenBackupOptions options;
        try
        {
            settings = request.Config.Length > 0 ? VmBackupConfig.Load(request.Config, request.IgnoreExtraKeys) : VmBackupConfig.FromSelector(request.Selector);
            var endpoint = XapiEndpoint.Parse(request.Url.Length > 0 ? request.Url : "unix:" + XapiEndpoint.LocalSocket)
                with { CaFile = request.CaFile.Length > 0 ? request.CaFile : null };
            var secrets = request.PasswordFile.Length > 0 ? XenSecrets.Load(request.PasswordFile)
                : endpoint.IsLocal ? new XenSecrets("root", "", null, null)
                : throw new FormatException($"{endpoint} is not the local socket: give --password-file (a 0600 file with password=…)");
            options = new XenBackupOptions(endpoint, secrets, request.PasswordFile.Length > 0 ? request.PasswordFile : null, request.Preview,
                request.HasCompress ? request.Compress : null, Environment.MachineName.Split('.')[0],
                TimeSpan.FromSeconds(request.CallTimeoutSeconds > 0 ? request.CallTimeoutSeconds : 300));
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            await console.Out.WriteLineAsync($"error: {ex.Message}");
            return 2;
        }
        return await new XenBackup(settings, options, console, ledger, clock).RunAsync(cancellationToken);
    }

    private async Task<int> ZfsSyncAsync(V1.ZfsSyncRequest request, IJobConsole console, CleanupLedger ledger, CancellationToken cancellationToken)
    {
        ZbackupConfig settings;
        try
        {
            settings = ZbackupConfig.Load(request.Config);
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            await console.Out.WriteLineAsync($"error: {ex.Message}");
            return 2;
        }
        var options = new SyncOptions(request.ToUsb, request.DeviceDir, request.DryRun, request.Confirm, request.Rollback, request.ForceFull,
            !request.NoIntermediates, request.HasKeep ? request.Keep : null, request.LockDir);
        return await new ZfsSync(new ZfsTool(tools, zfs.Current.Zfs, zfs.Current.Zpool), settings, options, console, ledger, clock).RunAsync(cancellationToken);
    }
}
