// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Config;
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Sources.Parallels;

/// <summary><c>source=parallels</c>: a Parallels / Virtuozzo virtual machine's bundle, consistent, file by file.</summary>
public sealed class ParallelsSource(Reloadable<ParallelsSettings> settings) : ISourceFactory
{
    public string Name => "parallels";
    public string Description => "a Parallels / Virtuozzo VM: its bundle, consistent (suspend + reflink clone, suspend, or snapshot); " +
                                 "restore its files or the whole VM, registered";
    public IReadOnlyList<OptionSpec> Options => ParallelsOptions.Specs;

    public ISourceDriver Create(PluginDefinition options, JobContext context) =>
        new ParallelsDriver(settings.Current, ParallelsOptions.Read(options), context);
}
