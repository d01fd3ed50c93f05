// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sources;
using BackupPlugins.Sources.Directory;
using Microsoft.Extensions.DependencyInjection;

namespace BackupPlugins.Sources;

/// <summary>The one list of sources this host offers. Adding a source: one folder, one line here.</summary>
public static class SourceRegistration
{
    public static IServiceCollection AddSourceDrivers(this IServiceCollection services)
    {
        services.AddSingleton<ISourceFactory, DirectorySource>();
        return services;
    }
}
