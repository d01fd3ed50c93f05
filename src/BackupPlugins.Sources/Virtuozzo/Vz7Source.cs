// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Config;
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Sources.Virtuozzo;

/// <summary><c>source=vz7</c>: a Virtuozzo 7 / OpenVZ container on this host (ploop snapshot, read-only mount, files).</summary>
public sealed class Vz7Source(Reloadable<Vz7Settings> settings) : ISourceFactory
{
    public string Name => "vz7";
    public string Description => "a Virtuozzo 7 / OpenVZ container: ploop snapshot while it runs, files from the frozen image; restore whole or file by file";
    public IReadOnlyList<OptionSpec> Options => Vz7Options.Specs;

    public ISourceDriver Create(PluginDefinition options, JobContext context) =>
        new Vz7Driver(settings.Current, Vz7Options.Read(options), context);
}
