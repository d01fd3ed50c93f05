// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Service.Hosting;

/// <summary>At start-up, sweeps leftovers of a killed host; then expires idle sessions; at shutdown, cleans every session.</summary>
internal sealed class SessionHousekeeping(SessionRegistry sessions, IEnumerable<ILeftoverSweeper> sweepers,
    ILogger<SessionHousekeeping> logger) : BackgroundService
{
    /// <summary>The sweep finishes before the host listens, so no job meets a leftover of a killed host.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var sweeper in sweepers)
        {
            foreach (var leftover in await sweeper.SweepAsync(dryRun: false, cancellationToken))
            {
                logger.LogWarning("Start-up sweep: {Kind} {Name} removed={Removed} {Error}", leftover.Kind, leftover.Name, leftover.Removed, leftover.Error);
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
    }
}
