// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Service.Hosting;

/// <summary>At start-up, sweeps leftovers of a killed host; then expires idle sessions; at shutdown, cleans every session.</summary>
internal sealed class SessionHousekeeping(SessionRegistry sessions, IEnumerable<ILeftoverSweeper> sweepers, HostSettings settings,
    ILogger<SessionHousekeeping> logger) : BackgroundService
{
    private FileLock? _embeddedLock;

    /// <summary>The sweep finishes before the host listens, so no job meets a leftover of a killed host.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Embedded)
        {
            if (settings.HoldsHostsLock)
            {
                _embeddedLock = await HostsLock.HoldSharedAsync(settings.HostsLock, logger, cancellationToken);
            }
        }
        else
        {
            await using var sweeping = HostsLock.TryExclusive(settings.HostsLock, logger);
            if (sweeping is null)
            {
                logger.LogWarning("Start-up sweep skipped: bpipe commands are running their own hosts ({Lock} is held); " +
                    "run `backup-plugins sweep` once they are done", settings.HostsLock);
            }
            else
            {
                foreach (var sweeper in sweepers)
                {
                    var found = await sweeper.SweepAsync(dryRun: false, cancellationToken);
                    Metrics.HostMetrics.SweptLeftovers(found);
                    foreach (var leftover in found)
                    {
                        logger.LogWarning("Start-up sweep: {Kind} {Name} removed={Removed}{Detail}", leftover.Kind, leftover.Name,
                            leftover.Removed, (leftover.Error ?? leftover.Note) is { } detail ? " " + detail : "");
                    }
                }
            }
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await sessions.ExpireIdleAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await sessions.CloseAllAsync();
        if (_embeddedLock is not null)
        {
            await _embeddedLock.DisposeAsync();
        }
    }
}
