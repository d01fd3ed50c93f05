// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using System.Runtime.InteropServices;
using BackupPlugins.Core.Config;
using BackupPlugins.Sources;
using Microsoft.Extensions.Configuration;

namespace BackupPlugins.Service.Hosting;

/// <summary>
/// SIGHUP (<c>systemctl reload</c>) reads the host configuration file again and, if it reads as the host would read it
/// at start (<see cref="SourceRegistration.Check"/>), replaces the sources' settings: tool paths and directories.
/// Running jobs keep the settings they started with; a file that does not read is refused with the reason and the
/// settings in use stay. <c>StateDirectory</c> changes only with a restart: the journal of running jobs is there.
/// </summary>
internal sealed class ConfigReload(HostSettings settings, IConfiguration configuration, IEnumerable<IReloadable> reloadables,
    ILogger<ConfigReload> logger) : IHostedService, IDisposable
{
    private readonly Lock _reloading = new();
    private PosixSignalRegistration? _signal;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _signal = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // the host goes on running
            _ = Task.Run(Reload);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _signal?.Dispose();

    /// <summary>Reloads the configuration file; true when its settings are now in use.</summary>
    internal bool Reload()
    {
        lock (_reloading)
        {
            if (settings.ConfigFile is not { } file)
            {
                logger.LogWarning("SIGHUP: the host runs on its embedded defaults (it was started without --config): nothing to reload");
                return false;
            }
            SystemdNotify.Send($"RELOADING=1\nSTATUS=reloading {file}\nMONOTONIC_USEC={Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000)}");
            try
            {
                return Apply(file);
            }
            finally
            {
                SystemdNotify.Send($"READY=1\nSTATUS=listening on unix:{settings.SocketPath}");
            }
        }
    }

    private bool Apply(string file)
    {
        IConfiguration fresh;
        try
        {
            fresh = new ConfigurationBuilder().AddJsonFile(file, optional: false, reloadOnChange: false).Build();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            logger.LogError("Reload of {File} refused, the settings in use stay: {Reason}", file, ex.InnerException?.Message is { } inner ? $"{ex.Message} ({inner})" : ex.Message);
            return false;
        }
        var (problems, warnings) = SourceRegistration.Check(fresh);
        if (!string.Equals(State(fresh), State(configuration), StringComparison.Ordinal))
        {
            problems = [.. problems, $"StateDirectory: {State(fresh)} instead of {State(configuration)} takes a restart (the journal of running jobs is in the one in use)"];
        }
        if (problems.Count > 0)
        {
            logger.LogError("Reload of {File} refused, the settings in use stay: {Problems}", file, string.Join("; ", problems));
            return false;
        }
        foreach (var warning in warnings)
        {
            logger.LogWarning("{File}: {Warning}", file, warning);
        }
        var changed = SourceRegistration.Reload(fresh, reloadables);
        logger.LogInformation("Reloaded {File}: {Changed}; running jobs keep the settings they started with", file,
            changed.Count == 0 ? "no source settings changed" : "new " + string.Join(", ", changed));
        return true;
    }

    private static string State(IConfiguration configuration) => configuration["StateDirectory"] is { Length: > 0 } state ? Path.GetFullPath(state) : "(default)";
}
