// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sources;
using BackupPlugins.Sources.Dir;
using BackupPlugins.Sources.Lvm;
using BackupPlugins.Sources.Parallels;
using BackupPlugins.Sources.Virtuozzo;
using BackupPlugins.Sources.Xen;
using BackupPlugins.Sources.Zfs;
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

        services.AddSingleton(Settings<Vz7Settings>(configuration, "Vz7"));
        services.AddSingleton<ISourceFactory, Vz7Source>();
        services.AddSingleton<ILeftoverSweeper, Vz7Sweeper>();

        services.AddSingleton(Settings<ZfsSettings>(configuration, "Zfs"));
        services.AddSingleton<ISourceFactory, ZfsSource>();
        services.AddSingleton<ILeftoverSweeper, ZfsSweeper>();

        services.AddSingleton(Settings<ParallelsSettings>(configuration, "Parallels"));
        services.AddSingleton<ISourceFactory, ParallelsSource>();
        services.AddSingleton<ILeftoverSweeper, ParallelsSweeper>(); // its and the standalone parallels backup's suspends, clones, snapshots
        services.AddSingleton(Settings<XenSettings>(configuration, "Xen"));
        services.AddSingleton<ISourceFactory, XenSource>();
        services.AddSingleton<ILeftoverSweeper, XenSweeper>(); // its and the xen backup job's snapshots and blocked starts

        services.AddSingleton(Settings<LvmSettings>(configuration, "Lvm"));
        services.AddSingleton<ISourceFactory, LvmSource>();
        services.AddSingleton<ILeftoverSweeper, LvmSweeper>();
        return services;
    }

    /// <summary>A source's section of the host configuration; a misspelt key is an error, not a silent default.</summary>
    private static T Settings<T>(IConfiguration configuration, string source) where T : new() =>
        configuration.GetSection("Sources:" + source).Get<T>(o => o.ErrorOnUnknownConfiguration = true) ?? new T();
}
