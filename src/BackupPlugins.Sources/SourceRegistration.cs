// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sources;
using BackupPlugins.Sources.Dir;
using BackupPlugins.Sources.Virtuozzo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BackupPlugins.Sources;

/// <summary>The one list of sources this host offers. Adding a source: one folder, its lines here.</summary>
public static class SourceRegistration
{
    /// <summary>Registers every source; each reads its host settings from <c>Sources:&lt;Name&gt;</c> of the configuration.</summary>
    public static IServiceCollection AddSourceDrivers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ISourceFactory, DirectorySource>();

        services.AddSingleton(configuration.GetSection("Sources:Vz7").Get<Vz7Settings>() ?? new Vz7Settings());
        services.AddSingleton<ISourceFactory, Vz7Source>();
        services.AddSingleton<ILeftoverSweeper, Vz7Sweeper>();
        return services;
    }
}
