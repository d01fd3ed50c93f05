// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.Json;
using BackupPlugins.Core.Config;
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

        AddSettings<Vz7Settings>(services, configuration, "Vz7");
        services.AddSingleton<ISourceFactory, Vz7Source>();
        services.AddSingleton<ILeftoverSweeper, Vz7Sweeper>();

        AddSettings<ZfsSettings>(services, configuration, "Zfs");
        services.AddSingleton<ISourceFactory, ZfsSource>();
        services.AddSingleton<ILeftoverSweeper, ZfsSweeper>();

        AddSettings<ParallelsSettings>(services, configuration, "Parallels");
        services.AddSingleton<ISourceFactory, ParallelsSource>();
        services.AddSingleton<ILeftoverSweeper, ParallelsSweeper>(); // its and the standalone parallels backup's suspends, clones, snapshots
        AddSettings<XenSettings>(services, configuration, "Xen");
        services.AddSingleton<ISourceFactory, XenSource>();
        services.AddSingleton<ILeftoverSweeper, XenSweeper>(); // its and the xen backup job's snapshots and blocked starts

        AddSettings<LvmSettings>(services, configuration, "Lvm");
        services.AddSingleton<ISourceFactory, LvmSource>();
        services.AddSingleton<ILeftoverSweeper, LvmSweeper>();
        return services;
    }

    /// <summary>The sections <see cref="AddSourceDrivers"/> binds (keep the two alike).</summary>
    private static readonly (string Name, Type Settings)[] Sections =
    [
        ("Vz7", typeof(Vz7Settings)), ("Zfs", typeof(ZfsSettings)), ("Parallels", typeof(ParallelsSettings)), ("Xen", typeof(XenSettings)),
        ("Lvm", typeof(LvmSettings)),
    ];

    private static readonly string[] TopLevel = ["StateDirectory", "Sources", "Logging", "Serilog"];

    /// <summary>
    /// A host configuration read as the host reads it, every problem at once: each source's section bound strictly
    /// (a misspelt key or a value of the wrong type is an error); sections and top-level keys no one reads are warnings
    /// (names compared as the configuration compares them: without case).
    /// </summary>
    public static (IReadOnlyList<string> Problems, IReadOnlyList<string> Warnings) Check(IConfiguration configuration)
    {
        var problems = new List<string>();
        var warnings = new List<string>();
        foreach (var (name, type) in Sections)
        {
            try
            {
                configuration.GetSection("Sources:" + name).Get(type, o => o.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException ex)
            {
                problems.Add($"Sources:{name}: {ex.Message}");
            }
        }
        foreach (var section in configuration.GetSection("Sources").GetChildren().Where(c => !Sections.Any(s => string.Equals(s.Name, c.Key, StringComparison.OrdinalIgnoreCase))))
        {
            warnings.Add($"Sources:{section.Key} is read by no source (known: {string.Join(", ", Sections.Select(s => s.Name))})");
        }
        foreach (var key in configuration.GetChildren().Select(c => c.Key).Where(k => !TopLevel.Contains(k, StringComparer.OrdinalIgnoreCase)))
        {
            warnings.Add($"{key} is read by nothing in the host (known: StateDirectory, Sources)");
        }
        return (problems, warnings);
    }

    /// <summary>
    /// Replaces each source's settings with those of <paramref name="configuration"/> (checked first with
    /// <see cref="Check"/>); jobs that run keep what they started with. Returns the sections that changed.
    /// </summary>
    public static IReadOnlyList<string> Reload(IConfiguration configuration, IEnumerable<IReloadable> settings)
    {
        var changed = new List<string>();
        foreach (var reloadable in settings)
        {
            var (name, type) = Sections.Single(s => s.Settings == reloadable.SettingsType);
            var fresh = configuration.GetSection("Sources:" + name).Get(type, o => o.ErrorOnUnknownConfiguration = true) ?? Activator.CreateInstance(type)!;
            if (JsonSerializer.Serialize(fresh, type) != JsonSerializer.Serialize(reloadable.CurrentValue, type))
            {
                reloadable.Replace(fresh);
                changed.Add("Sources:" + name);
            }
        }
        return changed;
    }

    /// <summary>A source's settings, replaceable by a reload (<see cref="Reload"/>).</summary>
    private static void AddSettings<T>(IServiceCollection services, IConfiguration configuration, string source) where T : class, new()
    {
        services.AddSingleton(new Reloadable<T>(Settings<T>(configuration, source)));
        services.AddSingleton<IReloadable>(sp => sp.GetRequiredService<Reloadable<T>>());
    }

    /// <summary>A source's section of the host configuration; a misspelt key is an error, not a silent default.</summary>
    private static T Settings<T>(IConfiguration configuration, string source) where T : new() =>
        configuration.GetSection("Sources:" + source).Get<T>(o => o.ErrorOnUnknownConfiguration = true) ?? new T();
}
