// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Config;
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Sources.Zfs;

/// <summary><c>source=zfs</c>: a ZFS dataset as zfs send streams (Full, Incremental, Differential), received back on restore.</summary>
public sealed class ZfsSource(Reloadable<ZfsSettings> reloadable) : ISourceFactory
{
    public string Name => "zfs";
    public string Description => "a ZFS dataset: mode=stream stores zfs send streams (Full/Incremental/Differential), mode=files its files from a snapshot";
    public IReadOnlyList<OptionSpec> Options => ZfsOptions.Specs;

    public ISourceDriver Create(PluginDefinition options, JobContext context)
    {
        var read = ZfsOptions.Read(options);
        var settings = reloadable.Current; // the job keeps these to its end, whatever a reload brings
        var zfs = new ZfsTool(context.Tools, settings.Zfs, settings.Zpool, context.Session);
        return read.Mode == ZfsMode.Files
            ? new ZfsFilesDriver(zfs, read, settings, context)
            : new ZfsStreamDriver(zfs, read, context);
    }
}
